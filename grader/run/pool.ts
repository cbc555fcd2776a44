// A pool of grading workers with a wall-clock guard. Each job (one scenario,
// several seeds) goes to one worker, so the implementation is loaded and
// transpiled once per worker, not per seed; jobs run in parallel on the cores.
//
// The guard: a worker announces each seed; if the seed has not finished within
// the scenario's wall-clock limit, the student code is stuck (a loop that never
// returns), so the worker is terminated, the seed fails with a message saying
// where it was stuck (read from shared progress cells), the scenario's other
// seeds are marked not run, and a fresh worker takes the next job. A worker
// that exceeds its heap limit (code that grows without bound) is handled alike.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { displayPath } from "../load.ts";
import { bareFailure } from "./seed.ts";
import type { FailureInfo, SeedResult } from "../report/model.ts";
import { type FromWorker, HANDLER_KIND, type JobSpec, PROGRESS, type ToWorker } from "./protocol.ts";

export interface PoolOptions {
  /** Workers to run at once (default: the number of cores). */
  size: number;
  /** Heap limit per worker, MB. */
  heapMb: number;
  /** Wall-clock limit per seed, ms, for a job. */
  wallMsPerSeed: (job: JobSpec) => number;
  /** How long loading the implementation may take before its first seed starts. */
  loadTimeoutMs: number;
  /** Pass what the code under test prints (console.log) through to our stdout/stderr; otherwise it is dropped. */
  forwardOutput: boolean;
}

export interface PoolEvents {
  onSeedStart?(job: JobSpec, seed: number): void;
  onSeed(job: JobSpec, result: SeedResult): void;
  onJobDone(job: JobSpec): void;
}

/** How a worker starts: tsx's loader is registered inside the worker, then the TS entry is imported. */
export function bootstrapUrl(entry: URL = new URL("./worker.ts", import.meta.url)): URL {
  let api: string;
  try {
    api = import.meta.resolve("tsx/esm/api");
  } catch {
    const pkg = createRequire(import.meta.url).resolve("tsx/package.json");
    api = pathToFileURL(join(dirname(pkg), "dist/esm/api/index.mjs")).href;
  }
  const code = `const { register } = await import(${JSON.stringify(api)});\nregister();\nawait import(${JSON.stringify(entry.href)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

interface Slot {
  worker: Worker;
  progress: Int32Array;
  job: JobSpec | null;
  /** Seeds of the current job not yet reported. */
  pending: number[];
  current: number | null;
  timer: NodeJS.Timeout | null;
  dead: boolean;
}

export function runJobs(jobs: readonly JobSpec[], opts: PoolOptions, events: PoolEvents): Promise<void> {
  const queue = [...jobs];
  const boot = bootstrapUrl();
  let running = 0;
  return new Promise<void>((resolveAll) => {
    if (queue.length === 0) {
      resolveAll();
      return;
    }
    const slots: Slot[] = [];

    const finishJob = (slot: Slot) => {
      const job = slot.job!;
      slot.job = null;
      slot.pending = [];
      slot.current = null;
      clearGuard(slot);
      running--;
      events.onJobDone(job);
      dispatch(slot);
    };

    const clearGuard = (slot: Slot) => {
      if (slot.timer !== null) clearTimeout(slot.timer);
      slot.timer = null;
    };

    const armGuard = (slot: Slot, ms: number, onFire: () => void) => {
      clearGuard(slot);
      slot.timer = setTimeout(onFire, ms);
    };

    /** Fails the current seed with `failure`, marks the job's other seeds not run, and replaces the worker. */
    const abandon = (slot: Slot, failure: FailureInfo) => {
      if (slot.dead) return;
      slot.dead = true;
      clearGuard(slot);
      void slot.worker.terminate();
      const job = slot.job;
      if (job !== null) {
        const [first, ...rest] = slot.current !== null ? [slot.current, ...slot.pending.filter((s) => s !== slot.current)] : slot.pending;
        if (first !== undefined) events.onSeed(job, { seed: first, passed: false, virtualMs: failure.timeMs ?? 0, wallMs: 0, traceHash: "", failure });
        for (const seed of rest) {
          events.onSeed(job, {
            seed,
            passed: false,
            virtualMs: 0,
            wallMs: 0,
            traceHash: "",
            failure: bareFailure("not-run", "not-run", `not run: seed ${first} of this scenario ${failure.kind === "hang" ? "never returned" : "stopped its worker"}, so the grader moved on`, failure.section),
          });
        }
        running--;
        slot.job = null;
        events.onJobDone(job);
      }
      const i = slots.indexOf(slot);
      if (queue.length > 0) {
        const fresh = spawn();
        slots[i] = fresh;
        dispatch(fresh);
      } else {
        slots.splice(i, 1);
        maybeDone();
      }
    };

    const maybeDone = () => {
      if (queue.length === 0 && running === 0) {
        for (const s of slots) {
          clearGuard(s);
          if (!s.dead) {
            s.dead = true;
            void s.worker.terminate();
          }
        }
        resolveAll();
      }
    };

    /** Implementations whose loading never finished: later jobs with them fail at once instead of waiting again. */
    const unloadable = new Map<string, FailureInfo>();

    const dispatch = (slot: Slot) => {
      if (slot.dead) return;
      let job = queue.shift();
      while (job !== undefined && unloadable.has(JSON.stringify(job.impl))) {
        const failure = unloadable.get(JSON.stringify(job.impl))!;
        for (const seed of job.seeds) events.onSeed(job, { seed, passed: false, virtualMs: 0, wallMs: 0, traceHash: "", failure: { ...failure } });
        events.onJobDone(job);
        job = queue.shift();
      }
      if (job === undefined) {
        maybeDone();
        return;
      }
      running++;
      slot.job = job;
      slot.pending = [...job.seeds];
      slot.current = null;
      const key = JSON.stringify(job.impl);
      armGuard(slot, opts.loadTimeoutMs, () => {
        const failure = bareFailure(
          "load-timeout",
          "hang",
          `loading the code under test did not finish within ${Math.round(opts.loadTimeoutMs / 1000)} s of wall-clock time: does a file run a loop at the top level (outside any function)?`,
          "",
        );
        unloadable.set(key, failure);
        abandon(slot, failure);
      });
      slot.worker.postMessage({ type: "job", job } satisfies ToWorker);
    };

    const hangFailure = (slot: Slot, limitMs: number): FailureInfo => {
      const p = slot.progress;
      const node = Atomics.load(p, PROGRESS.node);
      const handler = Atomics.load(p, PROGRESS.handler);
      const from = Atomics.load(p, PROGRESS.from);
      const timeMs = Atomics.load(p, PROGRESS.timeMs);
      const index = Atomics.load(p, PROGRESS.eventIndex);
      const line = Atomics.load(p, PROGRESS.stepLine);
      const what = HANDLER_KIND[handler] ?? "an event";
      const where =
        node > 0
          ? `n${node} never returned from handling ${what}${handler === 1 && from > 0 ? ` from n${from}` : ""} (trace event #${index}, at t=${timeMs} ms)`
          : `the run stopped making progress at t=${timeMs} ms (trace event #${index})`;
      return {
        ...bareFailure(
          "infinite-loop",
          "hang",
          `${where}: the code ran for ${Math.round(limitMs / 1000)} s of wall-clock time without returning: an infinite loop (a while loop whose condition never changes, a retry with no limit) or far too much work for one event. Handlers must do a bounded amount of work and return`,
          "",
        ),
        timeMs,
        eventIndex: index,
        step: line > 0 ? `line ${line} of ${slot.job === null ? "the scenario" : displayPath(slot.job.file)}` : null,
      };
    };

    const spawn = (): Slot => {
      const shared = new SharedArrayBuffer(PROGRESS.size * Int32Array.BYTES_PER_ELEMENT);
      const worker = new Worker(boot, {
        workerData: { progress: shared },
        resourceLimits: { maxOldGenerationSizeMb: opts.heapMb },
        stdout: !opts.forwardOutput,
        stderr: !opts.forwardOutput,
      });
      if (!opts.forwardOutput) {
        // Drain and drop: a chatty implementation must not flood the report.
        worker.stdout.resume();
        worker.stderr.resume();
      }
      const slot: Slot = { worker, progress: new Int32Array(shared), job: null, pending: [], current: null, timer: null, dead: false };
      worker.on("message", (msg: FromWorker) => {
        if (slot.dead || slot.job === null || msg.jobId !== slot.job.jobId) return;
        const job = slot.job;
        switch (msg.type) {
          case "seed-start": {
            slot.current = msg.seed;
            const limit = opts.wallMsPerSeed(job);
            armGuard(slot, limit, () => abandon(slot, hangFailure(slot, limit)));
            events.onSeedStart?.(job, msg.seed);
            return;
          }
          case "busy": {
            const limit = msg.ms;
            armGuard(slot, limit, () => abandon(slot, hangFailure(slot, limit)));
            return;
          }
          case "seed-done":
            clearGuard(slot);
            slot.pending = slot.pending.filter((s) => s !== msg.result.seed);
            slot.current = null;
            events.onSeed(job, msg.result);
            return;
          case "job-done":
            finishJob(slot);
            return;
          case "job-error":
            for (const seed of slot.pending) {
              events.onSeed(job, { seed, passed: false, virtualMs: 0, wallMs: 0, traceHash: "", failure: bareFailure(msg.kind === "scenario-error" ? "scenario-error" : "load-error", msg.kind, msg.message, "") });
            }
            slot.pending = [];
            finishJob(slot);
            return;
        }
      });
      worker.on("error", (err: Error & { code?: string }) => {
        if (slot.dead) return;
        const oom = err.code === "ERR_WORKER_OUT_OF_MEMORY" || /out of memory|heap/i.test(err.message);
        const p = slot.progress;
        const timeMs = Atomics.load(p, PROGRESS.timeMs);
        const node = Atomics.load(p, PROGRESS.node);
        const failure: FailureInfo = oom
          ? {
              ...bareFailure(
                "unbounded-memory",
                "memory",
                `the run used more than ${opts.heapMb} MB of memory${node > 0 ? ` (last in n${node}'s handler, at t=${timeMs} ms)` : ""}: something grows without bound (a log, queue or map that is never trimmed, or a loop that keeps allocating)`,
                "",
              ),
              timeMs,
            }
          : { ...bareFailure("worker-crash", "crash", `the grading worker died: ${err.message}`, ""), timeMs, stack: err.stack ?? null };
        abandon(slot, failure);
      });
      worker.on("exit", (code) => {
        if (slot.dead) return;
        abandon(slot, bareFailure("worker-crash", "crash", `the grading worker exited with code ${code} (does the code call process.exit?)`, ""));
      });
      return slot;
    };

    const size = Math.max(1, Math.min(opts.size, queue.length));
    for (let i = 0; i < size; i++) slots.push(spawn());
    for (const s of [...slots]) dispatch(s);
  });
}
