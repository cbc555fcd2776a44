// Lab 2 — Log replication (reference solution).
//
// AppendEntries with the consistency check and conflict truncation [§5.3],
// fast backtracking with conflict term/index [§5.3, end], pipelining with a
// bounded number of AppendEntries in flight per follower [thesis §10.2.2],
// commitment by counting replicas of a current-term entry only [§5.4.2,
// Figure 8], and in-order, exactly-once application [Figure 2, "All Servers"].
import type { AppendEntries, AppendEntriesReply, Entry, EntryData } from "../harness/raft/messages.ts";
import type { NodeId } from "../harness/types.ts";
import { assert } from "../labs/given/assert.ts";
import { entrySizeBytes } from "../labs/given/log.ts";
import { newProgress, type PeerProgress, type ProposeResult, type RaftState, type ReplicationModule } from "../labs/given/state.ts";

/** How many recent heartbeat rounds remember their send time (for leases). */
const ROUNDS_REMEMBERED = 64;

export function onBecomeLeader(s: RaftState): void {
  s.progress.clear();
  for (const peer of s.modules.membership.peers(s)) s.progress.set(peer, newProgress(s.log.lastIndex() + 1));
  // Thesis §6.4 / §8: a no-op of the new term lets the leader learn which
  // entries are committed, and reads wait for it.
  const noop = appendEntry(s, { kind: "noop" });
  s.termStartIndex = noop.index;
  s.modules.persistence.persist(s);
  broadcastHeartbeat(s);
  advanceCommitIndex(s);
}

function appendEntry(s: RaftState, data: EntryData): Entry {
  const entry: Entry = { index: s.log.lastIndex() + 1, term: s.currentTerm, data };
  s.log.append([entry]);
  s.modules.membership.onEntriesAppended(s, [entry]);
  return entry;
}

export function propose(s: RaftState, data: EntryData): ProposeResult {
  if (s.role !== "leader") return { ok: false, error: "not_leader" };
  if (s.transfer !== null) return { ok: false, error: "busy" }; // thesis §3.10: stop accepting during a transfer
  const size = entrySizeBytes({ index: s.log.lastIndex() + 1, term: s.currentTerm, data });
  if (size > s.config.maxEntryBytes) return { ok: false, error: "too_large" };
  if (s.log.lastIndex() - s.commitIndex >= s.config.maxUncommittedEntries) return { ok: false, error: "busy" };
  const entry = appendEntry(s, data);
  s.modules.persistence.persist(s);
  for (const peer of s.progress.keys()) sendAppendEntries(s, peer, false);
  advanceCommitIndex(s); // a single-voter cluster commits at once
  return { ok: true, index: entry.index, term: entry.term };
}

export function broadcastHeartbeat(s: RaftState): void {
  if (s.role !== "leader") return;
  s.round += 1;
  s.roundSentMs.set(s.round, s.now());
  s.roundSentMs.delete(s.round - ROUNDS_REMEMBERED);
  s.modules.persistence.persist(s);
  for (const peer of s.progress.keys()) sendAppendEntries(s, peer, true);
}

/** How long an unanswered pipeline may stay silent before the leader probes again. */
function stallMs(s: RaftState): number {
  return 3 * s.config.heartbeatIntervalMs;
}

export function sendAppendEntries(s: RaftState, peer: NodeId, heartbeat: boolean): void {
  if (s.role !== "leader") return;
  const pr = s.peer(peer);
  const now = s.now();
  if (pr.mode === "snapshot") {
    if (heartbeat) s.modules.snapshot.sendInstallSnapshot(s, peer);
    return;
  }
  if (pr.mode === "replicate" && pr.inflight.length > 0 && now - pr.lastProgressMs > stallMs(s)) {
    // The pipeline stopped moving (an append or its reply was lost): go back
    // to one probe at a time from what the follower has acknowledged.
    toProbe(pr);
  }
  if (pr.nextIndex <= s.log.snapshotIndex) {
    s.modules.snapshot.sendInstallSnapshot(s, peer);
    return;
  }
  if (pr.mode === "probe") {
    // One probe per heartbeat interval, or as soon as the previous one was answered.
    if (!heartbeat && now - pr.lastSendMs < s.config.heartbeatIntervalMs) return;
    pr.lastSendMs = now;
    sendFrom(s, peer, pr.nextIndex);
    return;
  }
  // Replicate: pipeline new entries while there is room.
  let sent = false;
  while (pr.nextIndex <= s.log.lastIndex() && pr.inflight.length < s.config.maxInflightAppends) {
    const last = sendFrom(s, peer, pr.nextIndex);
    if (pr.inflight.length === 0) pr.lastProgressMs = now;
    pr.inflight.push(last);
    pr.nextIndex = last + 1;
    sent = true;
  }
  if (heartbeat && !sent) {
    // A heartbeat that cannot fail the consistency check: prevLogIndex is
    // what the follower already acknowledged.
    const prev = Math.max(pr.matchIndex, s.log.snapshotIndex);
    sendAppend(s, peer, prev, []);
  }
}

/** Sends entries from `from` on (as many as fit in a batch); returns the last index sent. */
function sendFrom(s: RaftState, peer: NodeId, from: number): number {
  const entries = s.log.slice(from, s.log.lastIndex(), s.config.maxBatchBytes);
  sendAppend(s, peer, s.bug("prev-log-index-off-by-one") && from <= s.log.lastIndex() ? from : from - 1, entries);
  return from - 1 + entries.length;
}

function sendAppend(s: RaftState, peer: NodeId, prevLogIndex: number, entries: Entry[]): void {
  const prevLogTerm = s.log.term(prevLogIndex);
  assert(prevLogTerm !== undefined, `${s.id}: no term for prevLogIndex ${prevLogIndex} (snapshot ${s.log.snapshotIndex})`);
  const msg: AppendEntries = {
    type: "AppendEntries",
    term: s.currentTerm,
    leaderId: s.id,
    prevLogIndex,
    prevLogTerm,
    entries,
    leaderCommit: s.commitIndex,
    round: s.round,
  };
  s.send(peer, msg);
}

function toProbe(pr: PeerProgress): void {
  pr.mode = "probe";
  pr.inflight = [];
  pr.nextIndex = pr.matchIndex + 1;
  pr.lastSendMs = -Infinity;
}

// ---------------------------------------------------------------- follower

export function handleAppendEntries(s: RaftState, from: NodeId, msg: AppendEntries): void {
  s.modules.election.heardFromLeader(s, from);
  const reply = (r: Omit<AppendEntriesReply, "type" | "term" | "round">) => {
    if (!s.bug("ack-before-sync")) s.modules.persistence.persist(s); // Figure 2: respond only after stable storage is updated
    s.send(from, { type: "AppendEntriesReply", term: s.currentTerm, round: msg.round, ...r });
  };

  // Entries at or below our snapshot are committed, hence identical to the
  // leader's: skip them and check consistency at the snapshot boundary.
  let prevLogIndex = msg.prevLogIndex;
  let entries = msg.entries;
  if (prevLogIndex < s.log.snapshotIndex) {
    const skip = Math.min(entries.length, s.log.snapshotIndex - prevLogIndex);
    entries = entries.slice(skip);
    prevLogIndex += skip;
    if (prevLogIndex < s.log.snapshotIndex) {
      return reply({ success: true, matchIndex: prevLogIndex, conflictIndex: 0, conflictTerm: 0 });
    }
  }

  const localPrevTerm = s.log.term(prevLogIndex);
  const expectedPrevTerm = prevLogIndex === msg.prevLogIndex ? msg.prevLogTerm : msg.entries[prevLogIndex - msg.prevLogIndex - 1].term;
  // (The bug switch accepts a mismatching entry at prevLogIndex, as if the check were missing.)
  const skipCheck = s.bug("skip-consistency-check") && localPrevTerm !== undefined;
  // (Bug switch: a heartbeat is taken to say the log ends at prevLogIndex.)
  if (s.bug("heartbeat-truncates") && entries.length === 0 && localPrevTerm === expectedPrevTerm && prevLogIndex < s.log.lastIndex()) {
    s.log.truncateFrom(prevLogIndex + 1);
    s.modules.membership.onLogTruncated(s);
  }
  if (localPrevTerm !== expectedPrevTerm && !skipCheck) {
    // §5.3 consistency check failed: tell the leader where to look next.
    if (localPrevTerm === undefined) {
      return reply({ success: false, matchIndex: 0, conflictIndex: s.log.lastIndex() + 1, conflictTerm: 0 });
    }
    const conflictIndex = s.log.firstIndexOfTerm(localPrevTerm, prevLogIndex);
    return reply({ success: false, matchIndex: 0, conflictIndex, conflictTerm: localPrevTerm });
  }

  // §5.3: delete an existing entry and all that follow it only if it conflicts
  // with a new one; entries we already have stay (the message may be stale).
  let k = 0;
  for (; k < entries.length; k++) {
    const e = entries[k];
    const local = s.log.term(e.index);
    if (local === undefined) break;
    if (local !== e.term || s.bug("truncate-on-stale")) {
      if (!s.bug("truncate-on-stale")) assert(e.index > s.commitIndex, `${s.id}: would truncate committed entry ${e.index} (commitIndex ${s.commitIndex})`);
      s.log.truncateFrom(e.index);
      s.modules.membership.onLogTruncated(s);
      break;
    }
  }
  const fresh = entries.slice(k);
  if (fresh.length > 0) {
    s.log.append(fresh);
    s.modules.membership.onEntriesAppended(s, fresh);
  }

  // Figure 2: commitIndex = min(leaderCommit, index of last new entry); only
  // entries known to match the leader's log may be marked committed.
  const lastNew = prevLogIndex + entries.length;
  const commitTo = s.bug("commit-past-match") ? msg.leaderCommit : Math.min(msg.leaderCommit, lastNew);
  if (s.bug("commit-regresses") && commitTo !== s.commitIndex) {
    s.commitIndex = Math.min(commitTo, s.log.lastIndex());
    s.note("commit", { index: s.commitIndex, term: s.log.term(s.commitIndex) ?? null });
  } else if (commitTo > s.commitIndex) setCommitIndex(s, Math.min(commitTo, s.log.lastIndex()));
  reply({ success: true, matchIndex: lastNew, conflictIndex: 0, conflictTerm: 0 });
  applyCommitted(s);
}

function setCommitIndex(s: RaftState, index: number): void {
  assert(index >= s.commitIndex, `${s.id}: commitIndex would go back from ${s.commitIndex} to ${index}`);
  s.commitIndex = index;
  s.note("commit", { index, term: s.log.term(index) ?? null });
  s.modules.membership.onCommitAdvanced(s);
}

// ------------------------------------------------------------------ leader

export function handleAppendEntriesReply(s: RaftState, from: NodeId, msg: AppendEntriesReply): void {
  if (s.role !== "leader") return;
  const pr = s.progress.get(from);
  if (pr === undefined) return; // no longer a member
  pr.recentActive = true;
  pr.lastAckMs = s.now();
  if (msg.round > pr.ackedRound) pr.ackedRound = msg.round;
  if (msg.success) {
    const acked = s.bug("match-index-from-next") ? pr.nextIndex - 1 : msg.matchIndex;
    if (acked > pr.matchIndex) {
      pr.matchIndex = acked;
      pr.lastProgressMs = s.now();
    }
    if (pr.nextIndex <= pr.matchIndex) pr.nextIndex = pr.matchIndex + 1;
    pr.inflight = pr.inflight.filter((last) => last > pr.matchIndex);
    if (pr.mode === "probe") {
      pr.mode = "replicate";
      pr.inflight = [];
      pr.nextIndex = pr.matchIndex + 1;
    }
    advanceCommitIndex(s);
    if (s.role === "leader") sendAppendEntries(s, from, false);
    return;
  }
  if (pr.mode === "snapshot") return;
  // §5.3: back up nextIndex, skipping a whole conflicting term at a time.
  let next = msg.conflictIndex;
  if (msg.conflictTerm > 0) {
    const last = s.log.lastIndexWithTermAtMost(msg.conflictTerm);
    if (last > s.log.snapshotIndex && s.log.term(last) === msg.conflictTerm) next = last + 1;
  }
  if (s.bug("next-index-below-one")) next = pr.nextIndex - 1; // one step back per rejection, with no floor
  toProbe(pr);
  pr.nextIndex = s.bug("next-index-below-one") ? next : Math.max(pr.matchIndex + 1, Math.min(next, s.log.lastIndex() + 1));
  sendAppendEntries(s, from, false);
}

/**
 * §5.4.2: the leader commits the highest index stored on a majority, but only
 * if that entry is of its own term (Figure 8 shows why counting replicas of an
 * older term's entry is not enough).
 */
export function advanceCommitIndex(s: RaftState): void {
  if (s.role !== "leader") return;
  const last = s.log.lastIndex();
  const onMajority = (n: number) =>
    s.modules.membership.isQuorum(s, (id) => (id === s.id ? last >= n : (s.progress.get(id)?.matchIndex ?? 0) >= n));
  // (Bug switch: one follower's copy is taken for a majority.)
  const replicated = s.bug("commit-without-majority") ? (n: number) => last >= n && [...s.progress.values()].some((p) => p.matchIndex >= n) : onMajority;
  // Being on a majority is monotone in n: binary search for the highest such n.
  let lo = s.commitIndex;
  let hi = last;
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (replicated(mid)) lo = mid;
    else hi = mid - 1;
  }
  if (lo <= s.commitIndex) return;
  if (s.log.term(lo) !== s.currentTerm && !s.bug("commit-old-term")) return;
  setCommitIndex(s, lo);
  applyCommitted(s);
}

export function applyCommitted(s: RaftState): void {
  while (s.lastApplied < (s.bug("apply-uncommitted") ? s.log.lastIndex() : s.commitIndex)) {
    const entry = s.log.entry(s.lastApplied + 1);
    assert(entry !== undefined, `${s.id}: entry ${s.lastApplied + 1} to apply is missing (snapshot ${s.log.snapshotIndex})`);
    s.lastApplied = entry.index;
    s.applyToService(entry);
  }
}

export const replication: ReplicationModule = {
  onBecomeLeader,
  propose,
  sendAppendEntries,
  broadcastHeartbeat,
  handleAppendEntries,
  handleAppendEntriesReply,
  advanceCommitIndex,
  applyCommitted,
};
