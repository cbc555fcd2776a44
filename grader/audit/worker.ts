// An audit worker: loads the reference once, then runs each task's
// (scenario, seed) pairs with the task's bug switches added to the scenario's
// config, in order, stopping at the first failure when asked. Ring traces only:
// the audit needs the verdict, not the trace (the grader replays a kill with one).
import { parentPort } from "node:worker_threads";
import { RAFT_MODULES } from "../labs.ts";
import { loadScenarioFile } from "../load.ts";
import { runSeed } from "../run/seed.ts";
import { writeTrace } from "../run/traces.ts";
import type { Scenario } from "../scenario.ts";
import type { Subject } from "../subject.ts";
import { createSubject } from "../subjects/index.ts";
import type { ModuleTable } from "../subjects/raft.ts";
import type { AuditRun, AuditTask, FromAuditWorker, RunOutcome, ToAuditWorker } from "./protocol.ts";

const port = parentPort;
if (port === null) throw new Error("grader/audit/worker.ts must run in a worker thread");

const REFERENCE: ModuleTable = Object.fromEntries(RAFT_MODULES.map((m) => [m, "solutions"])) as unknown as ModuleTable;
let subject: Promise<Subject> | null = null;

function post(msg: FromAuditWorker): void {
  port!.postMessage(msg);
}

/** The scenario as written, with the bug switches added to its config. */
async function mutated(run: AuditRun, bugs: readonly string[]): Promise<Scenario> {
  const s = (await loadScenarioFile(run.file)).find((x) => x.name === run.name);
  if (s === undefined) throw new Error(`scenario "${run.name}" is no longer in ${run.file}`);
  if (bugs.length === 0) return s;
  const own = Array.isArray(s.config.bugs) ? s.config.bugs.map(String) : [];
  return { ...s, config: { ...s.config, bugs: [...new Set([...own, ...bugs])] } };
}

async function runTask(task: AuditTask): Promise<void> {
  let subj: Subject;
  try {
    subject ??= createSubject({ subject: "raft", modules: REFERENCE });
    subj = await subject;
  } catch (err) {
    post({ type: "task-error", taskId: task.taskId, message: `could not load the reference: ${err instanceof Error ? err.message : String(err)}` });
    return;
  }
  for (const run of task.runs) {
    let scenario: Scenario;
    try {
      scenario = await mutated(run, task.bugs);
    } catch (err) {
      post({ type: "task-error", taskId: task.taskId, message: err instanceof Error ? err.message : String(err) });
      return;
    }
    post({ type: "run-start", taskId: task.taskId, index: run.index });
    const r = runSeed(scenario, subj, run.seed, { traceMode: "ring", recordStates: false });
    const f = r.failure;
    const outcome: RunOutcome = {
      passed: r.passed,
      rule: f?.rule ?? null,
      kind: f?.kind ?? null,
      message: f?.message ?? null,
      virtualMs: f?.timeMs ?? r.virtualMs,
      wallMs: Math.round(r.wallMs),
      events: r.sim?.trace.count ?? 0,
      trace: null,
      timeline: null,
    };
    if (!r.passed && task.traceDir !== null) {
      // The same seed again with a full trace: deterministic, so the same failure.
      const again = runSeed(scenario, subj, run.seed, { traceMode: "full", recordStates: true });
      if (again.sim !== null) {
        try {
          const w = await writeTrace(again.sim, again.failure ?? f, { dir: task.traceDir, lab: run.lab, scenario: run.name, seed: run.seed });
          outcome.trace = w.jsonl;
          outcome.timeline = w.html;
        } catch (err) {
          outcome.message = `${outcome.message ?? ""} [could not write the trace: ${err instanceof Error ? err.message : String(err)}]`;
        }
      }
    }
    post({ type: "run-done", taskId: task.taskId, index: run.index, outcome });
    if (!r.passed && task.stopAtFirstFailure) break;
  }
  post({ type: "task-done", taskId: task.taskId });
}

let queue: Promise<void> = Promise.resolve();
port.on("message", (msg: ToAuditWorker) => {
  if (msg.type !== "task") return;
  const { taskId } = msg.task;
  // A throw outside the code under test (runSeed reports those) is the audit's own error.
  queue = queue.then(() => runTask(msg.task)).catch((err: unknown) => post({ type: "task-error", taskId, message: `the audit worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` }));
});
