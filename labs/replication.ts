// Lab 2 — Log replication (your file).
//
// AppendEntries with the consistency check and conflict truncation [§5.3],
// fast backtracking with the conflict hints [§5.3, end], commitment by
// counting replicas of a current-term entry only [§5.4.2, Figure 8], and
// in-order, exactly-once application [Figure 2, "All Servers"]. Pipelining
// (several AppendEntries in flight per follower, thesis §10.2.2) is optional.
//
// Read lessons/02-replication.md first: it walks through these functions in
// the order to write them. The given RaftLog (labs/given/log.ts) holds the
// entries: s.log.lastIndex(), s.log.term(i), s.log.entry(i), s.log.slice(from,
// to, maxBytes), s.log.append(entries), s.log.truncateFrom(i). Grade with
// `npm run grade lab2`.
import type { AppendEntries, AppendEntriesReply, Entry, EntryData } from "../harness/raft/messages.ts";
import type { NodeId } from "../harness/types.ts";
import { assert } from "./given/assert.ts";
import { entrySizeBytes } from "./given/log.ts";
import { newProgress, type ProposeResult, type RaftState, type ReplicationModule } from "./given/state.ts";

/**
 * Called by becomeLeader [Figure 2, "Volatile state on leaders"]: reset
 * s.progress with one entry per follower (s.modules.membership.peers(s)):
 * newProgress(lastIndex + 1) gives nextIndex = lastIndex + 1, matchIndex = 0.
 * Then append a no-op entry of the new term ({ kind: "noop" }), set
 * s.termStartIndex to its index, tell s.modules.membership.onEntriesAppended,
 * persist, and send AppendEntries to everyone at once [§5.4.2, §8: a leader
 * can only commit its own term's entries by counting, so it needs one].
 */
export function onBecomeLeader(s: RaftState): void {
  // TODO(lab2)
}

/**
 * A client command reached this server (the KV service calls this) [§5.3].
 * Not the leader: { ok: false, error: "not_leader" }. Over
 * config.maxEntryBytes (entrySizeBytes of the would-be entry): "too_large".
 * More than config.maxUncommittedEntries appended but not committed, or a
 * leadership transfer under way (s.transfer !== null): "busy".
 * Otherwise append { index: lastIndex + 1, term: currentTerm, data }, tell
 * membership.onEntriesAppended, persist, send it to the followers, try
 * advanceCommitIndex (a cluster of one commits at once), and return
 * { ok: true, index, term }.
 */
export function propose(s: RaftState, data: EntryData): ProposeResult {
  // TODO(lab2)
  return { ok: false, error: "not_leader" };
}

/**
 * Leader: send `peer` what it needs next [§5.3]: the entries from its
 * nextIndex on (s.log.slice(nextIndex, lastIndex, config.maxBatchBytes)),
 * with prevLogIndex = nextIndex - 1, prevLogTerm = s.log.term(prevLogIndex),
 * leaderCommit = s.commitIndex and round = s.round. With heartbeat true, send
 * even if there is nothing new (an empty AppendEntries is the heartbeat).
 * Keep at most config.maxInflightAppends unanswered messages per follower.
 * If nextIndex <= s.log.snapshotIndex the entries are gone: call
 * s.modules.snapshot.sendInstallSnapshot(s, peer) instead (lab 4).
 */
export function sendAppendEntries(s: RaftState, peer: NodeId, heartbeat: boolean): void {
  // TODO(lab2)
}

/**
 * Leader, every heartbeat interval (election.onHeartbeatTimeout calls it):
 * start a new round (s.round += 1; s.roundSentMs.set(s.round, s.now())) and
 * sendAppendEntries(s, peer, true) to every follower in s.progress.
 */
export function broadcastHeartbeat(s: RaftState): void {
  // TODO(lab2)
}

/**
 * Follower: an AppendEntries of the current term (checkTerm ran first)
 * [§5.3, Figure 2 "AppendEntries RPC"]. In order:
 * 1. s.modules.election.heardFromLeader(s, from).
 * 2. Consistency check: your log must hold prevLogIndex with prevLogTerm.
 *    If not, reply success: false with the hints for fast backtracking:
 *    conflictTerm = your term at prevLogIndex and conflictIndex = the first
 *    index you hold of that term (s.log.firstIndexOfTerm), or, if your log is
 *    too short, conflictTerm = 0 and conflictIndex = lastIndex + 1.
 * 3. For each entry: if you have one at its index with the same term, skip
 *    it; at the first one whose term differs, truncate from there
 *    (s.log.truncateFrom, then s.modules.membership.onLogTruncated) and append
 *    the rest (then s.modules.membership.onEntriesAppended). Never truncate on
 *    a message whose entries you already have: it may be stale or duplicated,
 *    and what follows them may be committed.
 * 4. commitIndex = min(leaderCommit, prevLogIndex + entries.length) if that
 *    is higher than commitIndex (never lower it); note it:
 *    s.note("commit", { index, term }).
 * 5. Persist, then reply success: true with matchIndex = prevLogIndex +
 *    entries.length, term = currentTerm and round = msg.round. Then applyCommitted.
 */
export function handleAppendEntries(s: RaftState, from: NodeId, msg: AppendEntries): void {
  // TODO(lab2)
}

/**
 * Leader: a follower answered [§5.3]. Ignore it unless you are still the
 * leader and `from` is in s.progress. Mark the follower active
 * (recentActive = true, lastAckMs = now; ackedRound = max(ackedRound, msg.round)).
 * On success: raise matchIndex to msg.matchIndex (never lower it: replies
 * arrive out of order), nextIndex to at least matchIndex + 1, then
 * advanceCommitIndex and send the follower what it still lacks.
 * On failure: move nextIndex back using the hints (if your log has entries of
 * msg.conflictTerm, continue just after your last one of that term; else jump
 * to msg.conflictIndex), never below matchIndex + 1, and send again.
 */
export function handleAppendEntriesReply(s: RaftState, from: NodeId, msg: AppendEntriesReply): void {
  // TODO(lab2)
}

/**
 * Leader [§5.3, §5.4.2]: find the highest N > commitIndex stored on a majority
 * (count yourself; ask s.modules.membership.isQuorum(s, (id) => ...) with each
 * follower's matchIndex). Commit it only if s.log.term(N) === s.currentTerm:
 * Figure 8 shows an older term's entry "committed" by counting replicas being
 * overwritten later. Then note the commit (s.note("commit", { index, term })),
 * call s.modules.membership.onCommitAdvanced(s), and applyCommitted.
 */
export function advanceCommitIndex(s: RaftState): void {
  // TODO(lab2)
}

/**
 * Every server [Figure 2, "All Servers"]: while lastApplied < commitIndex,
 * take entry lastApplied + 1, set s.lastApplied to its index, and hand it to
 * s.applyToService(entry). In order, each entry exactly once.
 */
export function applyCommitted(s: RaftState): void {
  // TODO(lab2)
}

// The given glue and the other labs call your functions through this table. Keep every entry.
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
