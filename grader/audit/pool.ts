// The audit's worker pool: one thread per core, kept for the whole audit (the
// reference is loaded once per thread), one task at a time per thread. The
// guard is the grader's (grader/run/pool.ts): a run that outlives its
// scenario's wall-clock limit, or a thread that outgrows its heap, is stopped;
// for a mutant that is a kill like any other (the grader would fail that seed),
// and a task that must go on continues on a fresh thread.
import { Worker } from "node:worker_threads";
import { bootstrapUrl } from "../run/pool.ts";
import type { AuditRun, AuditTask, FromAuditWorker, RunOutcome, ToAuditWorker } from "./protocol.ts";

export interface AuditPoolOptions {
  /** Threads to run at once. */
  size: number;
  /** Heap limit per thread, MB. */
  heapMb: number;
  /** Wall-clock limit of one run, ms. */
  wallMsFor: (run: AuditRun) => number;
  /** How long loading the reference and a scenario may take before a task's first run starts. */
  loadTimeoutMs: number;
}

export interface AuditPoolEvents {
  onRun(task: AuditTask, run: AuditRun, outcome: RunOutcome): void;
  /** The task is over (all runs, or its first failure); wallMs counts from its dispatch, restarts included. */
  onTaskDone(task: AuditTask, wallMs: number): void;
}


interface Slot {
  worker: Worker;
  /** The task as sent to this thread (a continuation holds only the runs left). */
  part: AuditTask | null;
  /** The task as submitted, for the events. */
  whole: AuditTask | null;
  /** Position in part.runs of the next run not yet reported. */
  pos: number;
  timer: NodeJS.Timeout | null;
  dead: boolean;
}

interface Queued {
  part: AuditTask;
  whole: AuditTask;
}

function failed(rule: string, kind: RunOutcome["kind"], message: string): RunOutcome {
  return { passed: false, rule, kind, message, virtualMs: 0, wallMs: 0, events: 0, trace: null, timeline: null };
}

export class AuditPool {
  private readonly boot = bootstrapUrl(new URL("./worker.ts", import.meta.url));
  private readonly slots: Slot[] = [];
  private readonly queue: Queued[] = [];
  private readonly started = new Map<number, number>();
  private events: AuditPoolEvents | null = null;
  private running = 0;
  private settle: (() => void) | null = null;

  constructor(private readonly opts: AuditPoolOptions) {}

  /** Runs the tasks (in order, as threads free up) and resolves when all are done. */
  run(tasks: readonly AuditTask[], events: AuditPoolEvents): Promise<void> {
    if (this.settle !== null) throw new Error("AuditPool.run is already running");
    this.events = events;
    for (const t of tasks) this.queue.push({ part: t, whole: t });
    return new Promise<void>((resolve) => {
      this.settle = resolve;
      while (this.slots.length < Math.min(this.opts.size, this.queue.length)) this.slots.push(this.spawn());
      for (const s of this.slots) if (s.part === null) this.dispatch(s);
      this.maybeDone();
    });
  }

  /** Stops every thread. */
  async close(): Promise<void> {
    const all = this.slots.splice(0);
    for (const s of all) {
      s.dead = true;
      this.clearGuard(s);
    }
    await Promise.all(all.map((s) => s.worker.terminate()));
  }

  private maybeDone(): void {
    if (this.queue.length > 0 || this.running > 0 || this.settle === null) return;
    const done = this.settle;
    this.settle = null;
    this.events = null;
    done();
  }

  private dispatch(slot: Slot): void {
    if (slot.dead) return;
    const next = this.queue.shift();
    if (next === undefined) {
      this.maybeDone();
      return;
    }
    this.running++;
    slot.part = next.part;
    slot.whole = next.whole;
    slot.pos = 0;
    if (!this.started.has(next.whole.taskId)) this.started.set(next.whole.taskId, performance.now());
    this.armLoadGuard(slot);
    slot.worker.postMessage({ type: "task", task: next.part } satisfies ToAuditWorker);
  }

  private finish(slot: Slot): void {
    const whole = slot.whole!;
    slot.part = null;
    slot.whole = null;
    slot.pos = 0;
    this.clearGuard(slot);
    this.running--;
    this.taskDone(whole);
    this.dispatch(slot);
  }

  private taskDone(whole: AuditTask): void {
    const t0 = this.started.get(whole.taskId) ?? performance.now();
    this.started.delete(whole.taskId);
    this.events?.onTaskDone(whole, Math.round(performance.now() - t0));
  }

  private armLoadGuard(slot: Slot): void {
    this.armGuard(slot, this.opts.loadTimeoutMs, () =>
      this.abandon(
        slot,
        failed("audit-error", "audit-error", `loading the reference or a scenario file took more than ${Math.round(this.opts.loadTimeoutMs / 1000)} s (does a scenario file run a loop at its top level?)`),
      ),
    );
  }

  private clearGuard(slot: Slot): void {
    if (slot.timer !== null) clearTimeout(slot.timer);
    slot.timer = null;
  }

  private armGuard(slot: Slot, ms: number, onFire: () => void): void {
    this.clearGuard(slot);
    slot.timer = setTimeout(onFire, ms);
  }

  /**
   * The thread is stuck or gone: the run under way (or, before any, the first)
   * gets `outcome`; the task ends there if it stops at its first failure or the
   * outcome is the audit's own error, else the rest goes on a fresh thread.
   */
  private abandon(slot: Slot, outcome: RunOutcome): void {
    if (slot.dead) return;
    slot.dead = true;
    this.clearGuard(slot);
    void slot.worker.terminate();
    const part = slot.part;
    const whole = slot.whole;
    const i = this.slots.indexOf(slot);
    if (part !== null && whole !== null) {
      const run = part.runs[slot.pos];
      const rest = part.runs.slice(slot.pos + 1);
      if (run !== undefined) this.events?.onRun(whole, run, outcome);
      this.running--;
      if (rest.length > 0 && !part.stopAtFirstFailure && outcome.kind !== "audit-error") {
        this.queue.unshift({ part: { ...part, runs: rest }, whole });
      } else {
        this.taskDone(whole);
      }
    }
    if (this.queue.length > 0) {
      const fresh = this.spawn();
      this.slots[i] = fresh;
      this.dispatch(fresh);
    } else {
      this.slots.splice(i, 1);
      this.maybeDone();
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.boot, { resourceLimits: { maxOldGenerationSizeMb: this.opts.heapMb }, stdout: true, stderr: true });
    // What the reference prints is not the audit's output.
    worker.stdout.resume();
    worker.stderr.resume();
    const slot: Slot = { worker, part: null, whole: null, pos: 0, timer: null, dead: false };
    worker.on("message", (msg: FromAuditWorker) => this.onMessage(slot, msg));
    worker.on("error", (err: Error & { code?: string }) => {
      const oom = err.code === "ERR_WORKER_OUT_OF_MEMORY" || /out of memory|heap/i.test(err.message);
      this.abandon(
        slot,
        oom
          ? failed("unbounded-memory", "memory", `the run used more than ${this.opts.heapMb} MB of memory`)
          : failed("worker-crash", "crash", `the audit worker died: ${err.message}`),
      );
    });
    worker.on("exit", (code) => this.abandon(slot, failed("worker-crash", "crash", `the audit worker exited with code ${code}`)));
    return slot;
  }

  private onMessage(slot: Slot, msg: FromAuditWorker): void {
    const part = slot.part;
    const whole = slot.whole;
    if (slot.dead || part === null || whole === null || msg.taskId !== part.taskId) return;
    switch (msg.type) {
      case "run-start": {
        const pos = part.runs.findIndex((r) => r.index === msg.index);
        if (pos >= 0) {
          slot.pos = pos;
          const run = part.runs[pos];
          const limit = this.opts.wallMsFor(run);
          this.armGuard(slot, limit, () =>
            this.abandon(
              slot,
              failed("infinite-loop", "hang", `the run did not finish within ${Math.round(limit / 1000)} s of wall-clock time (the grader's limit for this scenario), so it was stopped`),
            ),
          );
        }
        return;
      }
      case "run-done": {
        const pos = part.runs.findIndex((r) => r.index === msg.index);
        if (pos >= 0) {
          slot.pos = pos + 1;
          this.events?.onRun(whole, part.runs[pos], msg.outcome);
        }
        // Until the next run starts, the thread loads its scenario: guarded too.
        this.armLoadGuard(slot);
        return;
      }
      case "task-done":
        this.finish(slot);
        return;
      case "task-error": {
        const run = part.runs[slot.pos];
        if (run !== undefined) this.events?.onRun(whole, run, failed("audit-error", "audit-error", msg.message));
        this.finish(slot);
        return;
      }
    }
  }
}
