// A grading worker: loads the implementation once, then runs the seeds of the
// scenarios it is sent, one job at a time. Student code runs only here, so the
// main thread can stop it (worker.terminate) when it loops or bloats.
import { parentPort, workerData } from "node:worker_threads";
import type { Monitor, SimEvent, Violation } from "../../harness/sim/index.ts";
import { loadScenarioFile } from "../load.ts";
import type { SeedResult } from "../report/model.ts";
import type { Scenario } from "../scenario.ts";
import { type ImplSpec, createSubject, implKey } from "../subjects/index.ts";
import { ModuleLoadError } from "../subjects/raft.ts";
import type { Subject } from "../subject.ts";
import { type FromWorker, type JobSpec, PROGRESS, type ToWorker } from "./protocol.ts";
import { FaultFilter } from "./faults.ts";
import { runSeed } from "./seed.ts";
import { SHRINK_BUDGET_MS, shrinkSeed } from "./shrink.ts";
import { writeTrace } from "./traces.ts";

/** Failed seeds of one scenario that get a trace file (replaying one seed writes its own). */
const MAX_FAILED_TRACES_PER_SCENARIO = 2;

const port = parentPort;
if (port === null) throw new Error("grader/run/worker.ts must run in a worker thread");
const progress = new Int32Array((workerData as { progress: SharedArrayBuffer }).progress);

function serverNumber(id: string): number {
  const m = /^n(\d+)$/.exec(id);
  return m === null ? 0 : Number(m[1]);
}

/** Writes where the run is into the shared cells (cheap: a few Int32 stores per event). */
class ProgressProbe implements Monitor {
  readonly name = "grader-progress";
  onEvent(ev: SimEvent): Violation | undefined {
    Atomics.store(progress, PROGRESS.timeMs, ev.timeMs);
    Atomics.store(progress, PROGRESS.eventIndex, ev.index);
    let handler = 0;
    let node = "";
    let from = 0;
    if (ev.kind === "deliver") {
      handler = 1;
      node = ev.to;
      from = serverNumber(ev.from);
    } else if (ev.kind === "timer") {
      handler = 2;
      node = ev.node;
    } else if (ev.kind === "start" || ev.kind === "restart") {
      handler = ev.kind === "start" ? 3 : 4;
      node = ev.node;
    }
    if (handler !== 0) {
      Atomics.store(progress, PROGRESS.node, serverNumber(node));
      Atomics.store(progress, PROGRESS.handler, handler);
      Atomics.store(progress, PROGRESS.from, from);
    }
    return undefined;
  }
}

const subjects = new Map<string, Promise<Subject>>();
function subjectFor(spec: ImplSpec): Promise<Subject> {
  const key = implKey(spec);
  let s = subjects.get(key);
  if (s === undefined) subjects.set(key, (s = createSubject(spec)));
  return s;
}

function post(msg: FromWorker): void {
  port!.postMessage(msg);
}

async function findScenario(job: JobSpec): Promise<Scenario> {
  const all = await loadScenarioFile(job.file);
  const s = all.find((x) => x.name === job.name);
  if (s === undefined) throw new Error(`scenario "${job.name}" is no longer in ${job.file}`);
  return s;
}

async function runJob(job: JobSpec): Promise<void> {
  let scenario: Scenario;
  let subject: Subject;
  try {
    scenario = await findScenario(job);
  } catch (err) {
    post({ type: "job-error", jobId: job.jobId, kind: "scenario-error", message: err instanceof Error ? err.message : String(err) });
    return;
  }
  try {
    subject = await subjectFor(job.impl);
  } catch (err) {
    // A missing or malformed module says what to do; anything else (a syntax
    // error, a throw at import time) needs its location.
    const text = err instanceof ModuleLoadError ? err.message : err instanceof Error ? `${err.name}: ${err.message}\n${(err.stack ?? "").split("\n").slice(1, 4).join("\n")}` : String(err);
    post({ type: "job-error", jobId: job.jobId, kind: "exception", message: `could not load the code under test: ${text}` });
    return;
  }
  const probe = new ProgressProbe();
  let tracesWritten = 0;
  let shrunkOne = false;
  for (const seed of job.seeds) {
    Atomics.store(progress, PROGRESS.node, 0);
    Atomics.store(progress, PROGRESS.handler, 0);
    Atomics.store(progress, PROGRESS.stepLine, 0);
    Atomics.store(progress, PROGRESS.running, 1);
    post({ type: "seed-start", jobId: job.jobId, seed });
    const wantTrace = job.trace.all;
    const keep = job.keepFaults === null ? null : new Set(job.keepFaults);
    const faults = () => (keep === null ? undefined : new FaultFilter(keep));
    const run = runSeed(scenario, subject, seed, {
      traceMode: wantTrace ? "full" : "ring",
      recordStates: wantTrace,
      monitors: [probe],
      onStep: (step) => Atomics.store(progress, PROGRESS.stepLine, step.line ?? 0),
      faults: faults(),
    });
    Atomics.store(progress, PROGRESS.running, 0);
    const result: SeedResult = {
      seed,
      passed: run.passed,
      virtualMs: run.virtualMs,
      wallMs: Math.round(run.wallMs),
      traceHash: run.traceHash,
      failure: run.failure,
      cases: run.sim?.coverage.entries() ?? [],
    };
    if (run.sim !== null && (wantTrace || (!run.passed && tracesWritten < MAX_FAILED_TRACES_PER_SCENARIO))) {
      tracesWritten++;
      // A failed ring-mode run is replayed in full for its trace file: same
      // seed, same run, so the hash must match; if it does not, the code under
      // test is not deterministic, which is a failure of its own.
      let sim = run.sim;
      let failure = run.failure;
      if (!wantTrace) {
        const again = runSeed(scenario, subject, seed, { traceMode: "full", recordStates: true, faults: faults() });
        if (again.sim !== null) sim = again.sim;
        failure = again.failure ?? failure;
        if (again.traceHash !== run.traceHash && result.failure !== null) {
          result.failure.message += ` [Warning: replaying this seed gave a different trace (hash ${again.traceHash} vs ${run.traceHash}): the code is not deterministic. Use only env.now(), env.random() and env timers; no Math.random, Date or module-level state]`;
        }
      }
      try {
        const written = await writeTrace(sim, failure, { dir: job.trace.dir, lab: job.lab, scenario: scenario.name, seed });
        if (result.failure !== null) {
          result.failure.trace = written.jsonl;
          result.failure.timeline = written.html;
        }
      } catch (err) {
        if (result.failure !== null) result.failure.message += ` [could not write the trace: ${err instanceof Error ? err.message : String(err)}]`;
      }
    }
    if (job.shrink && !shrunkOne && result.failure !== null && keep === null && (result.failure.kind === "violation" || result.failure.kind === "expectation")) {
      shrunkOne = true;
      post({ type: "busy", jobId: job.jobId, seed, ms: SHRINK_BUDGET_MS + 10 * scenario.wallMsPerSeed });
      result.failure.shrunk = shrinkSeed(scenario, subject, seed, result.failure.rule);
    }
    post({ type: "seed-done", jobId: job.jobId, result });
  }
  post({ type: "job-done", jobId: job.jobId });
}

let queue: Promise<void> = Promise.resolve();
port.on("message", (msg: ToWorker) => {
  if (msg.type === "job") queue = queue.then(() => runJob(msg.job));
});
