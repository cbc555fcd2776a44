// A new learner's first runs (issue #6): with the stubs in labs/ untouched,
// `npm run grade labN` fails every core scenario of the lab with a clear
// message, exits 1, names the next step, and neither crashes nor hangs. Each
// lab is graded with only its own stub (the earlier labs borrowed from the
// reference), so the lab's own scenarios are what fail.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { grade } from "../grader/test/validate.ts";

interface Report {
  passed: boolean;
  score: { core: [passed: number, total: number] };
  nextStep: string;
  scenarios: { name: string; tags: string[]; passed: boolean; seeds: { passed: boolean; failure: { rule: string; message: string } | null }[] }[];
}

const NOT_A_CLEAR_FAILURE = ["uncaught-exception", "infinite-loop", "unbounded-memory", "scenario-error", "scenario-setup", "monitor-error", "not-run", "stale-env", "timer-misuse", "event-budget"];

const dir = mkdtempSync(join(tmpdir(), "labs-stubs-"));

describe.concurrent("the untouched stubs fail every core scenario, clearly, without crashing or hanging", () => {
  test.each([
    ["lab1", [] as string[], "no leader elected within 3000 ms of virtual time (3 nodes, no faults"],
    ["lab2", ["--use-reference", "election"], "proposals"],
    ["lab3", ["--use-reference", "election,replication"], "restarted with currentTerm 0"],
  ])("npm run grade %s %j", async (lab, extra, firstMessage) => {
    const json = join(dir, `${lab}.json`);
    const r = await grade([lab, ...extra, "--seeds", "2", "--json", json]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(firstMessage);
    expect(r.stdout).toMatch(/next {2}fix ".*" first; replay it with: npm run grade lab\d -- --seed \d+ --scenario /);
    const report = JSON.parse(readFileSync(json, "utf8")) as Report;
    expect(report.passed).toBe(false);
    expect(report.score.core[0]).toBe(0);
    expect(report.score.core[1]).toBeGreaterThanOrEqual(8);
    for (const s of report.scenarios) {
      for (const seed of s.seeds) {
        if (seed.failure === null) continue;
        // A stub does nothing: its failures must never look like a crash of the grader, of the scenario or of the student's code.
        expect(NOT_A_CLEAR_FAILURE, `${s.name}: ${seed.failure.rule}: ${seed.failure.message}`).not.toContain(seed.failure.rule);
      }
    }
  });
});
