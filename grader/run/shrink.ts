// --shrink: given a failing seed, find a small subset of its fault schedule
// that still breaks the same rule, using fast-check's shrinking over a
// subarray of the fault actions (starting from the full schedule, which fails).
import fc from "fast-check";
import type { Scenario } from "../scenario.ts";
import type { Subject } from "../subject.ts";
import { FaultFilter, describeAction } from "./faults.ts";
import { runSeed } from "./seed.ts";

/** Wall-clock budget for one shrink; the best subset found so far is kept. */
export const SHRINK_BUDGET_MS = 20_000;

export interface Shrunk {
  /** Fault actions in the original run. */
  total: number;
  /** Indices kept (for --keep-faults). */
  keep: number[];
  /** The kept actions, described. */
  actions: string[];
}

export function shrinkSeed(scenario: Scenario, subject: Subject, seed: number, rule: string): Shrunk | null {
  const full = new FaultFilter(null);
  const first = runSeed(scenario, subject, seed, { traceMode: "ring", recordStates: false, faults: full });
  if (first.passed || first.failure?.rule !== rule) return null;
  const total = full.actions.length;
  if (total === 0) return null;
  const all = full.actions.map((a) => a.index);
  const stillFails = (keep: readonly number[]): boolean => {
    const r = runSeed(scenario, subject, seed, { traceMode: "ring", recordStates: false, faults: new FaultFilter(new Set(keep)) });
    return !r.passed && r.failure?.rule === rule;
  };
  const out = fc.check(
    fc.property(fc.subarray(all), (keep) => !stillFails(keep)),
    { examples: [[all]], numRuns: 1, seed: 1, interruptAfterTimeLimit: SHRINK_BUDGET_MS, markInterruptAsFailure: false },
  );
  const keep = out.failed && out.counterexample !== null ? out.counterexample[0] : all;
  const check = new FaultFilter(new Set(keep));
  runSeed(scenario, subject, seed, { traceMode: "ring", recordStates: false, faults: check });
  return { total, keep: [...keep], actions: check.actions.filter((a) => a.kept).map(describeAction) };
}
