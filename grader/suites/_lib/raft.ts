// Helpers for the Raft scenarios of labs 1-3 (not a suite: the loader skips
// folders whose name starts with "_").
//
// Scenarios observe the cluster in two ways. Safety is judged from the wire
// and the trace, never from a node's memory: the harness's Raft monitors run
// in every scenario, and a scenario adds its own checks as watchers
// (ctx.cluster.observer.watch). A node's RaftState is read only to steer a
// script (who is leader, how long a log is) and to check what a restart
// restored, which is exactly the state under test there. Setting up state
// directly (Figure 7 logs) is done through the node's own persist/restore.
import type { AppendEntries, EntryData, Msg, RaftMessage } from "../../../harness/raft/messages.ts";
import { isRaftMessage } from "../../../harness/raft/messages.ts";
import { type SimEvent, type SwarmPlan, type Violation, healAll, runNemesis, sampleSwarm } from "../../../harness/sim/index.ts";
import type { Json, NodeId } from "../../../harness/types.ts";
import { ELECTION_TIMER, type RaftNode } from "../../../labs/given/node.ts";
import type { RaftState } from "../../../labs/given/state.ts";
import { SWARM_KINDS, type ScenarioContext, type Step } from "../../api.ts";

/**
 * The configuration of every core scenario: PreVote and CheckQuorum are
 * extras (their scenarios turn them on), so a core scenario passes without them.
 */
export const CORE: Readonly<Record<string, Json>> = { preVote: false, checkQuorum: false };
/** The extras' configuration, as the reference runs by default. */
export const EXTRAS: Readonly<Record<string, Json>> = { preVote: true, checkQuorum: true };

/** Thrown by the helpers when the simulator already recorded a failure: the step ends quietly and the runner reports that failure. */
class Stopped extends Error {}

/** A code step. The helpers below end it early, without masking it, when a monitor has already failed the run. */
export function code(label: string, fn: (ctx: ScenarioContext) => void): Step {
  return {
    do: "code",
    label,
    fn: (ctx) => {
      try {
        fn(ctx);
      } catch (err) {
        if (!(err instanceof Stopped)) throw err;
      }
    },
  };
}

function check(ctx: ScenarioContext): void {
  if (ctx.sim.failure !== null) throw new Stopped();
}

/** Runs ms of virtual time. */
export function runFor(ctx: ScenarioContext, ms: number): void {
  ctx.sim.runFor(ms);
  check(ctx);
}

/** Runs until pred holds (checked after every event); false if ms passed first. */
export function runUntil(ctx: ScenarioContext, pred: () => boolean, ms: number): boolean {
  const ok = ctx.sim.runUntil(pred, { maxMs: ms });
  check(ctx);
  return ok;
}

/** Runs until pred holds, or fails the seed with rule and the message `what()` gives. */
export function waitFor(ctx: ScenarioContext, pred: () => boolean, ms: number, rule: string, what: () => string): void {
  if (!runUntil(ctx, pred, ms)) ctx.fail(rule, what());
}

// ------------------------------------------------------------------ looking

/** A live server's RaftState, or undefined if it is down. */
export function state(ctx: ScenarioContext, id: NodeId): RaftState | undefined {
  const node = ctx.sim.node(id) as Partial<RaftNode> | undefined;
  return node?.state;
}

/** A live server's RaftState; fails the seed if it is down. */
export function stateOf(ctx: ScenarioContext, id: NodeId): RaftState {
  const s = state(ctx, id);
  if (s === undefined) ctx.fail("scenario-error", `the scenario needs ${id} up, but it is down`);
  return s;
}

/** "n1 leader t3, n2 follower t3, n3 down". */
export function roles(ctx: ScenarioContext, ids: readonly NodeId[] = ctx.cluster.servers): string {
  return ids
    .map((id) => {
      const s = state(ctx, id);
      return s === undefined ? `${id} down` : `${id} ${s.role} t${s.currentTerm}`;
    })
    .join(", ");
}

/** The leader of the newest term, if exactly one server leads it. */
export function leader(ctx: ScenarioContext, among: readonly NodeId[] = ctx.cluster.servers): NodeId | undefined {
  let best: { id: NodeId; term: number } | undefined;
  let tie = false;
  for (const id of among) {
    const s = state(ctx, id);
    if (s === undefined || s.role !== "leader") continue;
    if (best === undefined || s.currentTerm > best.term) {
      best = { id, term: s.currentTerm };
      tie = false;
    } else if (s.currentTerm === best.term) tie = true;
  }
  return tie ? undefined : best?.id;
}

/** A short description of the scenario's cluster and link faults, for messages. */
export function setting(ctx: ScenarioContext): string {
  const sc = ctx.cluster.scenario;
  const f = sc.faults;
  const parts: string[] = [];
  if ((f.drop ?? 0) > 0) parts.push(`drop ${f.drop}`);
  if ((f.dupe ?? 0) > 0) parts.push(`dupe ${f.dupe}`);
  if (f.delayMs !== undefined) parts.push(`delay ${JSON.stringify(f.delayMs)}`);
  return `${sc.nodes} nodes, ${parts.length === 0 ? "no faults" : parts.join(", ")}`;
}

/**
 * Runs until one server leads (of the newest term, among `among`), or fails
 * with a message that says what the servers did instead.
 */
export function electLeader(ctx: ScenarioContext, withinMs: number, among: readonly NodeId[] = ctx.cluster.servers): NodeId {
  const t0 = ctx.sim.now();
  const ok = runUntil(ctx, () => leader(ctx, among) !== undefined, withinMs);
  const l = leader(ctx, among);
  if (ok && l !== undefined) return l;
  const up = among.filter((id) => state(ctx, id) !== undefined);
  const timers = up.filter((id) => ctx.sim.pendingTimers(id).includes(ELECTION_TIMER));
  const maxTerm = Math.max(0, ...up.map((id) => state(ctx, id)!.currentTerm));
  let hint: string;
  if (maxTerm === 0 && timers.length === 0) {
    hint = `no server has an election timer armed, so none ever starts an election: start() must make the server a follower with its election timer set (§5.2)`;
  } else if (maxTerm === 0) {
    hint = `election timers are armed but no server ever became a candidate: onElectionTimeout must start an election (becomeCandidate: term + 1, vote for itself, RequestVote to the others)`;
  } else {
    hint = `servers reached term ${maxTerm} without any winning: are votes granted (handleRequestVote), counted (handleRequestVoteReply) and is a majority turned into becomeLeader? Are election timeouts random?`;
  }
  return ctx.fail("no-leader-elected", `no leader elected within ${withinMs} ms of virtual time (${setting(ctx)}; from t=${t0} ms): ${roles(ctx, among)}. ${hint}`);
}

/**
 * Runs until one server leads and every up server of `among` is in its term
 * (no candidate of a newer term is about to depose it): the moment to hand it
 * proposals. Fails like electLeader.
 */
export function stableLeader(ctx: ScenarioContext, withinMs: number, among: readonly NodeId[] = ctx.cluster.servers): NodeId {
  const settled = () => {
    const l = leader(ctx, among);
    if (l === undefined) return false;
    const t = state(ctx, l)!.currentTerm;
    return among.every((id) => {
      const s = state(ctx, id);
      return s === undefined || (s.currentTerm === t && (id === l || s.role === "follower"));
    });
  };
  const t0 = ctx.sim.now();
  if (runUntil(ctx, settled, withinMs)) return leader(ctx, among)!;
  const l = electLeader(ctx, 1, among);
  return ctx.fail("no-stable-leader", `${l} leads, but within ${withinMs} ms (from t=${t0} ms) the servers never all settled into its term: ${roles(ctx, among)}`);
}

// ------------------------------------------------------------------ the wire

/** The Raft message of a send or deliver event, if it is one. */
export function raftMsg(ev: SimEvent): RaftMessage | undefined {
  if (ev.kind !== "send" && ev.kind !== "deliver") return undefined;
  const m = ev.msg as { type?: unknown } | null;
  if (m === null || typeof m !== "object" || typeof m.type !== "string") return undefined;
  const msg = m as unknown as Msg;
  return isRaftMessage(msg) ? msg : undefined;
}

/** Watches every Raft message sent; return a Violation to fail the run. */
export function onSend(ctx: ScenarioContext, fn: (from: NodeId, to: NodeId, msg: RaftMessage, ev: SimEvent) => Violation | undefined): void {
  ctx.cluster.observer.watch((ev) => {
    if (ev.kind !== "send") return undefined;
    const m = raftMsg(ev);
    return m === undefined ? undefined : fn(ev.from, ev.to, m, ev);
  });
}

/** Counts Raft messages sent from now on, by type; read .total and .byType. */
export class MessageCounter {
  total = 0;
  readonly byType = new Map<string, number>();
  constructor(
    ctx: ScenarioContext,
    private readonly filter: (from: NodeId, to: NodeId, msg: RaftMessage) => boolean = () => true,
  ) {
    onSend(ctx, (from, to, msg) => {
      if (this.filter(from, to, msg)) {
        this.total++;
        this.byType.set(msg.type, (this.byType.get(msg.type) ?? 0) + 1);
      }
      return undefined;
    });
  }

  reset(): void {
    this.total = 0;
    this.byType.clear();
  }

  describe(): string {
    return [...this.byType.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([t, n]) => `${t} ${n}`)
      .join(", ");
  }
}

// ------------------------------------------------------------------ acting

/** Makes a server's election timer fire after ms (a scripted election): it is re-armed, as if drawn that short. */
export function fireElectionTimer(ctx: ScenarioContext, id: NodeId, ms = 1): void {
  stateOf(ctx, id).setTimer(ELECTION_TIMER, ms);
}

/** The endpoint crafted messages come from: not a server, so no monitor mistakes it for one. */
export const INTRUDER = "x";

/** Delivers a crafted message from the intruder to a server now, and runs the events of this instant. */
export function inject(ctx: ScenarioContext, to: NodeId, msg: Msg): void {
  if (!ctx.sim.nodeIds().includes(INTRUDER)) ctx.sim.addNode(INTRUDER, () => ({ onMessage() {}, onTimer() {} }));
  ctx.sim.inject(INTRUDER, to, msg as unknown as Json);
  runFor(ctx, 0);
}

/** Delivers a crafted message that claims to come from `from` (a copy of what that server sent or could send). */
export function injectAs(ctx: ScenarioContext, from: NodeId, to: NodeId, msg: Msg): void {
  ctx.sim.inject(from, to, msg as unknown as Json);
  runFor(ctx, 0);
}

/** Proposals handed to a server; returns their values (see Cluster.propose). */
export function propose(ctx: ScenarioContext, to: NodeId, count: number): string[] {
  return ctx.cluster.propose([to], count);
}

/** Runs until every server of `on` applied every value, or fails. */
export function expectApplied(ctx: ScenarioContext, values: readonly string[], on: readonly NodeId[], withinMs: number): void {
  const missing = () => on.filter((id) => values.some((v) => !(ctx.cluster.observer.applied.get(id)?.has(v) ?? false)));
  waitFor(ctx, () => missing().length === 0, withinMs, "expected-committed", () => {
    const counts = on.map((id) => `${id} ${values.filter((v) => ctx.cluster.observer.applied.get(id)?.has(v) ?? false).length}/${values.length}`).join(", ");
    return `${values.length} proposals were not all applied within ${withinMs} ms on ${missing().join(", ")} (applied: ${counts}; ${roles(ctx)})`;
  });
}

/** From now on, fails the run if any server applies one of these values (proposals that must never commit). */
export function forbidApplied(ctx: ScenarioContext, values: readonly string[], why: string, section: string): void {
  const bad = new Set(values);
  ctx.cluster.observer.watch((ev) => {
    if (ev.kind !== "apply") return undefined;
    const v = ctx.cluster.subject.proposalOf(ev.entry);
    if (v === undefined || !bad.has(v)) return undefined;
    return { rule: "applied-uncommittable", message: `${ev.node} applied proposal ${v} at index ${ev.entry.index}: ${why}`, section, node: ev.node };
  });
}

/** A command entry for a log set up directly: its content is derived from (index, term), so equal (index, term) means equal entries. */
export function setupEntryData(index: number, term: number): EntryData {
  return { kind: "command", command: { clientId: `setup-${index}-${term}`, seq: 1, op: { op: "set", key: "setup", value: `${index}.${term}` } } };
}

/**
 * Gives a server the log with these terms (index 1 first) and this current
 * term, through its own persist(), then crashes and restarts it so that it
 * boots from that state (its restore() reads it back). Call at time 0.
 */
export function setupLog(ctx: ScenarioContext, id: NodeId, terms: readonly number[], currentTerm: number, votedFor: NodeId | null = null): void {
  const s = stateOf(ctx, id);
  s.currentTerm = currentTerm;
  s.votedFor = votedFor;
  s.log.truncateFrom(1);
  s.log.append(terms.map((term, i) => ({ index: i + 1, term, data: setupEntryData(i + 1, term) })));
  s.modules.persistence.persist(s);
  ctx.sim.crash(id);
  ctx.sim.restart(id);
  check(ctx);
  const r = stateOf(ctx, id);
  const got = r.log.all().map((e) => e.term);
  if (r.currentTerm !== currentTerm || r.votedFor !== votedFor || got.join(",") !== terms.join(",")) {
    ctx.fail(
      "scenario-setup",
      `could not set up ${id}'s state through persist() and restore(): wrote term ${currentTerm}, votedFor ${votedFor} and log terms [${terms.join(" ")}], read back term ${r.currentTerm}, votedFor ${r.votedFor} and [${got.join(" ")}]`,
    );
  }
}

/** A copy of the AppendEntries the leader would send now to carry entries [from, to] (for stale/duplicate injections). */
export function appendEntriesCopy(s: RaftState, from: number, to: number, leaderCommit: number): AppendEntries {
  const prevLogIndex = from - 1;
  return {
    type: "AppendEntries",
    term: s.currentTerm,
    leaderId: s.id,
    prevLogIndex,
    prevLogTerm: s.log.term(prevLogIndex) ?? 0,
    entries: s.log.slice(from, to),
    leaderCommit,
    round: 0,
  };
}

/** A violation in the shape watchers return. */
export function violation(rule: string, message: string, section: string, node?: NodeId): Violation {
  return node === undefined ? { rule, message, section } : { rule, message, section, node };
}

/** Every entry each server applied, as index -> term, over all its incarnations (a restart re-applies the same). */
export class AppliedEntries {
  readonly byNode = new Map<NodeId, Map<number, number>>();
  constructor(ctx: ScenarioContext) {
    ctx.cluster.observer.watch((ev) => {
      if (ev.kind !== "apply" || ev.entry.kind !== "entry") return undefined;
      let m = this.byNode.get(ev.node);
      if (m === undefined) this.byNode.set(ev.node, (m = new Map()));
      m.set(ev.entry.index, ev.entry.term);
      return undefined;
    });
  }

  /** The highest index a server applied (0 if none). */
  highest(id: NodeId): number {
    let max = 0;
    for (const i of this.byNode.get(id)?.keys() ?? []) if (i > max) max = i;
    return max;
  }

  termAt(id: NodeId, index: number): number | undefined {
    return this.byNode.get(id)?.get(index);
  }
}

/** Runs until every server of `on` applied index `index` or beyond, or fails. */
export function expectAppliedIndex(ctx: ScenarioContext, applied: AppliedEntries, index: number, on: readonly NodeId[], withinMs: number, why: string): void {
  const short = () => on.filter((id) => applied.highest(id) < index);
  waitFor(ctx, () => short().length === 0, withinMs, "expected-applied", () => `${why}: within ${withinMs} ms, ${short().map((id) => `${id} applied only up to ${applied.highest(id)}`).join(", ")} (needed ${index}; ${roles(ctx)})`);
}

/** Log terms of a live server, index 1 first (no snapshots in labs 1-3). */
export function logTerms(ctx: ScenarioContext, id: NodeId): number[] {
  return stateOf(ctx, id)
    .log.all()
    .map((e) => e.term);
}

/**
 * Hands the leader of the moment one new proposal every gapMs (on average)
 * for ms of virtual time, from actions scheduled in the simulation, so they
 * interleave with whatever else runs (a nemesis). Returns the values, filled
 * in as the run goes.
 */
export function proposeOverTime(ctx: ScenarioContext, ms: number, gapMs: number): string[] {
  const values: string[] = [];
  const end = ctx.sim.now() + ms;
  for (let t = ctx.sim.now() + 1 + ctx.rng.int(gapMs); t < end; t += 1 + ctx.rng.int(2 * gapMs)) {
    ctx.sim.schedule(t, () => {
      const l = leader(ctx);
      if (l !== undefined) values.push(...ctx.cluster.propose([l], 1));
    });
  }
  return values;
}

/**
 * Runs the swarm nemesis sampled for this seed (the scenario's `swarm` kinds)
 * for ms, then heals everything and restarts every crashed server, like the
 * `nemesis` step. Returns the plan, for messages.
 */
export function nemesis(ctx: ScenarioContext, ms: number, opts: { allowMajorityDown?: boolean; forceCrashes?: boolean; promises?: Promises } = {}): SwarmPlan {
  const allow = Object.fromEntries(SWARM_KINDS.map((k) => [k, ctx.cluster.scenario.swarm.includes(k)]));
  const plan = sampleSwarm(ctx.seed, { allow });
  // A persistence scenario samples everything but whether servers crash: they always do.
  if (opts.forceCrashes === true) plan.crashes = true;
  ctx.sim.note(`nemesis plan: ${JSON.stringify(plan)}`);
  runNemesis(ctx.sim, ctx.cluster.servers, plan, ms, { allowMajorityDown: opts.allowMajorityDown === true });
  // Every restart the nemesis causes is checked against the server's promises, once its restore() ran.
  const restarted: NodeId[] = [];
  let active = true;
  if (opts.promises !== undefined) {
    ctx.cluster.observer.watch((ev) => {
      if (active && ev.kind === "restart") restarted.push(ev.node);
      return undefined;
    });
  }
  runUntil(
    ctx,
    () => {
      for (let id = restarted.shift(); id !== undefined; id = restarted.shift()) if (ctx.sim.isUp(id)) opts.promises?.checkRestored(ctx, id, null);
      return false;
    },
    ms + 1,
  );
  active = false;
  if (ctx.cluster.servers.some((id) => !ctx.sim.isUp(id))) healAll(ctx.sim, ctx.cluster.servers);
  check(ctx);
  return plan;
}

/** Every server applied the same set of proposal values (after the run settled). */
export function expectSameApplied(ctx: ScenarioContext): void {
  const sets = ctx.cluster.servers.map((id) => ctx.cluster.observer.applied.get(id) ?? new Set<string>());
  const all = new Set<string>();
  for (const s of sets) for (const v of s) all.add(v);
  ctx.cluster.servers.forEach((id, i) => {
    const missing = [...all].filter((v) => !sets[i].has(v));
    if (missing.length > 0) {
      ctx.fail("agreement", `${id} never applied ${missing.length} proposal(s) that other servers applied (${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", ..." : ""}): once the faults stop, every committed entry reaches every server (§5.3): ${roles(ctx)}`);
    }
  });
}

// ------------------------------------------------------------ persistence

/**
 * What each server promised on the wire, which its disk must keep across a
 * crash [Figure 2]: the highest term it sent, its latest vote, the entries
 * its latest successful AppendEntriesReply acknowledged, and, as a leader, the
 * entries it sent (it counts itself in every majority).
 */
export class Promises {
  private readonly maxTerm = new Map<NodeId, number>();
  private readonly vote = new Map<NodeId, { term: number; candidate: NodeId }>();
  private readonly acked = new Map<NodeId, { index: number; term: number }>();
  private readonly sentAsLeader = new Map<NodeId, { term: number; index: number }>();

  constructor(ctx: ScenarioContext) {
    onSend(ctx, (from, to, msg) => {
      if ((msg.type === "RequestVote" || msg.type === "RequestVoteReply") && msg.preVote) return undefined;
      if (msg.term > (this.maxTerm.get(from) ?? 0)) this.maxTerm.set(from, msg.term);
      if (msg.type === "RequestVoteReply" && msg.voteGranted) this.vote.set(from, { term: msg.term, candidate: to });
      if (msg.type === "RequestVote") this.vote.set(from, { term: msg.term, candidate: from });
      if (msg.type === "AppendEntriesReply" && msg.success) this.acked.set(from, { index: msg.matchIndex, term: msg.term });
      if (msg.type === "AppendEntries" && msg.entries.length > 0) {
        const last = msg.prevLogIndex + msg.entries.length;
        const before = this.sentAsLeader.get(from);
        if (before === undefined || before.term !== msg.term || before.index < last) this.sentAsLeader.set(from, { term: msg.term, index: last });
      }
      return undefined;
    });
  }

  /**
   * Checks a server's state right after restart against its promises and its
   * state just before the crash (`pre`): fails the seed, naming what was lost.
   */
  checkRestored(ctx: ScenarioContext, id: NodeId, pre: { term: number; log: readonly number[] } | null): void {
    const s = stateOf(ctx, id);
    const log = s.log.all().map((e) => e.term);
    const sent = this.maxTerm.get(id) ?? 0;
    if (s.currentTerm < sent) {
      ctx.fail("state-lost-on-restart", `${id} restarted with currentTerm ${s.currentTerm}, but before the crash it had sent messages of term ${sent}: currentTerm must be on disk (written and synced) before any message carries it (Figure 2). Does restore() read it back?`);
    }
    const v = this.vote.get(id);
    if (v !== undefined && s.currentTerm === v.term && s.votedFor !== v.candidate) {
      ctx.fail(
        "state-lost-on-restart",
        `${id} ${v.candidate === id ? "voted for itself as a candidate" : `granted its vote to ${v.candidate}`} in term ${v.term}, crashed, and restarted in term ${v.term} with votedFor ${s.votedFor}: it could now vote again in that term. votedFor must be on disk before the vote is sent (Figure 2)`,
      );
    }
    let must = 0;
    let why = "";
    const a = this.acked.get(id);
    if (a !== undefined && a.index > must) {
      must = a.index;
      why = `its last AppendEntriesReply (term ${a.term}) acknowledged entries up to index ${a.index}`;
    }
    const l = this.sentAsLeader.get(id);
    if (l !== undefined && l.term === (pre?.term ?? this.maxTerm.get(id)) && l.index > must) {
      must = l.index;
      why = `as leader of term ${l.term} it sent entries up to index ${l.index} (a leader counts itself in every majority)`;
    }
    if (pre === null) {
      // A crash the scenario did not script (a nemesis): only the length can be checked.
      if (log.length < must) {
        ctx.fail("state-lost-on-restart", `${id} restarted with a log of ${log.length} entries, but before it crashed ${why}: those entries must be on disk before the message is sent (Figure 2), and restore() must read them back`);
      }
      return;
    }
    must = Math.min(must, pre.log.length);
    if (log.length < must || log.slice(0, must).join(",") !== pre.log.slice(0, must).join(",")) {
      ctx.fail(
        "state-lost-on-restart",
        `${id} crashed with log terms [${pre.log.join(" ")}] and restarted with [${log.join(" ")}], but ${why}: those entries must be on disk before the message is sent (Figure 2), and restore() must read them back`,
      );
    }
  }
}

/** Crashes a server (with a torn tail if asked), keeps it down for downMs, restarts it and checks what it restored. */
export function crashAndRestart(ctx: ScenarioContext, promises: Promises, id: NodeId, opts: { torn?: boolean; downMs?: number } = {}): void {
  const s = stateOf(ctx, id);
  const pre = { term: s.currentTerm, log: s.log.all().map((e) => e.term) };
  ctx.sim.crash(id, { torn: opts.torn === true });
  if ((opts.downMs ?? 0) > 0) runFor(ctx, opts.downMs ?? 0);
  ctx.sim.restart(id);
  check(ctx);
  promises.checkRestored(ctx, id, pre);
}

/**
 * While a server is down: appends to its largest file a torn copy of that
 * file's last record (a prefix of it), durably, as a power cut in the middle of
 * writing the next record would leave it. Returns the file, or undefined if
 * the server has no file with a record.
 */
export function tearLastRecord(ctx: ScenarioContext, id: NodeId): string | undefined {
  const disk = ctx.sim.storageOf(id);
  const view = disk.durableView();
  const files = Object.keys(view).filter((f) => view[f].length > 0);
  if (files.length === 0) return undefined;
  files.sort((a, b) => view[b].length - view[a].length || (a < b ? -1 : 1));
  const file = files[0];
  const last = view[file][view[file].length - 1];
  if (last.length < 2) return undefined;
  disk.append(file, last.slice(0, 1 + ctx.rng.int(last.length - 1)));
  disk.sync();
  ctx.sim.note(`${id}: the last record of "${file}" is followed by a torn one (a power cut mid-write)`);
  return file;
}

/** Highest index each server applied in its current incarnation (0 after a restart). */
export class AppliedSinceBoot {
  readonly highest = new Map<NodeId, number>();
  constructor(ctx: ScenarioContext) {
    ctx.cluster.observer.watch((ev) => {
      if (ev.kind === "start" || ev.kind === "restart") this.highest.set(ev.node, 0);
      else if (ev.kind === "apply") this.highest.set(ev.node, Math.max(this.highest.get(ev.node) ?? 0, ev.entry.index));
      return undefined;
    });
  }
  of(id: NodeId): number {
    return this.highest.get(id) ?? 0;
  }
}
