// Raft invariant monitors. Each keeps ghost state built from what it sees in
// the simulator's event stream — messages on the wire, applies, syncs, crashes —
// and never reads a node's memory: the node is what is on trial. The first
// violation stops the run. Rules are named after Figure 3 of the Raft paper
// where it names them.
import type { Monitor, SimEvent, Violation } from "../sim/index.ts";
import type { Json, NodeId } from "../types.ts";
import type { AppendEntries, EntryData, Msg, RequestVote } from "./messages.ts";
import { isRaftMessage } from "./messages.ts";

function asMsg(json: Json): Msg | null {
  if (typeof json !== "object" || json === null || Array.isArray(json) || typeof json.type !== "string") return null;
  return json as unknown as Msg;
}

/** Election Safety [§5.2, Figure 3]: at most one leader per term. A leader is whoever sends AppendEntries/InstallSnapshot/TimeoutNow in a term, or says it became leader. */
export class ElectionSafetyMonitor implements Monitor {
  readonly name = "election-safety";
  private readonly leaderOf = new Map<number, NodeId>();

  onEvent(ev: SimEvent): Violation | undefined {
    let term: number;
    let node: NodeId;
    if (ev.kind === "send") {
      const m = asMsg(ev.msg);
      if (m === null || (m.type !== "AppendEntries" && m.type !== "InstallSnapshot" && m.type !== "TimeoutNow")) return undefined;
      term = m.term;
      node = ev.from;
    } else if (ev.kind === "log" && ev.event === "role" && ev.fields.role === "leader" && typeof ev.fields.term === "number") {
      term = ev.fields.term;
      node = ev.node;
    } else {
      return undefined;
    }
    const other = this.leaderOf.get(term);
    if (other === undefined) this.leaderOf.set(term, node);
    else if (other !== node) {
      return {
        rule: "election-safety",
        message: `two leaders in term ${term}: ${other} and ${node}. A voter grants one vote per term and a leader needs a majority, so two majorities cannot both elect`,
        section: "§5.2",
        node,
      };
    }
    return undefined;
  }
}

/** At most one vote per (voter, term), even across crashes: votedFor must be durable before the vote is sent [§5.2, Figure 2]. */
export class OneVotePerTermMonitor implements Monitor {
  readonly name = "one-vote-per-term";
  private readonly votes = new Map<string, NodeId>();

  onEvent(ev: SimEvent): Violation | undefined {
    if (ev.kind !== "send") return undefined;
    const m = asMsg(ev.msg);
    if (m === null || m.type !== "RequestVoteReply" || !m.voteGranted || m.preVote) return undefined;
    const key = `${ev.from}\u0000${m.term}`;
    const before = this.votes.get(key);
    if (before === undefined) this.votes.set(key, ev.to);
    else if (before !== ev.to) {
      return {
        rule: "one-vote-per-term",
        message: `${ev.from} voted for ${before} and then for ${ev.to} in term ${m.term}. A server votes at most once per term, and must remember its vote (votedFor on stable storage) across a crash`,
        section: "§5.2, Figure 2",
        node: ev.from,
      };
    }
    return undefined;
  }
}

/**
 * A server's current term never goes back, not even across a restart
 * (currentTerm is persistent) [§5.1, Figure 2]. Judged on what others can see:
 * the terms of the messages it sends (PreVote terms are hypothetical and left
 * out) and its claims to lead. A term held only in memory and lost in a crash
 * before anything depended on it is harmless, so it is not counted.
 */
export class TermsNeverDecreaseMonitor implements Monitor {
  readonly name = "terms-never-decrease";
  private readonly maxTerm = new Map<NodeId, number>();

  onEvent(ev: SimEvent): Violation | undefined {
    let term: number;
    let node: NodeId;
    let what: string;
    if (ev.kind === "send") {
      const m = asMsg(ev.msg);
      if (m === null || !isRaftMessage(m)) return undefined;
      if ((m.type === "RequestVote" || m.type === "RequestVoteReply") && m.preVote) return undefined;
      term = m.term;
      node = ev.from;
      what = `sent ${m.type} with term ${term}`;
    } else if (ev.kind === "log" && ev.event === "role" && ev.fields.role === "leader" && typeof ev.fields.term === "number") {
      term = ev.fields.term;
      node = ev.node;
      what = `became leader in term ${term}`;
    } else if (ev.kind === "wipe") {
      this.maxTerm.delete(ev.node); // a lost disk forgets everything; that is the operator's doing
      return undefined;
    } else {
      return undefined;
    }
    const max = this.maxTerm.get(node) ?? 0;
    if (term < max) {
      return {
        rule: "terms-never-decrease",
        message: `${node} ${what}, but it had already sent messages in term ${max}. currentTerm only grows, and must be on stable storage before anything is sent in it`,
        section: "§5.1, Figure 2",
        node,
      };
    }
    if (term > max) this.maxTerm.set(node, term);
    return undefined;
  }
}

/** Nothing is sent while the sender has unsynced writes: what a message promises must already be on disk [Figure 2]. */
export class PersistBeforeSendMonitor implements Monitor {
  readonly name = "persist-before-send";

  onEvent(ev: SimEvent): Violation | undefined {
    if (ev.kind !== "send" || !ev.dirty) return undefined;
    const m = asMsg(ev.msg);
    if (m === null || !isRaftMessage(m)) return undefined;
    return {
      rule: "persist-before-send",
      message: `${ev.from} sent ${m.type} to ${ev.to} while it had written state that was not yet synced. Figure 2: persistent state is updated on stable storage before responding to RPCs; a crash now would lose what this message promises`,
      section: "Figure 2",
      node: ev.from,
    };
  }
}

function dataText(d: EntryData): string {
  return JSON.stringify(d);
}

/**
 * Log Matching [§5.3, Figure 3], checked on every entry a leader sends: two
 * entries with the same index and term carry the same command and follow
 * entries of the same term (which, by induction, makes the logs identical up to
 * there).
 */
export class LogMatchingMonitor implements Monitor {
  readonly name = "log-matching";
  private readonly seen = new Map<string, { data: string; prevTerm: number; from: NodeId }>();

  onEvent(ev: SimEvent): Violation | undefined {
    if (ev.kind !== "send") return undefined;
    const m = asMsg(ev.msg);
    if (m === null || m.type !== "AppendEntries" || m.entries.length === 0) return undefined;
    let prevTerm = m.prevLogTerm;
    for (const e of m.entries) {
      const key = `${e.index}:${e.term}`;
      const data = dataText(e.data);
      const before = this.seen.get(key);
      if (before === undefined) this.seen.set(key, { data, prevTerm, from: ev.from });
      else if (before.data !== data || before.prevTerm !== prevTerm) {
        const what = before.data !== data ? `commands ${before.data} and ${data}` : `predecessors of terms ${before.prevTerm} and ${prevTerm}`;
        return {
          rule: "log-matching",
          message: `two entries at index ${e.index}, term ${e.term} differ (${what}; sent by ${before.from} and ${ev.from}). A leader creates at most one entry per index in its term, and entries never change position`,
          section: "§5.3",
          node: ev.from,
        };
      }
      prevTerm = e.term;
    }
    return undefined;
  }
}

/**
 * State Machine Safety [§5.4.3, Figure 3]: every server applies the same entry
 * at each index; and each server applies entries gapless and in order, starting
 * over (from 1 or from a snapshot) only after a restart.
 */
export class StateMachineSafetyMonitor implements Monitor {
  readonly name = "state-machine-safety";
  /** index -> the entry applied there (term and command). */
  readonly committed = new Map<number, { term: number; data: string; node: NodeId }>();
  /** node -> last index applied in its current incarnation (0 after boot). */
  readonly applied = new Map<NodeId, number>();
  private readonly fresh = new Set<NodeId>();

  onEvent(ev: SimEvent): Violation | undefined {
    if (ev.kind === "start" || ev.kind === "restart") {
      this.applied.set(ev.node, 0);
      this.fresh.add(ev.node);
      return undefined;
    }
    if (ev.kind === "crash") {
      this.applied.delete(ev.node);
      return undefined;
    }
    if (ev.kind !== "apply") return undefined;
    const node = ev.node;
    const last = this.applied.get(node) ?? 0;
    const a = ev.entry;
    if (a.kind === "snapshot") {
      if (a.index < last || (a.index === last && !this.fresh.has(node))) {
        return {
          rule: "applied-in-order",
          message: `${node} installed a snapshot at index ${a.index} after applying up to ${last}: a snapshot may only move a state machine forward`,
          section: "§7",
          node,
        };
      }
      this.applied.set(node, a.index);
      this.fresh.delete(node);
      return undefined;
    }
    if (a.index !== last + 1) {
      return {
        rule: "applied-in-order",
        message: `${node} applied index ${a.index} right after index ${last}. Entries are applied in log order, each exactly once, with no gaps`,
        section: "Figure 2",
        node,
      };
    }
    this.fresh.delete(node);
    this.applied.set(node, a.index);
    const data = JSON.stringify(a.command);
    const before = this.committed.get(a.index);
    if (before === undefined) this.committed.set(a.index, { term: a.term, data, node });
    else if (before.term !== a.term || before.data !== data) {
      return {
        rule: "state-machine-safety",
        message: `${node} applied ${data} (term ${a.term}) at index ${a.index}, but ${before.node} applied ${before.data} (term ${before.term}) there. Once an entry is applied at an index, no server may apply a different one at that index`,
        section: "§5.4.3",
        node,
      };
    }
    return undefined;
  }

  /** The term of the entry known committed (applied somewhere) at index, if any. */
  committedTerm(index: number): number | undefined {
    return this.committed.get(index)?.term;
  }
}

/**
 * Leader Completeness [§5.4, Figure 3]: an entry committed in term c is in the
 * log of every leader of a term after c. The monitor does not see in which
 * term an entry was committed, only that some server applied it; but the
 * committing leader had already been seen, so c is at most the highest leader
 * term seen by then (the entry's bound). Checked twice for leaders of terms
 * above the bound: a new leader's log (as its RequestVote described it) is at
 * least as up-to-date as the highest such entry, and nothing it sends at a
 * committed index differs from the committed entry.
 */
export class LeaderCompletenessMonitor implements Monitor {
  readonly name = "leader-completeness";
  private readonly lastRequest = new Map<string, RequestVote>();
  private readonly checkedLeader = new Set<string>();
  private maxLeaderTerm = 0;
  /** index -> the committed entry's term and the bound on the term it was committed in. */
  private readonly committed = new Map<number, { term: number; bound: number }>();
  /** Committed entries in index order with increasing bounds: the frontier a new leader must reach. */
  private readonly frontier: { index: number; term: number; bound: number }[] = [];

  onEvent(ev: SimEvent): Violation | undefined {
    if (ev.kind === "apply") {
      if (ev.entry.kind === "entry" && !this.committed.has(ev.entry.index)) {
        const e = { index: ev.entry.index, term: ev.entry.term, bound: this.maxLeaderTerm };
        this.committed.set(e.index, e);
        const last = this.frontier[this.frontier.length - 1];
        if (last === undefined || e.index > last.index) this.frontier.push(e);
      }
      return undefined;
    }
    if (ev.kind === "log" && ev.event === "role" && ev.fields.role === "leader" && typeof ev.fields.term === "number") {
      this.sawLeader(ev.fields.term);
      return this.checkNewLeader(ev.node, ev.fields.term);
    }
    if (ev.kind !== "send") return undefined;
    const m = asMsg(ev.msg);
    if (m === null) return undefined;
    if (m.type === "RequestVote" && !m.preVote) {
      this.lastRequest.set(`${ev.from}\u0000${m.term}`, m);
      return undefined;
    }
    if (m.type === "AppendEntries" || m.type === "InstallSnapshot" || m.type === "TimeoutNow") this.sawLeader(m.term);
    if (m.type === "AppendEntries") return this.checkAppend(ev.from, m);
    return undefined;
  }

  private sawLeader(term: number): void {
    if (term > this.maxLeaderTerm) this.maxLeaderTerm = term;
  }

  private checkNewLeader(node: NodeId, term: number): Violation | undefined {
    const key = `${node}\u0000${term}`;
    if (this.checkedLeader.has(key)) return undefined;
    this.checkedLeader.add(key);
    const rv = this.lastRequest.get(key);
    if (rv === undefined) return undefined; // a single-voter cluster asks nobody
    // The highest committed entry whose commit term is surely below this term.
    let h: { index: number; term: number } | undefined;
    for (let i = this.frontier.length - 1; i >= 0; i--) {
      if (this.frontier[i].bound < term) {
        h = this.frontier[i];
        break;
      }
    }
    if (h === undefined) return undefined;
    const upToDate = rv.lastLogTerm > h.term || (rv.lastLogTerm === h.term && rv.lastLogIndex >= h.index);
    if (upToDate) return undefined;
    return {
      rule: "leader-completeness",
      message: `${node} became leader of term ${term} with a log ending at index ${rv.lastLogIndex}, term ${rv.lastLogTerm}, but entry ${h.index} of term ${h.term} had been committed in an earlier term. The election restriction lets a candidate win only if its log is at least as up-to-date as a majority's`,
      section: "§5.4.1",
      node,
    };
  }

  private checkAppend(from: NodeId, m: AppendEntries): Violation | undefined {
    const check = (index: number, term: number, what: string): Violation | undefined => {
      const c = this.committed.get(index);
      if (c === undefined || c.bound >= m.term || c.term === term) return undefined;
      return {
        rule: "leader-completeness",
        message: `${from}, leader of term ${m.term}, sent ${what} at index ${index} with term ${term}, but the entry committed there (in term ${c.bound} or before) has term ${c.term}. A committed entry is present in the logs of all later leaders`,
        section: "§5.4",
        node: from,
      };
    };
    const v = check(m.prevLogIndex, m.prevLogTerm, "prevLogTerm");
    if (v !== undefined) return v;
    for (const e of m.entries) {
      const w = check(e.index, e.term, "an entry");
      if (w !== undefined) return w;
    }
    return undefined;
  }
}

/**
 * A leader commits by counting replicas of an entry of its own term only
 * [§5.4.2, Figure 8]. Seen on the wire: once a leader of term T advances the
 * leaderCommit it advertises past the value it started its term with, the new
 * value must reach at least its first entry of term T (entries after it are of
 * term T too). Committing an older term's entry by counting replicas shows up
 * as a leaderCommit that stops short of it.
 */
export class CommitCurrentTermMonitor implements Monitor {
  readonly name = "commit-current-term";
  /** (leader, term) -> leaderCommit of its first AppendEntries, and the index of its first entry of the term. */
  private readonly terms = new Map<string, { startCommit: number; firstOwn: number }>();
  /** (node, term) -> the lowest index of a term-T entry it applied (a single-voter leader sends no AppendEntries). */
  private readonly appliedOwn = new Map<string, number>();

  onEvent(ev: SimEvent): Violation | undefined {
    if (ev.kind === "apply" && ev.entry.kind === "entry") {
      const k = `${ev.node}\u0000${ev.entry.term}`;
      if (ev.entry.index < (this.appliedOwn.get(k) ?? Infinity)) this.appliedOwn.set(k, ev.entry.index);
      return undefined;
    }
    if (ev.kind !== "send") return undefined;
    const m = asMsg(ev.msg);
    if (m === null || m.type !== "AppendEntries") return undefined;
    const key = `${ev.from}\u0000${m.term}`;
    let t = this.terms.get(key);
    if (t === undefined) {
      t = { startCommit: m.leaderCommit, firstOwn: Infinity };
      this.terms.set(key, t);
    }
    for (const e of m.entries) if (e.term === m.term && e.index < t.firstOwn) t.firstOwn = e.index;
    const firstOwn = Math.min(t.firstOwn, this.appliedOwn.get(key) ?? Infinity);
    if (m.leaderCommit > t.startCommit && m.leaderCommit < firstOwn) {
      return {
        rule: "commit-current-term",
        message: `${ev.from}, leader of term ${m.term}, advanced its commit index to ${m.leaderCommit}, ${firstOwn === Infinity ? "before replicating any entry of its term" : `below its first entry of term ${m.term} (index ${firstOwn})`}. A leader may only count replicas of an entry from its current term; Figure 8 shows an older-term entry "committed" this way being overwritten`,
        section: "§5.4.2, Figure 8",
        node: ev.from,
      };
    }
    return undefined;
  }
}

/** commitIndex never goes back within one incarnation of a server (it is volatile: a restart starts over) [Figure 2]. */
export class CommitMonotonicMonitor implements Monitor {
  readonly name = "commit-monotonic";
  private readonly commit = new Map<NodeId, number>();

  onEvent(ev: SimEvent): Violation | undefined {
    if (ev.kind === "start" || ev.kind === "restart" || ev.kind === "crash") {
      this.commit.delete(ev.node);
      return undefined;
    }
    if (ev.kind !== "log" || ev.event !== "commit" || typeof ev.fields.index !== "number") return undefined;
    const before = this.commit.get(ev.node) ?? 0;
    if (ev.fields.index < before) {
      return {
        rule: "commit-monotonic",
        message: `${ev.node} moved commitIndex back from ${before} to ${ev.fields.index}. A committed entry stays committed`,
        section: "Figure 2",
        node: ev.node,
      };
    }
    this.commit.set(ev.node, ev.fields.index);
    return undefined;
  }
}

/** Exactly-once [thesis §6.3]: a client command (clientId, seq) is executed at one log index only, on every server. */
export class ExactlyOnceMonitor implements Monitor {
  readonly name = "exactly-once";
  private readonly execAt = new Map<string, { index: number; node: NodeId }>();

  onEvent(ev: SimEvent): Violation | undefined {
    if (ev.kind !== "log" || ev.event !== "kv.exec") return undefined;
    const { clientId, seq, index } = ev.fields;
    if (typeof index !== "number") return undefined;
    const key = `${String(clientId)}#${String(seq)}`;
    const before = this.execAt.get(key);
    if (before === undefined) this.execAt.set(key, { index, node: ev.node });
    else if (before.index !== index) {
      return {
        rule: "exactly-once",
        message: `request ${key} was executed at index ${before.index} (on ${before.node}) and again at index ${index} (on ${ev.node}). The session table must recognize a retried request and return the saved result`,
        section: "thesis §6.3",
        node: ev.node,
      };
    }
    return undefined;
  }

  /** Where (clientId, seq) was executed, if it was. */
  indexOf(clientId: string, seq: number): number | undefined {
    return this.execAt.get(`${clientId}#${seq}`)?.index;
  }
}

/** Every Raft monitor, wired together (leader completeness reads what state-machine safety learns). */
export interface RaftMonitors {
  readonly all: Monitor[];
  readonly stateMachine: StateMachineSafetyMonitor;
  readonly exactlyOnce: ExactlyOnceMonitor;
}

export function raftMonitors(): RaftMonitors {
  const stateMachine = new StateMachineSafetyMonitor();
  const exactlyOnce = new ExactlyOnceMonitor();
  const all: Monitor[] = [
    new ElectionSafetyMonitor(),
    new OneVotePerTermMonitor(),
    new TermsNeverDecreaseMonitor(),
    new PersistBeforeSendMonitor(),
    new LogMatchingMonitor(),
    stateMachine,
    new LeaderCompletenessMonitor(),
    new CommitMonotonicMonitor(),
    new CommitCurrentTermMonitor(),
    exactlyOnce,
  ];
  return { all, stateMachine, exactlyOnce };
}
