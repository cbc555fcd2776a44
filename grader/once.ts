// One grading run with console output: shared by the CLI, --watch and the tests.
import type { CliOptions } from "./args.ts";
import { Progress, header, scenarioLine, wantsColor, wantsProgress } from "./report/console.ts";
import type { GradeResult } from "./report/model.ts";
import { executePlan, planGrade } from "./run/grade.ts";
import { describeImpl, implFor } from "./subjects/index.ts";

export const EXIT_PASS = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

/** Grades once, printing as it goes. Throws UsageError/ScenarioError if the plan is bad. */
export async function gradeOnce(opts: CliOptions, out: { quietLines?: boolean } = {}): Promise<GradeResult> {
  const st = { color: wantsColor(process.stdout, process.env) };
  const plan = await planGrade(opts);
  const impl = [...new Set(opts.labs.map((l) => describeImpl(implFor(l, opts.impl))))].join("; ");
  const progress = new Progress(plan.totalSeeds, wantsProgress(process.env));
  if (out.quietLines !== true) progress.println(header(opts, plan.scenarios, plan.totalSeeds, impl));
  // In a terminal, names are cut to fit its width; in a log (CI, a pipe), they are printed whole.
  const longest = Math.max(20, ...plan.scenarios.map((p) => p.loaded.scenario.name.length));
  const columns = process.stdout.isTTY ? (process.stdout.columns ?? 100) : Infinity;
  const width = Math.max(20, Math.min(longest, columns - 34));
  const result = await executePlan(plan, {
    onSeedStart: (p) => progress.seedStarted(p.loaded.scenario.name),
    onSeed: () => progress.seedDone(),
    onScenario: (s) => {
      if (out.quietLines !== true) progress.println(scenarioLine(s, st, width));
    },
  });
  progress.clear();
  return result;
}

