// The lab's suite as Vitest tests, for `npm run grade <lab> -- --ui`. The CLI
// passes its arguments in GRADE_ARGV; each scenario is one test, which runs
// `npm run grade ... --scenario NAME` in a child process (so the worker pool,
// its wall-clock guard and the report are exactly the CLI's) and fails with
// the CLI's report.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseArgs } from "../args.ts";
import { GRADER_DIR, REPO_DIR } from "../labs.ts";
import { planGrade } from "../run/grade.ts";

const raw = process.env.GRADE_ARGV;
if (raw === undefined) throw new Error("run this suite through `npm run grade <lab> -- --ui`, which sets GRADE_ARGV");
const argv = (JSON.parse(raw) as string[]).filter((a) => a !== "--ui");
const opts = parseArgs(argv);
const plan = await planGrade(opts);
const TSX_CLI = join(REPO_DIR, "node_modules", "tsx", "dist", "cli.mjs");

/** The CLI's arguments for one scenario of one lab. */
function argsFor(lab: string, scenario: string): string[] {
  const out: string[] = [lab, "--scenario", scenario];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === opts.labArg || a === "all" || a === "--") continue;
    if (a === "--scenario" || a === "--json" || a === "--junit" || a === "--gradescope" || a === "--shard") {
      i++;
      continue;
    }
    if (/^--(scenario|json|junit|gradescope|shard)=/.test(a)) continue;
    out.push(a);
  }
  return out;
}

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSX_CLI, join(GRADER_DIR, "cli.ts"), ...args], { cwd: REPO_DIR, env: { ...process.env, CI: "true", NO_COLOR: "1", npm_lifecycle_event: "" }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

for (const lab of opts.labs) {
  describe(`${lab.name}: ${lab.title}`, () => {
    for (const p of plan.scenarios.filter((x) => x.loaded.lab === lab)) {
      const s = p.loaded.scenario;
      test(`${s.name} [${s.tags.join(", ")}]`, async () => {
        const r = await runCli(argsFor(lab.name, s.name));
        const report = r.stdout.split("\n").slice(1).join("\n").trim();
        if (!/✓ /.test(r.stdout)) throw new Error(`${report}\n${r.stderr}`.trim());
        expect(r.stdout).toContain("✓ ");
      });
    }
  });
}
