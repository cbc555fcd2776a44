// What a grading run produces: the data every reporter (console, JSON, JUnit,
// Gradescope, watch) renders. Workers send SeedResults; the CLI assembles the rest.

export type FailureKind =
  /** A harness monitor caught a broken rule (election safety, log matching...). */
  | "violation"
  /** An expectation of the scenario did not hold. */
  | "expectation"
  /** Student code threw. */
  | "exception"
  /** Student code did not return within the wall-clock limit. */
  | "hang"
  /** The worker ran out of memory: something grows without bound. */
  | "memory"
  /** The worker died for another reason. */
  | "crash"
  /** The scenario itself is broken (a code step threw, a bad config key...). */
  | "scenario-error"
  /** The seed was not run because an earlier seed of the scenario hung or crashed the worker. */
  | "not-run";

export interface NodeReport {
  id: string;
  /** "leader, term 3, log 7 entries [terms 1 1 3], commit 6" or "down (crashed)". */
  summary: string;
}

export interface FailureInfo {
  /** Short stable id: "election-safety", "expected-one-leader", "infinite-loop"... */
  rule: string;
  /** Paper section of the broken rule, "§5.2" ("" if none). */
  section: string;
  /** What went wrong, in plain words. */
  message: string;
  kind: FailureKind;
  /** Virtual time of the failure, ms (null if unknown). */
  timeMs: number | null;
  eventIndex: number | null;
  /** The step that was running, in the text format, with its line. */
  step: string | null;
  stack: string | null;
  /** The last trace events of the servers involved. */
  lastEvents: { node: string; lines: string[] }[];
  nodes: NodeReport[];
  /** Files written for this seed (JSON lines trace, HTML timeline), or null. */
  trace: string | null;
  timeline: string | null;
  /** With --shrink: a smaller fault schedule that still breaks the same rule. */
  shrunk?: { total: number; keep: number[]; actions: string[] } | null;
}

export interface SeedResult {
  seed: number;
  passed: boolean;
  virtualMs: number;
  wallMs: number;
  /** FNV-1a 64 of the canonical trace: the same seed and scenario always give the same hash. */
  traceHash: string;
  failure: FailureInfo | null;
  /** "Sometimes" cases this run reached, with counts (not in the JSON report). */
  cases?: [string, number][];
}

export interface ScenarioResult {
  lab: string;
  name: string;
  section: string;
  tags: string[];
  points: number;
  visibility: string;
  /** file:line of the declaration. */
  source: string;
  /** The --scenarios folder it came from, if any (the replay command needs it). */
  externalDir: string | null;
  passed: boolean;
  seeds: SeedResult[];
  wallMs: number;
  /** Required cases no seed reached (the scenario fails), or null. */
  coverageGap: string | null;
}

export type ImplKind = "student" | "solution";

export interface GradeResult {
  /** The lab argument as given ("lab2", "all"), normalized to the lab's name. */
  lab: string;
  /** The labs graded. */
  labs: string[];
  impl: ImplKind;
  /** Modules borrowed from solutions/ (--use-reference), empty otherwise. */
  useReference: string[];
  /** --keep-faults of the run (a shrunk schedule's replay), or null. */
  keepFaults: number[] | null;
  passed: boolean;
  score: { core: [number, number]; extra: [number, number] };
  scenarios: ScenarioResult[];
  wallMs: number;
  /** "all core scenarios pass: go on to lessons/02-replication.md", or what to fix first. */
  nextStep: string;
  /** A shard run covers part of the seeds: "2/4", or null. */
  shard: string | null;
}

export function scoreOf(scenarios: readonly ScenarioResult[]): GradeResult["score"] {
  const core = scenarios.filter((s) => s.tags.includes("core"));
  const extra = scenarios.filter((s) => !s.tags.includes("core"));
  return {
    core: [core.filter((s) => s.passed).length, core.length],
    extra: [extra.filter((s) => s.passed).length, extra.length],
  };
}
