// The lab's suite as Vitest tests, for `npm run grade <lab> -- --ui`. The CLI
// passes its options in GRADE_OPTIONS; each scenario is one test, run through
// the same worker pool (and wall-clock guard) as `npm run grade`.
import { describe, test } from "vitest";
import { findLab } from "../labs.ts";
import { failureBlock } from "../report/console.ts";
import { type GradeOptions, executePlan, planGrade } from "../run/grade.ts";

type Passed = Omit<GradeOptions, "labs"> & { labNames: string[] };

const raw = process.env.GRADE_OPTIONS;
if (raw === undefined) throw new Error("run this suite through `npm run grade <lab> -- --ui`, which sets GRADE_OPTIONS");
const passed = JSON.parse(raw) as Passed;
const opts: GradeOptions = { ...passed, labs: passed.labNames.map((n) => findLab(n)!) };
const plan = await planGrade(opts);

for (const lab of opts.labs) {
  describe(`${lab.name}: ${lab.title}`, () => {
    for (const p of plan.scenarios.filter((x) => x.loaded.lab === lab)) {
      const s = p.loaded.scenario;
      test(`${s.name} [${s.tags.join(", ")}]`, async () => {
        const r = await executePlan({ opts, scenarios: [p], totalSeeds: p.seeds.length });
        const result = r.scenarios[0];
        if (!result.passed) throw new Error(failureBlock(result, opts, { color: false }));
      });
    }
  });
}
