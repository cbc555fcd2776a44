// The discrete-event simulator: one loop, virtual time in integer milliseconds,
// a heap of events ordered by (time, seq), seeded random streams. Nodes are
// synchronous handlers called one at a time; everything they do goes through
// the Env this file gives them, so the simulator sees (and records) all of it.
import type { Applied, Env, Json, Node, NodeFactory, NodeId, Storage, TimerId } from "../types.ts";
import { Coverage } from "./coverage.ts";
import { EventHeap } from "./heap.ts";
import type { Failure, Monitor, Violation } from "./monitor.ts";
import { type LinkFaults, Network, sampleDelayMs } from "./network.ts";
import { Prng, Streams } from "./prng.ts";
import { DEFAULT_STORAGE_LIMITS, SimStorage, type StorageLimits } from "./storage.ts";
import { type DropReason, type SimEvent, Trace, type TraceMode } from "./trace.ts";

export interface SimOptions<Msg> {
  /** 32-bit unsigned seed; the same seed and options always give the same trace hash. */
  seed: number;
  /** The servers, booted at time 0 in this order. */
  nodes: readonly NodeId[];
  factory: NodeFactory<Msg>;
  monitors?: readonly Monitor[];
  /** "ring" (default) keeps the last ringSize records; "full" keeps all, for timelines. */
  traceMode?: TraceMode;
  ringSize?: number;
  /** Link faults for every link at the start (default: no loss, delay 1-5 ms). */
  linkFaults?: LinkFaults;
  /** A run that processes more events than this fails: it is livelocked or far too chatty. */
  maxEvents?: number;
  /** More pending timers than this on one node fails the run: a timer leak. */
  maxTimersPerNode?: number;
  storageLimits?: StorageLimits;
  /**
   * After each handler, put the node's inspect() view into the trace when it
   * changed (a "state" record, for the timeline viewer). State records are not
   * part of the trace hash, so turning this on never changes the hash.
   */
  recordStates?: boolean;
}

export interface SimStats {
  events: number;
  messagesSent: number;
  bytesSent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  timersFired: number;
}

const enum QType {
  Deliver,
  Timer,
  Action,
  Resume,
}

/** One scheduled event. A single shape for every type keeps the hot loop monomorphic. */
class QEvent<Msg> {
  cancelled = false;
  constructor(
    public timeMs: number,
    public seq: number,
    readonly type: QType,
    readonly ep: Endpoint<Msg> | null,
    readonly from: NodeId,
    readonly msgId: number,
    readonly text: string,
    readonly timerId: number,
    readonly incarnation: number,
    readonly action: (() => void) | null,
  ) {}
}

interface Clock {
  anchorGlobalMs: number;
  anchorLocalMs: number;
  rate: number;
}

class Endpoint<Msg> {
  node: Node<Msg> | undefined;
  up = false;
  incarnation = 0;
  pausedUntilMs = 0;
  pausedQueue: QEvent<Msg>[] = [];
  readonly timers = new Map<TimerId, QEvent<Msg>>();
  readonly timerNames = new Map<TimerId, string>();
  clock: Clock = { anchorGlobalMs: 0, anchorLocalMs: 0, rate: 1 };
  sent = 0;
  bytesSent = 0;
  /** crashAtSync: crash instead of the n-th next sync (0: none planned). */
  crashOnSyncCountdown = 0;
  crashOnSyncTorn = false;
  constructor(
    readonly id: NodeId,
    readonly factory: NodeFactory<Msg>,
    readonly storage: SimStorage,
    readonly rng: Prng,
  ) {}
}

/** Thrown inside a handler to unwind it after the simulator recorded a failure. */
class StopRun extends Error {}

/** Thrown inside a handler when a crash planned with crashAtSync strikes: the node dies mid-handler. */
class CrashNow extends Error {
  constructor(readonly node: NodeId) {
    super(`${node} crashed before its sync`);
  }
}

export class Simulation<Msg> {
  readonly seed: number;
  readonly streams: Streams;
  readonly trace: Trace;
  readonly coverage = new Coverage();
  readonly stats: SimStats = { events: 0, messagesSent: 0, bytesSent: 0, delivered: 0, dropped: 0, duplicated: 0, timersFired: 0 };
  /** The first failure; the run stops at it. */
  failure: Failure | null = null;

  private nowMs = 0;
  private seq = 0;
  private msgCounter = 0;
  private timerCounter = 0;
  private readonly heap = new EventHeap<QEvent<Msg>>();
  private readonly network = new Network();
  private readonly endpoints = new Map<NodeId, Endpoint<Msg>>();
  private readonly monitors: readonly Monitor[];
  private readonly maxEvents: number;
  private readonly maxTimersPerNode: number;
  private readonly storageLimits: StorageLimits;
  private readonly lossRng: Prng;
  private readonly dupeRng: Prng;
  private readonly delayRng: Prng;
  /** The endpoint whose handler is running, if any (for failure reports). */
  private running: Endpoint<Msg> | null = null;
  private finished = false;
  private readonly recordStates: boolean;
  private readonly lastState = new Map<NodeId, string>();

  constructor(opts: SimOptions<Msg>) {
    this.seed = opts.seed;
    this.streams = new Streams(opts.seed);
    // Loss, duplication and delay each draw from their own stream, so turning
    // one knob does not reshuffle the others.
    this.lossRng = new Prng(opts.seed, "network:loss");
    this.dupeRng = new Prng(opts.seed, "network:dupe");
    this.delayRng = new Prng(opts.seed, "network:delay");
    this.trace = new Trace(opts.traceMode ?? "ring", opts.ringSize ?? 2000);
    this.monitors = opts.monitors ?? [];
    this.maxEvents = opts.maxEvents ?? 20_000_000;
    this.maxTimersPerNode = opts.maxTimersPerNode ?? 10_000;
    this.storageLimits = opts.storageLimits ?? DEFAULT_STORAGE_LIMITS;
    this.recordStates = opts.recordStates ?? false;
    if (new Set(opts.nodes).size !== opts.nodes.length) throw new RangeError(`duplicate node ids in ${JSON.stringify(opts.nodes)}`);
    for (const id of opts.nodes) this.network.addEndpoint(id);
    if (opts.linkFaults !== undefined) this.network.setFaults(opts.linkFaults);
    for (const id of opts.nodes) this.addNode(id, opts.factory);
  }

  // ---------------------------------------------------------------- running

  /** Global virtual time in ms. */
  now(): number {
    return this.nowMs;
  }

  /** Runs every event up to now + ms. Returns false if the run has failed. */
  runFor(ms: number): boolean {
    if (!(ms >= 0)) throw new RangeError(`runFor(${ms}): ms must be >= 0`);
    const endMs = this.nowMs + Math.floor(ms);
    while (this.failure === null) {
      const top = this.heap.peek();
      if (top === undefined || top.timeMs > endMs) break;
      this.step();
    }
    if (this.failure === null) this.nowMs = endMs;
    return this.failure === null;
  }

  /**
   * Runs until pred holds (checked before the first event and after each one)
   * or maxMs of virtual time pass. Returns whether pred held; on false check
   * `failure` to tell a timeout from a failed run.
   */
  runUntil(pred: (sim: this) => boolean, opts: { maxMs: number }): boolean {
    if (pred(this)) return true;
    const endMs = this.nowMs + Math.floor(opts.maxMs);
    while (this.failure === null) {
      const top = this.heap.peek();
      if (top === undefined || top.timeMs > endMs) {
        this.nowMs = endMs;
        return false;
      }
      this.step();
      if (this.failure === null && pred(this)) return true;
    }
    return false;
  }

  /** End-of-run checks: calls every monitor's onEnd. Returns the failure, if any. */
  finish(): Failure | null {
    if (this.finished) return this.failure;
    this.finished = true;
    for (const m of this.monitors) {
      if (this.failure !== null) break;
      if (m.onEnd === undefined) continue;
      let v: Violation | undefined;
      try {
        v = m.onEnd();
      } catch (err) {
        v = { rule: "monitor-error", message: `monitor ${m.name} threw at the end of the run: ${errorText(err)}` };
      }
      if (v !== undefined) this.fail(v);
    }
    return this.failure;
  }

  private step(): void {
    const ev = this.heap.pop()!;
    if (ev.cancelled) return;
    this.nowMs = ev.timeMs;
    if (++this.stats.events > this.maxEvents) {
      this.fail({
        rule: "event-budget",
        message: `more than ${this.maxEvents} events by t=${this.nowMs} ms: the nodes are livelocked or send far too many messages`,
      });
      return;
    }
    switch (ev.type) {
      case QType.Deliver:
        this.deliver(ev);
        break;
      case QType.Timer:
        this.fireTimer(ev);
        break;
      case QType.Action:
        try {
          ev.action!();
        } catch (err) {
          if (err instanceof CrashNow) {
            this.crash(err.node, { torn: this.ep(err.node).crashOnSyncTorn });
            break;
          }
          if (!(err instanceof StopRun)) {
            this.fail({ rule: "scenario-error", message: `a scheduled scenario action threw: ${errorText(err)}` }, err);
          }
        }
        break;
      case QType.Resume:
        this.resume(ev.ep!);
        break;
    }
  }

  private push(ev: QEvent<Msg>): void {
    this.heap.push(ev);
  }

  // ---------------------------------------------------------------- events

  private deliver(ev: QEvent<Msg>): void {
    const ep = ev.ep!;
    if (!ep.up) return this.recordDrop(ev.from, ep.id, ev.msgId, "crashed");
    if (ev.action === null && this.network.isBlocked(ev.from, ep.id)) return this.recordDrop(ev.from, ep.id, ev.msgId, "partition");
    if (ep.pausedUntilMs > this.nowMs) {
      ep.pausedQueue.push(ev);
      return;
    }
    this.stats.delivered++;
    const text = ev.text;
    this.record(new DeliverRecord(this.nowMs, ev.from, ep.id, ev.msgId, text));
    if (this.failure !== null) return;
    const msg = JSON.parse(text) as Msg;
    this.invoke(ep, `message #${ev.msgId} from ${ev.from}`, (node) => node.onMessage(ev.from, msg));
  }

  private fireTimer(ev: QEvent<Msg>): void {
    const ep = ev.ep!;
    if (!ep.up || ep.incarnation !== ev.incarnation) return;
    if (ep.pausedUntilMs > this.nowMs) {
      ep.pausedQueue.push(ev);
      return;
    }
    const name = ep.timerNames.get(ev.timerId)!;
    ep.timers.delete(ev.timerId);
    ep.timerNames.delete(ev.timerId);
    this.stats.timersFired++;
    this.record({ kind: "timer", index: 0, timeMs: this.nowMs, node: ep.id, name, timerId: ev.timerId });
    if (this.failure !== null) return;
    this.invoke(ep, `timer "${name}"`, (node) => node.onTimer(name));
  }

  private resume(ep: Endpoint<Msg>): void {
    if (!ep.up || ep.pausedUntilMs > this.nowMs || ep.pausedUntilMs === 0) return;
    ep.pausedUntilMs = 0;
    this.record({ kind: "resume", index: 0, timeMs: this.nowMs, node: ep.id });
    // What queued up during the stall now happens at once, in arrival order.
    const queued = ep.pausedQueue;
    ep.pausedQueue = [];
    for (const q of queued) {
      q.timeMs = this.nowMs;
      q.seq = this.seq++;
      this.push(q);
    }
  }

  /** Calls a node handler, turning an exception into a failure that names the node and event. */
  private invoke(ep: Endpoint<Msg>, what: string, call: (node: Node<Msg>) => void): void {
    const node = ep.node;
    if (node !== undefined) this.guarded(ep, `handling ${what}`, () => call(node));
  }

  /**
   * Runs node code (a handler, or the factory at boot): a crash planned by
   * crashAtSync strikes here, and any other throw fails the run, naming the
   * node and what it was doing.
   */
  private guarded(ep: Endpoint<Msg>, doing: string, call: () => void): void {
    this.running = ep;
    try {
      call();
    } catch (err) {
      if (err instanceof CrashNow) {
        this.running = null;
        this.crash(ep.id, { torn: ep.crashOnSyncTorn });
        return;
      }
      if (!(err instanceof StopRun)) {
        this.fail({ rule: "uncaught-exception", message: `${ep.id} threw while ${doing} at t=${this.nowMs} ms: ${errorText(err)}`, node: ep.id }, err);
      }
    } finally {
      this.running = null;
    }
    if (this.recordStates && this.failure === null) this.recordState(ep);
  }

  private recordState(ep: Endpoint<Msg>): void {
    if (ep.node?.inspect === undefined) return;
    let text: string;
    try {
      text = JSON.stringify(ep.node.inspect());
    } catch {
      return;
    }
    if (this.lastState.get(ep.id) === text) return;
    this.lastState.set(ep.id, text);
    this.trace.addUnhashed({ kind: "state", index: 0, timeMs: this.nowMs, node: ep.id, state: JSON.parse(text) as Json });
  }

  // ---------------------------------------------------------------- recording

  private record(ev: SimEvent): void {
    ev.index = this.trace.count;
    this.trace.add(ev);
    const monitors = this.monitors;
    for (let i = 0; i < monitors.length; i++) {
      let v: Violation | undefined;
      try {
        v = monitors[i].onEvent(ev);
      } catch (err) {
        v = { rule: "monitor-error", message: `monitor ${monitors[i].name} threw on event ${ev.index}: ${errorText(err)}` };
      }
      if (v !== undefined) {
        this.fail(v);
        return;
      }
    }
  }

  private recordDrop(from: NodeId, to: NodeId, msgId: number, reason: DropReason): void {
    this.stats.dropped++;
    this.record({ kind: "drop", index: 0, timeMs: this.nowMs, from, to, msgId, reason });
  }

  /** Records a failure (the first one wins) and stops the run. */
  private fail(v: Violation, err?: unknown): void {
    if (this.failure !== null) return;
    const stack = err instanceof Error ? err.stack : undefined;
    this.failure = { ...v, eventIndex: this.trace.count - 1, timeMs: this.nowMs, ...(stack !== undefined ? { stack } : {}) };
  }

  /** Fails the run from inside a node's Env call and unwinds the handler. */
  private failInHandler(v: Violation): never {
    this.fail(v);
    throw new StopRun(v.message);
  }

  // ---------------------------------------------------------------- the Env

  private makeEnv(ep: Endpoint<Msg>): Env<Msg> {
    const sim = this;
    const incarnation = ep.incarnation;
    const live = (what: string) => {
      if (!ep.up || ep.incarnation !== incarnation) {
        sim.failInHandler({ rule: "stale-env", message: `${ep.id} used env.${what} of an incarnation that has crashed`, node: ep.id });
      }
    };
    const storage: Storage = {
      read: (file) => ep.storage.read(file),
      append: (file, record) => (live("storage"), ep.storage.append(file, record)),
      truncate: (file, keep) => (live("storage"), ep.storage.truncate(file, keep)),
      replace: (file, records) => (live("storage"), ep.storage.replace(file, records)),
      sync: () => {
        live("storage");
        if (!ep.storage.dirty) return;
        if (ep.crashOnSyncCountdown > 0 && --ep.crashOnSyncCountdown === 0) throw new CrashNow(ep.id);
        ep.storage.sync();
        sim.record({ kind: "sync", index: 0, timeMs: sim.nowMs, node: ep.id });
      },
      files: () => ep.storage.files(),
    };
    return {
      id: ep.id,
      storage,
      now: () => localTime(ep.clock, sim.nowMs),
      random: () => ep.rng.next(),
      send: (to, msg) => {
        live("send");
        sim.send(ep, to, msg);
      },
      setTimer: (ms, name) => {
        live("setTimer");
        return sim.setTimer(ep, ms, name);
      },
      cancelTimer: (id) => {
        live("cancelTimer");
        sim.cancelTimer(ep, id);
      },
      apply: (entry: Applied) => {
        live("apply");
        const copy = JSON.parse(JSON.stringify(entry)) as Applied;
        sim.record({ kind: "apply", index: 0, timeMs: sim.nowMs, node: ep.id, entry: copy });
        if (sim.failure !== null) throw new StopRun("failed");
      },
      log: (event, fields) => {
        live("log");
        const copy = fields === undefined ? {} : (JSON.parse(JSON.stringify(fields)) as { [key: string]: Json });
        sim.record({ kind: "log", index: 0, timeMs: sim.nowMs, node: ep.id, event: String(event), fields: copy });
        if (sim.failure !== null) throw new StopRun("failed");
      },
    };
  }

  private send(ep: Endpoint<Msg>, to: NodeId, msg: Msg): void {
    const dest = this.endpoints.get(to);
    if (dest === undefined) {
      this.failInHandler({
        rule: "unknown-destination",
        message: `${ep.id} sent a message to "${to}", which is not a node of this cluster (nodes: ${[...this.endpoints.keys()].join(", ")})`,
        node: ep.id,
      });
    }
    const text = JSON.stringify(msg);
    if (typeof text !== "string") {
      this.failInHandler({ rule: "bad-message", message: `${ep.id} sent ${String(msg)} to ${to}: a message must be JSON data`, node: ep.id });
    }
    const msgId = ++this.msgCounter;
    ep.sent++;
    ep.bytesSent += text.length;
    this.stats.messagesSent++;
    this.stats.bytesSent += text.length;
    const from = ep.id;
    this.record(new SendRecord(this.nowMs, from, to, msgId, text.length, ep.storage.dirty, text));
    if (this.failure !== null) throw new StopRun("failed");
    if (this.network.isBlocked(from, to)) return this.recordDrop(from, to, msgId, "partition");
    const faults = this.network.faultsFor(from, to);
    if (faults.drop > 0 && this.lossRng.chance(faults.drop)) return this.recordDrop(from, to, msgId, "loss");
    this.push(new QEvent(this.nowMs + sampleDelayMs(this.delayRng, faults.delay), this.seq++, QType.Deliver, dest, from, msgId, text, 0, 0, null));
    if (faults.dupe > 0 && this.dupeRng.chance(faults.dupe)) {
      this.stats.duplicated++;
      this.record({ kind: "dupe", index: 0, timeMs: this.nowMs, from, to, msgId });
      this.push(new QEvent(this.nowMs + sampleDelayMs(this.delayRng, faults.delay), this.seq++, QType.Deliver, dest, from, msgId, text, 0, 0, null));
    }
  }

  private setTimer(ep: Endpoint<Msg>, ms: number, name: string): TimerId {
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
      this.failInHandler({ rule: "timer-misuse", message: `${ep.id} called setTimer(${String(ms)}, ${JSON.stringify(name)}): ms must be a finite number >= 0`, node: ep.id });
    }
    if (typeof name !== "string") {
      this.failInHandler({ rule: "timer-misuse", message: `${ep.id} called setTimer with a timer name that is not a string`, node: ep.id });
    }
    if (ep.timers.size >= this.maxTimersPerNode) {
      this.failInHandler({
        rule: "timer-leak",
        message: `${ep.id} has ${ep.timers.size} pending timers (limit ${this.maxTimersPerNode}): cancel a timer before setting a new one of the same kind`,
        node: ep.id,
      });
    }
    const id = ++this.timerCounter;
    const fireAt = Math.max(this.nowMs, Math.ceil(this.nowMs + ms / ep.clock.rate - 1e-9));
    const ev = new QEvent<Msg>(fireAt, this.seq++, QType.Timer, ep, "", 0, "", id, ep.incarnation, null);
    ep.timers.set(id, ev);
    ep.timerNames.set(id, name);
    this.push(ev);
    return id;
  }

  private cancelTimer(ep: Endpoint<Msg>, id: TimerId): void {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 1 || id > this.timerCounter) {
      this.failInHandler({ rule: "timer-misuse", message: `${ep.id} called cancelTimer(${String(id)}), which is not an id setTimer returned`, node: ep.id });
    }
    const ev = ep.timers.get(id);
    if (ev === undefined) return; // already fired or cancelled: harmless
    ev.cancelled = true;
    ep.timers.delete(id);
    ep.timerNames.delete(id);
  }

  // ---------------------------------------------------------------- cluster control

  /** Adds an endpoint (a new server, or a client) and boots it now. */
  addNode(id: NodeId, factory: NodeFactory<Msg>): void {
    if (this.endpoints.has(id)) throw new RangeError(`node "${id}" already exists`);
    if (typeof id !== "string" || id.length === 0) throw new RangeError("node ids must be non-empty strings");
    this.network.addEndpoint(id);
    const ep = new Endpoint<Msg>(id, factory, new SimStorage(this.storageLimits), this.streams.node(id));
    this.endpoints.set(id, ep);
    this.boot(ep, "start");
  }

  private boot(ep: Endpoint<Msg>, kind: "start" | "restart"): void {
    ep.up = true;
    ep.pausedUntilMs = 0;
    this.record({ kind, index: 0, timeMs: this.nowMs, node: ep.id });
    if (this.failure !== null) return;
    const env = this.makeEnv(ep);
    this.guarded(ep, "starting up", () => {
      ep.node = ep.factory(env);
    });
  }

  private ep(id: NodeId): Endpoint<Msg> {
    const ep = this.endpoints.get(id);
    if (ep === undefined) throw new RangeError(`unknown node "${id}"; nodes: ${[...this.endpoints.keys()].join(", ")}`);
    return ep;
  }

  /** Crashes a node: its memory and pending timers are gone, unsynced writes lost (torn: keep a torn prefix). */
  crash(id: NodeId, opts: { torn?: boolean } = {}): void {
    const ep = this.ep(id);
    if (!ep.up) return;
    ep.up = false;
    ep.node = undefined;
    ep.incarnation++;
    ep.crashOnSyncCountdown = 0;
    for (const ev of ep.timers.values()) ev.cancelled = true;
    ep.timers.clear();
    ep.timerNames.clear();
    const queued = ep.pausedQueue;
    ep.pausedQueue = [];
    ep.pausedUntilMs = 0;
    const torn = ep.storage.crash(opts.torn === true ? this.streams.faults : undefined);
    this.record({ kind: "crash", index: 0, timeMs: this.nowMs, node: id, torn });
    for (const q of queued) if (q.type === QType.Deliver && this.failure === null) this.recordDrop(q.from, id, q.msgId, "crashed");
  }

  /**
   * Plans a crash at the moment the node next calls sync() with unsynced
   * writes (or the nth such sync): the writes before it are lost (torn: the
   * first may survive torn), the rest of that handler never runs, but messages
   * it sent before the sync are already on the wire. This is the crash
   * "between a write and its sync" that persistence code must survive.
   */
  crashAtSync(id: NodeId, opts: { torn?: boolean; nth?: number } = {}): void {
    const ep = this.ep(id);
    const nth = opts.nth ?? 1;
    if (!Number.isInteger(nth) || nth < 1) throw new RangeError(`crashAtSync: nth must be a positive integer, got ${nth}`);
    ep.crashOnSyncCountdown = nth;
    ep.crashOnSyncTorn = opts.torn === true;
  }

  /** Restarts a crashed node from its durable storage, through its factory. */
  restart(id: NodeId): void {
    const ep = this.ep(id);
    if (ep.up) throw new RangeError(`restart("${id}"): the node is up; crash it first`);
    this.boot(ep, "restart");
  }

  /** Loses a node's disk entirely (synced data too). */
  wipeDisk(id: NodeId): void {
    const ep = this.ep(id);
    ep.storage.wipe();
    this.record({ kind: "wipe", index: 0, timeMs: this.nowMs, node: id });
  }

  /** Stalls a node for ms (a GC pause): its timers and incoming messages wait, then all happen at once. */
  pause(id: NodeId, ms: number): void {
    const ep = this.ep(id);
    if (!ep.up) return;
    const untilMs = Math.max(ep.pausedUntilMs, this.nowMs + Math.floor(ms));
    ep.pausedUntilMs = untilMs;
    this.record({ kind: "pause", index: 0, timeMs: this.nowMs, node: id, untilMs });
    this.push(new QEvent<Msg>(untilMs, this.seq++, QType.Resume, ep, "", 0, "", 0, ep.incarnation, null));
  }

  partition(groups: readonly (readonly NodeId[])[]): void {
    this.network.partition(groups);
    this.record({ kind: "partition", index: 0, timeMs: this.nowMs, groups: groups.map((g) => [...g]) });
  }

  /** Cuts every link to and from a node. */
  isolate(id: NodeId): void {
    this.ep(id);
    const others = [...this.endpoints.keys()].filter((x) => x !== id);
    this.partition([[id], others]);
  }

  /** Cuts one direction only: from stops reaching to, to still reaches from. */
  cutLink(from: NodeId, to: NodeId): void {
    this.ep(from);
    this.ep(to);
    this.network.cut(from, to);
    this.record({ kind: "cut", index: 0, timeMs: this.nowMs, from, to });
  }

  /** Restores every cut link (link faults such as loss stay as set). */
  heal(): void {
    this.network.heal();
    this.record({ kind: "heal", index: 0, timeMs: this.nowMs });
  }

  setLinkFaults(faults: LinkFaults, link: { from?: NodeId; to?: NodeId } = {}): void {
    if (link.from !== undefined) this.ep(link.from);
    if (link.to !== undefined) this.ep(link.to);
    const spec = this.network.setFaults(faults, link);
    this.record({ kind: "faults", index: 0, timeMs: this.nowMs, spec });
  }

  /**
   * From now on, the node's clock reads offsetMs ahead of the global clock
   * and runs driftPpm parts per million fast (negative: slow). Timers set
   * later fire on the drifted clock.
   */
  setClock(id: NodeId, clock: { driftPpm: number; offsetMs: number }): void {
    const ep = this.ep(id);
    if (!(Math.abs(clock.driftPpm) < 1_000_000) || !Number.isFinite(clock.offsetMs)) {
      throw new RangeError(`setClock: driftPpm must be within ±1e6 and offsetMs finite, got ${JSON.stringify(clock)}`);
    }
    ep.clock = { anchorGlobalMs: this.nowMs, anchorLocalMs: this.nowMs + clock.offsetMs, rate: 1 + clock.driftPpm / 1_000_000 };
    this.record({ kind: "clock", index: 0, timeMs: this.nowMs, node: id, driftPpm: clock.driftPpm, offsetMs: clock.offsetMs });
  }

  /** Runs fn at virtual time atMs (a scripted scenario step). */
  schedule(atMs: number, fn: () => void): void {
    if (!(atMs >= this.nowMs)) throw new RangeError(`schedule(${atMs}): that is in the past (now ${this.nowMs})`);
    this.push(new QEvent<Msg>(Math.floor(atMs), this.seq++, QType.Action, null, "", 0, "", 0, 0, fn));
  }

  /** Delivers a crafted message now, ignoring partitions and link faults (scripted tests). */
  inject(from: NodeId, to: NodeId, msg: Msg): void {
    this.ep(from);
    const dest = this.ep(to);
    const text = JSON.stringify(msg);
    const msgId = ++this.msgCounter;
    this.record(new SendRecord(this.nowMs, from, to, msgId, text.length, false, text));
    // A non-null action marks the delivery as injected: it bypasses partitions.
    this.push(new QEvent(this.nowMs, this.seq++, QType.Deliver, dest, from, msgId, text, 0, 0, () => {}));
  }

  /** Adds a note to the trace (a scenario step, say), so the timeline shows it. */
  note(text: string): void {
    this.record({ kind: "note", index: 0, timeMs: this.nowMs, text });
  }

  // ---------------------------------------------------------------- looking in

  /** The live node object (for tests and reports; checks must not trust it). */
  node(id: NodeId): Node<Msg> | undefined {
    return this.ep(id).node;
  }

  isUp(id: NodeId): boolean {
    return this.ep(id).up;
  }

  isPaused(id: NodeId): boolean {
    return this.ep(id).pausedUntilMs > this.nowMs;
  }

  /** Every endpoint id, in the order they were added. */
  nodeIds(): NodeId[] {
    return [...this.endpoints.keys()];
  }

  /** The node's inspect() view, or a note that it is down or has none. */
  inspect(id: NodeId): { [key: string]: Json } {
    const ep = this.ep(id);
    if (!ep.up || ep.node === undefined) return { down: true };
    if (ep.node.inspect === undefined) return {};
    try {
      return JSON.parse(JSON.stringify(ep.node.inspect())) as { [key: string]: Json };
    } catch (err) {
      return { inspectFailed: errorText(err) };
    }
  }

  /** A node's disk, for tests and reports. */
  storageOf(id: NodeId): SimStorage {
    return this.ep(id).storage;
  }

  /** The node's local clock reading now. */
  localTimeOf(id: NodeId): number {
    return localTime(this.ep(id).clock, this.nowMs);
  }

  pendingTimers(id: NodeId): string[] {
    return [...this.ep(id).timerNames.values()].sort();
  }

  sentBy(id: NodeId): { messages: number; bytes: number } {
    const ep = this.ep(id);
    return { messages: ep.sent, bytes: ep.bytesSent };
  }

  /** True when nothing is scheduled: the system is quiescent. */
  idle(): boolean {
    return this.heap.size === 0;
  }
}

function localTime(clock: Clock, globalMs: number): number {
  return clock.anchorLocalMs + (globalMs - clock.anchorGlobalMs) * clock.rate;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** Send and deliver records parse `msg` on first use, so monitors that never look pay nothing. */
abstract class MessageRecord {
  index = 0;
  private parsed: Json | undefined = undefined;
  constructor(
    readonly timeMs: number,
    readonly from: NodeId,
    readonly to: NodeId,
    readonly msgId: number,
    readonly text: string,
  ) {}
  get msg(): Json {
    if (this.parsed === undefined) this.parsed = JSON.parse(this.text) as Json;
    return this.parsed;
  }
}

class SendRecord extends MessageRecord {
  readonly kind = "send" as const;
  constructor(timeMs: number, from: NodeId, to: NodeId, msgId: number, readonly bytes: number, readonly dirty: boolean, text: string) {
    super(timeMs, from, to, msgId, text);
  }
}

class DeliverRecord extends MessageRecord {
  readonly kind = "deliver" as const;
}
