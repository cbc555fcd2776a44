// The real-time Env: runs one node in this process on the event loop, with
// file storage and a message transport supplied by the caller.
//
// Persist before send, with group commit. A node calls storage.sync() and then
// sends, believing its state durable. Here sync() only marks the storage, and
// a message sent after a sync() waits in an outbox. At the end of the
// event-loop turn the storage writes what changed and makes one fsync for all
// of it; when that fsync completes, the messages waiting for it go out. A
// message sent before any sync() still pending leaves at once, as in the
// simulator, where sync() takes no time: the node did not ask it to wait.
// Events that arrive meanwhile (during a blocking fsync they wait in the
// kernel; with a thread-pool fsync they are handled at once) have their
// writes and messages wait for the next fsync, which covers them all. So
// nothing a node says after a sync() leaves the process before what it wrote
// up to then is on disk, and a crash loses only state nobody has seen (the
// same as crashing just before the sync). Messages keep their send order.
import type { Applied, Env, Json, Node, NodeFactory, NodeId, TimerId } from "../types.ts";
import type { Histogram, Registry } from "./metrics.ts";
import type { FileStorage } from "./storage.ts";

export interface RuntimeHooks<Msg> {
  /** Sends a serialized message to another node process. */
  sendRemote(to: NodeId, text: string): void;
  /** Is this an endpoint in this process (an HTTP client slot) rather than a peer? */
  isLocal?(to: NodeId): boolean;
  /** Hands a message to a local endpoint. */
  deliverLocal?(to: NodeId, msg: Msg): void;
  onApply?(entry: Applied): void;
  onLog?(event: string, fields: { [key: string]: Json }): void;
  /** After every handler, e.g. to notice a leader change. */
  afterEvent?(): void;
  /** The node threw, or an fsync failed: the process must stop (crash-stop is the only safe reaction). */
  onFatal(err: Error): void;
}

interface Out {
  to: NodeId;
  text: string;
  /** How many sync() calls came before this message: it leaves once that many are on disk. */
  needSyncs: number;
}

/** Bounds on a runaway node. */
export const MAX_TIMERS = 10_000;
export const MAX_OUTBOX = 1_000_000;

export class RealRuntime<Msg> {
  node: Node<Msg> | null = null;
  readonly env: Env<Msg>;
  private readonly timers = new Map<TimerId, NodeJS.Timeout>();
  private timerSeq = 0;
  /** Messages not yet released, in send order (so needSyncs never decreases along it). */
  private open: Out[] = [];
  /** sync() calls the node made, and how many of them a completed fsync covers. */
  private syncsRequested = 0;
  private syncsDone = 0;
  private tickScheduled = false;
  private stopped = false;
  /** Called when the fsync under way completes after stop(). */
  private readonly idleWaiters: (() => void)[] = [];
  private readonly startMs = performance.now();
  readonly fsyncSeconds: Histogram;
  readonly handlerSeconds: Histogram;
  readonly batchMessages: Histogram;
  eventsHandled = 0;

  constructor(
    readonly id: NodeId,
    private readonly factory: NodeFactory<Msg>,
    readonly storage: FileStorage,
    private readonly hooks: RuntimeHooks<Msg>,
    registry: Registry,
  ) {
    this.fsyncSeconds = registry.histogram("raft_fsync_duration_seconds", "Time of one group-commit fsync (all files synced together).");
    this.handlerSeconds = registry.histogram("raft_handler_duration_seconds", "Time the node spends in one onMessage/onTimer call.");
    this.batchMessages = registry.histogram(
      "raft_commit_batch_messages",
      "Messages released per group commit (how many outputs shared one fsync).",
      [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    );
    const rt = this;
    this.env = {
      id,
      now: () => performance.now() - rt.startMs,
      random: () => Math.random(),
      send: (to, msg) => rt.send(to, msg),
      setTimer: (ms, name) => rt.setTimer(ms, name),
      cancelTimer: (tid) => rt.cancelTimer(tid),
      storage: {
        read: (file) => storage.read(file),
        append: (file, record) => storage.append(file, record),
        truncate: (file, keep) => storage.truncate(file, keep),
        replace: (file, records) => storage.replace(file, records),
        files: () => storage.files(),
        sync: () => {
          rt.syncsRequested++;
          storage.sync();
        },
      },
      apply: (entry) => rt.hooks.onApply?.(entry),
      log: (event, fields) => rt.hooks.onLog?.(event, fields ?? {}),
    };
  }

  /** Builds the node (it recovers from storage) and runs its first turn. */
  start(): void {
    this.run(() => {
      this.node = this.factory(this.env);
    });
  }

  /** A message from a peer process, as received. */
  deliverText(from: NodeId, text: string): void {
    let msg: Msg;
    try {
      msg = JSON.parse(text) as Msg;
    } catch {
      this.hooks.onLog?.("bad-frame", { from, bytes: text.length });
      return;
    }
    this.deliver(from, msg);
  }

  /** A message from a peer or a local client endpoint. */
  deliver(from: NodeId, msg: Msg): void {
    if (this.stopped) return;
    this.run(() => this.node?.onMessage(from, msg));
  }

  private send(to: NodeId, msg: Msg): void {
    if (this.open.length >= MAX_OUTBOX) throw new Error(`${this.id}: outbox over ${MAX_OUTBOX} messages`);
    // Serializing now is the copy the Env contract promises.
    this.open.push({ to, text: JSON.stringify(msg), needSyncs: this.syncsRequested });
  }

  private setTimer(ms: number, name: string): TimerId {
    if (!(ms >= 0)) throw new RangeError(`setTimer(${ms}, "${name}"): ms must be >= 0`);
    if (this.timers.size >= MAX_TIMERS) throw new Error(`${this.id}: more than ${MAX_TIMERS} timers pending (a timer leak?)`);
    const tid = ++this.timerSeq;
    const handle = setTimeout(() => {
      this.timers.delete(tid);
      if (!this.stopped) this.run(() => this.node?.onTimer(name));
    }, ms);
    this.timers.set(tid, handle);
    return tid;
  }

  private cancelTimer(tid: TimerId): void {
    const handle = this.timers.get(tid);
    if (handle !== undefined) {
      clearTimeout(handle);
      this.timers.delete(tid);
    }
  }

  /** Runs one node handler; any throw is fatal. */
  private run(fn: () => void): void {
    const t0 = performance.now();
    try {
      fn();
    } catch (err) {
      this.fatal(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.eventsHandled++;
    this.hooks.afterEvent?.();
    this.handlerSeconds.observe((performance.now() - t0) / 1000);
    if (!this.tickScheduled) {
      this.tickScheduled = true;
      setImmediate(() => this.tickEnd());
    }
  }

  private tickEnd(): void {
    this.tickScheduled = false;
    if (this.stopped) return;
    this.releaseReady();
    if (this.storage.busy) return; // the running flush calls tickEnd when it completes
    if (!this.storage.pending) return;
    const covers = this.syncsRequested;
    this.storage.flush(
      (err) => {
        if (err !== null) {
          this.fatal(new Error(`${this.id}: fsync failed (${err.message}); stopping, since the disk may not hold what the node believes it synced`));
          return;
        }
        if (this.stopped) {
          for (const w of this.idleWaiters.splice(0)) w();
          return;
        }
        // Every sync() made before this flush started is now on disk.
        this.syncsDone = Math.max(this.syncsDone, covers);
        this.tickEnd();
      },
      (s) => this.fsyncSeconds.observe(s),
    );
  }

  /** Releases the messages whose syncs are all done: a prefix of the outbox. */
  private releaseReady(): void {
    let n = 0;
    while (n < this.open.length && this.open[n].needSyncs <= this.syncsDone) n++;
    if (n === 0) return;
    const ready = n === this.open.length ? this.open : this.open.slice(0, n);
    this.open = n === this.open.length ? [] : this.open.slice(n);
    this.release(ready);
  }

  private release(batch: readonly Out[]): void {
    this.batchMessages.observe(batch.length);
    const { isLocal, deliverLocal } = this.hooks;
    for (const out of batch) {
      if (isLocal !== undefined && deliverLocal !== undefined && isLocal(out.to)) deliverLocal(out.to, JSON.parse(out.text) as Msg);
      else this.hooks.sendRemote(out.to, out.text);
    }
  }

  private fatal(err: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const h of this.timers.values()) clearTimeout(h);
    this.timers.clear();
    this.hooks.onFatal(err);
  }

  /**
   * Stops handling events; with flush, makes every write durable first (a
   * clean shutdown), after the fsync under way, if any, has completed.
   */
  async stop(flush: boolean): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const h of this.timers.values()) clearTimeout(h);
    this.timers.clear();
    if (this.storage.busy) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (flush) this.storage.flushSync();
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}
