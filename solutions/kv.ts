// Lab 6 — The replicated key/value service (reference solution).
//
// Writes (SET, DEL, CAS) go through the log; each carries the client's session
// (clientId, seq) so a retried write is applied once, even across leader
// changes and snapshots [thesis §6.3]. Reads are served by the leader without
// touching the log, using ReadIndex [thesis §6.4]: note the commit index, wait
// until this term's no-op is committed, confirm leadership with a heartbeat
// round, wait until the state machine has applied up to the noted index.
// Lease reads skip the heartbeat round while a clock-bounded lease holds
// [thesis §6.4.1]; stale reads are served by any server from its own state.
import type { ClientError, ClientReply, ClientRequest, Entry, KvCommand, KvOp, KvResult } from "../harness/raft/messages.ts";
import type { Json, NodeId } from "../harness/types.ts";
import type { KvModule, PendingRead, RaftState } from "../labs/given/state.ts";

// ------------------------------------------------------------ state machine

function execute(s: RaftState, op: KvOp): KvResult {
  const data = s.kv.data;
  const old = data.get(op.key) ?? null;
  switch (op.op) {
    case "get":
      return { value: old, applied: true };
    case "set":
      data.set(op.key, op.value);
      return { value: old, applied: true };
    case "del":
      data.delete(op.key);
      return { value: old, applied: true };
    case "append":
      data.set(op.key, (old ?? "") + op.value);
      return { value: old, applied: true };
    case "cas":
      if (old !== op.expected) return { value: old, applied: false };
      data.set(op.key, op.value);
      return { value: old, applied: true };
  }
}

function isKvCommand(x: Json): x is KvCommand & Json {
  return typeof x === "object" && x !== null && !Array.isArray(x) && typeof x.clientId === "string" && typeof x.seq === "number" && typeof x.op === "object";
}

export function apply(s: RaftState, entry: Entry): void {
  if (entry.data.kind === "command" && isKvCommand(entry.data.command)) {
    const cmd = entry.data.command;
    const session = s.kv.sessions.get(cmd.clientId);
    let result: KvResult | null;
    if (session !== undefined && cmd.seq <= session.seq && !s.bug("no-dedup")) {
      // A retry of a write already applied: answer with the saved result, change nothing.
      result = cmd.seq === session.seq ? session.result : null;
    } else {
      result = execute(s, cmd.op);
      s.kv.sessions.delete(cmd.clientId); // re-insert: the map's order is least recently used first
      s.kv.sessions.set(cmd.clientId, { seq: cmd.seq, result });
      if (s.kv.sessions.size > s.config.maxSessions) {
        const oldest = s.kv.sessions.keys().next().value;
        if (oldest !== undefined) s.kv.sessions.delete(oldest);
      }
      s.note("kv.exec", { clientId: cmd.clientId, seq: cmd.seq, index: entry.index });
    }
    const pending = s.kv.pendingWrites.get(entry.index);
    if (pending !== undefined) {
      s.kv.pendingWrites.delete(entry.index);
      if (pending.term === entry.term && pending.clientId === cmd.clientId && pending.seq === cmd.seq && result !== null) {
        reply(s, pending.from, { type: "ClientReply", clientId: cmd.clientId, seq: cmd.seq, ok: true, result, stale: false, servedBy: s.id });
      } else {
        fail(s, pending.from, pending.clientId, pending.seq, "not_leader");
      }
    }
  } else {
    const pending = s.kv.pendingWrites.get(entry.index);
    if (pending !== undefined) {
      s.kv.pendingWrites.delete(entry.index);
      fail(s, pending.from, pending.clientId, pending.seq, "not_leader");
    }
  }
  // §7: the service snapshots every snapshotEveryEntries applied entries.
  if (entry.index - s.log.snapshotIndex >= s.config.snapshotEveryEntries) {
    s.modules.snapshot.takeSnapshot(s, entry.index, snapshotData(s));
  }
}

type KvSnapshot = { data: [string, string][]; sessions: [string, number, string | null, boolean][] };

export function snapshotData(s: RaftState): Json {
  const snap: KvSnapshot = {
    data: [...s.kv.data.entries()],
    sessions: s.bug("sessions-not-in-snapshot") ? [] : [...s.kv.sessions.entries()].map(([id, x]) => [id, x.seq, x.result.value, x.result.applied]),
  };
  return snap;
}

export function restoreSnapshot(s: RaftState, data: Json): void {
  const snap = data as unknown as KvSnapshot;
  s.kv.data = new Map(snap.data);
  s.kv.sessions = new Map(snap.sessions.map(([id, seq, value, applied]) => [id, { seq, result: { value, applied } }]));
}

// ------------------------------------------------------------------ clients

function reply(s: RaftState, to: NodeId, msg: ClientReply): void {
  s.send(to, msg);
}

function fail(s: RaftState, to: NodeId, clientId: string, seq: number, error: ClientError): void {
  reply(s, to, { type: "ClientReply", clientId, seq, ok: false, error, leaderHint: s.role === "leader" ? s.id : s.leaderId });
}

function tooLarge(s: RaftState, op: KvOp): boolean {
  if (op.key.length > s.config.maxKeyBytes) return true;
  if (op.op === "set" || op.op === "cas") return op.value.length > s.config.maxValueBytes;
  if (op.op === "append") return op.value.length + (s.kv.data.get(op.key)?.length ?? 0) > s.config.maxValueBytes;
  return false;
}

function pendingCount(s: RaftState): number {
  return s.kv.pendingWrites.size + s.kv.pendingReads.length;
}

export function handleClientRequest(s: RaftState, from: NodeId, msg: ClientRequest): void {
  const op = msg.op;
  if (typeof op !== "object" || op === null || typeof op.key !== "string") return fail(s, from, msg.clientId, msg.seq, "bad_request");
  if (tooLarge(s, op)) return fail(s, from, msg.clientId, msg.seq, "too_large");
  if (op.op === "get") return handleRead(s, from, msg, op.key);
  if (s.role !== "leader") return fail(s, from, msg.clientId, msg.seq, "not_leader");

  const session = s.kv.sessions.get(msg.clientId);
  if (session !== undefined && msg.seq <= session.seq && !s.bug("no-dedup")) {
    // Already applied: answer from the session table, do not propose again.
    if (msg.seq === session.seq) reply(s, from, { type: "ClientReply", clientId: msg.clientId, seq: msg.seq, ok: true, result: session.result, stale: false, servedBy: s.id });
    return;
  }
  for (const [index, p] of s.kv.pendingWrites) {
    if (p.clientId === msg.clientId && p.seq === msg.seq) {
      s.kv.pendingWrites.set(index, { ...p, from }); // already in the log: answer when it applies
      return;
    }
  }
  if (pendingCount(s) >= s.config.maxPendingRequests) return fail(s, from, msg.clientId, msg.seq, "busy");
  const command: KvCommand = { clientId: msg.clientId, seq: msg.seq, op };
  const r = s.modules.replication.propose(s, { kind: "command", command });
  if (!r.ok) return fail(s, from, msg.clientId, msg.seq, r.error);
  s.kv.pendingWrites.set(r.index, { from, clientId: msg.clientId, seq: msg.seq, term: r.term });
}

function handleRead(s: RaftState, from: NodeId, msg: ClientRequest, key: string): void {
  if (msg.readMode === "stale") {
    // Explicitly allowed to be out of date: served from local state, labelled stale.
    const result: KvResult = { value: s.kv.data.get(key) ?? null, applied: true };
    return reply(s, from, { type: "ClientReply", clientId: msg.clientId, seq: msg.seq, ok: true, result, stale: true, servedBy: s.id });
  }
  if (s.role !== "leader") return fail(s, from, msg.clientId, msg.seq, "not_leader");
  if (pendingCount(s) >= s.config.maxPendingRequests) return fail(s, from, msg.clientId, msg.seq, "busy");
  // The read must see every write committed before it arrived: by leader
  // completeness those are all at or below max(commitIndex, this term's no-op).
  const readIndex = s.bug("read-index-ignores-noop") ? s.commitIndex : Math.max(s.commitIndex, s.termStartIndex);
  const read: PendingRead = { from, clientId: msg.clientId, seq: msg.seq, key, readIndex, round: s.round + 1, mode: msg.readMode };
  if (msg.readMode === "lease" && leaseValid(s)) read.round = 0; // the lease stands in for the heartbeat round
  s.kv.pendingReads.push(read);
  if (read.round > s.round) {
    if (s.bug("read-without-heartbeat")) read.round = 0;
    else s.modules.replication.broadcastHeartbeat(s);
  }
  poll(s);
}

/** The highest heartbeat round a quorum has answered in this term (0 if none). */
function quorumRound(s: RaftState): number {
  const rounds = new Set<number>([s.round]);
  for (const p of s.progress.values()) rounds.add(p.ackedRound);
  const sorted = [...rounds].sort((a, b) => b - a);
  for (const r of sorted) {
    if (r === 0) break;
    if (s.modules.membership.isQuorum(s, (id) => id === s.id || (s.progress.get(id)?.ackedRound ?? 0) >= r)) return r;
  }
  return 0;
}

/**
 * Thesis §6.4.1: voters will not elect anyone else for electionTimeoutMinMs
 * after hearing from us (leader stickiness, counted from boot too). Measured on
 * our clock from when a quorum-acknowledged round was sent, and shortened for
 * clocks that may run at rates 1 ± maxClockDriftPpm.
 */
function leaseValid(s: RaftState): boolean {
  if (!s.config.checkQuorum) return false;
  const r = quorumRound(s);
  const sentMs = s.roundSentMs.get(r);
  if (r === 0 || sentMs === undefined) return false;
  const drift = s.bug("lease-ignores-drift") ? 0 : s.config.maxClockDriftPpm / 1e6;
  const leaseMs = (s.config.electionTimeoutMinMs * (1 - drift)) / (1 + drift);
  return s.now() < sentMs + leaseMs && s.commitIndex >= s.termStartIndex;
}

export function poll(s: RaftState): void {
  const reads = s.kv.pendingReads;
  if (reads.length === 0) return;
  if (s.role !== "leader") return onLeadershipLost(s);
  const confirmed = quorumRound(s);
  const keep: PendingRead[] = [];
  for (const r of reads) {
    if (r.round <= confirmed && s.lastApplied >= r.readIndex) {
      const result: KvResult = { value: s.kv.data.get(r.key) ?? null, applied: true };
      reply(s, r.from, { type: "ClientReply", clientId: r.clientId, seq: r.seq, ok: true, result, stale: false, servedBy: s.id });
    } else {
      keep.push(r);
    }
  }
  s.kv.pendingReads = keep;
}

export function onLeadershipLost(s: RaftState): void {
  // The writes may still commit under the next leader: the client retries with
  // the same seq and the session table makes the retry harmless.
  for (const p of s.kv.pendingWrites.values()) fail(s, p.from, p.clientId, p.seq, "not_leader");
  for (const r of s.kv.pendingReads) fail(s, r.from, r.clientId, r.seq, "not_leader");
  s.kv.pendingWrites.clear();
  s.kv.pendingReads = [];
}

export const kv: KvModule = { apply, snapshotData, restoreSnapshot, handleClientRequest, onLeadershipLost, poll };
