// Messages between the grader's main thread and its workers, and the layout of
// the shared progress cells the wall-clock guard reads while a worker is stuck.
import type { SeedResult } from "../report/model.ts";
import type { ImplSpec } from "../subjects/index.ts";

export interface TraceSpec {
  /** Folder for trace files (.grade/traces by default). */
  dir: string;
  /** Write a trace for every seed, not only failed ones. */
  all: boolean;
}

export interface JobSpec {
  jobId: number;
  lab: string;
  /** The scenario file (absolute) and the scenario's name in it. */
  file: string;
  name: string;
  impl: ImplSpec;
  seeds: number[];
  trace: TraceSpec;
  /** --shrink: shrink the fault schedule of the first failing seed. */
  shrink: boolean;
  /** --keep-faults: apply only these fault actions (replaying a shrunk schedule). */
  keepFaults: number[] | null;
}

export type ToWorker = { type: "job"; job: JobSpec };

export type FromWorker =
  | { type: "seed-start"; jobId: number; seed: number }
  /** The worker starts a long task (shrinking) for this seed: the guard allows ms. */
  | { type: "busy"; jobId: number; seed: number; ms: number }
  | { type: "seed-done"; jobId: number; result: SeedResult }
  | { type: "job-done"; jobId: number }
  /** The job could not start: the scenario or the implementation failed to load. */
  | { type: "job-error"; jobId: number; message: string; kind: "scenario-error" | "exception" };

/**
 * Int32 cells a worker updates on every trace event, so the main thread can say
 * where a stuck worker is even though the worker cannot answer.
 */
export const PROGRESS = {
  /** Virtual time of the last event. */
  timeMs: 0,
  /** Trace index of the last event. */
  eventIndex: 1,
  /** Server number (n3 -> 3) whose handler the last handler event started; 0 if unknown. */
  node: 2,
  /** What that handler handles: see HANDLER_KIND. */
  handler: 3,
  /** For a message: the sender's server number (0 if not a server); for a timer: 0. */
  from: 4,
  /** 1 while a seed runs, 0 between seeds. */
  running: 5,
  /** Source line of the step that is running (0 if unknown). */
  stepLine: 6,
  size: 7,
} as const;

export const HANDLER_KIND = ["nothing yet", "a message", "a timer", "start-up", "restart"] as const;
