// Messages between the audit's main thread and its workers. A task is one
// implementation (the reference with some bug switches on) and a list of
// (scenario, seed) runs, in the order to try them; a mutant's task stops at its
// first failed run, the clean reference's runs them all.
import type { FailureKind } from "../report/model.ts";

export interface AuditRun {
  /** Position in the whole task (kept when a task is continued on a fresh worker). */
  index: number;
  /** The scenario file (absolute) and the scenario's name in it. */
  file: string;
  name: string;
  /** The scenario's lab (for trace folders). */
  lab: string;
  seed: number;
}

export interface AuditTask {
  taskId: number;
  /** Bug switches to turn on (solutions/bugs.ts); empty for the clean reference. */
  bugs: string[];
  runs: AuditRun[];
  stopAtFirstFailure: boolean;
  /** Write the trace and timeline of a failed run under this folder (null: none). */
  traceDir: string | null;
}

export interface RunOutcome {
  passed: boolean;
  /** The broken rule ("election-safety", "expected-committed", "infinite-loop"...), null if passed. */
  rule: string | null;
  kind: FailureKind | "audit-error" | null;
  message: string | null;
  /** Virtual time of the failure (or of the end of the run), ms. */
  virtualMs: number;
  wallMs: number;
  /** Trace events of the run: its cost, measured deterministically (wall time varies with the machine's load). */
  events: number;
  /** The trace file (JSON lines) and HTML timeline written for a failed run, if asked. */
  trace: string | null;
  timeline: string | null;
}

export type ToAuditWorker = { type: "task"; task: AuditTask };

export type FromAuditWorker =
  | { type: "run-start"; taskId: number; index: number }
  | { type: "run-done"; taskId: number; index: number; outcome: RunOutcome }
  | { type: "task-done"; taskId: number }
  /** The task could not run: a scenario or the reference failed to load. */
  | { type: "task-error"; taskId: number; message: string };
