// Lab 1 — Leader election (reference solution).
//
// Roles and terms [§5.1], elections with randomized timeouts [§5.2], the
// election restriction [§5.4.1], PreVote and leader stickiness so a server that
// rejoins after a partition cannot depose a healthy leader [thesis §9.6, §4.2.3],
// CheckQuorum so a leader cut off from its majority steps down [thesis §6.2],
// and TimeoutNow for leadership transfer [thesis §3.10].
import type { RaftMessage, RequestVote, RequestVoteReply, TimeoutNow } from "../harness/raft/messages.ts";
import type { NodeId } from "../harness/types.ts";
import { assert } from "../labs/given/assert.ts";
import { ELECTION_TIMER, HEARTBEAT_TIMER } from "../labs/given/node.ts";
import type { ElectionModule, RaftState } from "../labs/given/state.ts";

export function start(s: RaftState): void {
  // A server that just booted may have granted votes or acknowledged a leader
  // before it crashed; it treats the boot as contact with a leader, so it grants
  // no vote for an election timeout (this keeps leader leases sound, thesis §6.4.1).
  s.lastLeaderContactMs = s.now();
  becomeFollower(s, s.currentTerm, null);
  s.setTimer(ELECTION_TIMER, s.randomElectionTimeoutMs());
}

/**
 * The term rules of Figure 2 ("All Servers"), applied before any handler:
 * a newer term makes us a follower of it; an older one is stale and answered
 * with our term so its sender catches up.
 */
export function checkTerm(s: RaftState, from: NodeId, msg: RaftMessage): boolean {
  if (msg.type === "RequestVote" && msg.term > s.currentTerm && !msg.transfer && inLeaderLease(s)) {
    // Thesis §4.2.3: within the minimum election timeout of hearing from a
    // leader, a server neither updates its term nor grants its vote.
    return false;
  }
  // PreVote messages carry the term the candidate would campaign in: they must
  // not move anyone's term [thesis §9.6].
  if (msg.type === "RequestVote" && msg.preVote) return true;
  if (msg.type === "RequestVoteReply" && msg.preVote && msg.voteGranted) return true;

  // (Bug switch: a reply carrying a newer term is dropped instead of making us a follower.)
  if (msg.term > s.currentTerm && s.bug("ignore-reply-term") && msg.type.endsWith("Reply")) return false;
  if (msg.term > s.currentTerm) {
    const leader = msg.type === "AppendEntries" || msg.type === "InstallSnapshot" ? from : null;
    becomeFollower(s, msg.term, leader);
    return true;
  }
  if (msg.term < s.currentTerm) {
    if (s.bug("count-stale-votes") && msg.type === "RequestVoteReply") return true;
    if (s.bug("snapshot-ignores-term") && msg.type === "InstallSnapshot") return true;
    answerStale(s, from, msg);
    return false;
  }
  return true;
}

function answerStale(s: RaftState, from: NodeId, msg: RaftMessage): void {
  const term = s.currentTerm;
  s.modules.persistence.persist(s);
  switch (msg.type) {
    case "RequestVote":
      return s.send(from, { type: "RequestVoteReply", term, voteGranted: false, preVote: msg.preVote });
    case "AppendEntries":
      return s.send(from, { type: "AppendEntriesReply", term, success: false, matchIndex: 0, conflictIndex: 0, conflictTerm: 0, round: msg.round });
    case "InstallSnapshot":
      return s.send(from, { type: "InstallSnapshotReply", term, lastIncludedIndex: msg.lastIncludedIndex, nextOffset: 0, done: false, round: msg.round });
    default:
      return; // a stale reply or TimeoutNow: drop it
  }
}

/** Has this server heard from a live leader recently enough to refuse a new election? */
function inLeaderLease(s: RaftState): boolean {
  if (!s.config.checkQuorum || s.bug("no-leader-stickiness")) return false;
  if (s.role === "leader") return true; // CheckQuorum makes it step down otherwise
  return s.now() - s.lastLeaderContactMs < s.config.electionTimeoutMinMs;
}

// ------------------------------------------------------------------ roles

export function becomeFollower(s: RaftState, term: number, leaderId: NodeId | null): void {
  assert(term >= s.currentTerm, `${s.id}: becomeFollower(${term}) would lower term ${s.currentTerm}`);
  const wasLeader = s.role === "leader";
  const changed = s.role !== "follower" || term !== s.currentTerm || leaderId !== s.leaderId;
  if (term > s.currentTerm) {
    s.currentTerm = term;
    s.votedFor = null;
  }
  s.role = "follower";
  s.leaderId = leaderId;
  s.votesGranted.clear();
  s.cancelTimer(HEARTBEAT_TIMER);
  // Figure 2 restarts the election timer only on hearing from the leader or on
  // granting a vote; stepping down for a newer term must not, or a stream of
  // stale candidates with ever higher terms keeps the one up-to-date server
  // from ever timing out (seed 794504696 of "many elections"). A leader's timer
  // paced CheckQuorum, so a former leader draws a fresh election timeout.
  if (wasLeader) s.setTimer(ELECTION_TIMER, s.randomElectionTimeoutMs());
  if (wasLeader) {
    s.transfer = null;
    s.progress.clear();
    s.modules.kv.onLeadershipLost(s);
  }
  if (changed) s.note("role", { role: "follower", term: s.currentTerm, leader: leaderId });
}

export function becomePreCandidate(s: RaftState): void {
  assert(s.role !== "leader", `${s.id}: a leader cannot become a pre-candidate`);
  s.role = "precandidate";
  s.leaderId = null;
  s.votesGranted.clear();
  s.votesGranted.add(s.id);
  s.setTimer(ELECTION_TIMER, s.randomElectionTimeoutMs());
  s.note("role", { role: "precandidate", term: s.currentTerm });
  if (s.modules.membership.isQuorum(s, (id) => s.votesGranted.has(id))) return becomeCandidate(s, false);
  requestVotes(s, true, false);
}

export function becomeCandidate(s: RaftState, transfer: boolean): void {
  assert(s.role !== "leader", `${s.id}: a leader cannot become a candidate`);
  if (!s.bug("candidate-keeps-term")) s.currentTerm += 1;
  s.votedFor = s.id;
  s.role = "candidate";
  s.leaderId = null;
  s.votesGranted.clear();
  s.votesGranted.add(s.id);
  s.setTimer(ELECTION_TIMER, s.randomElectionTimeoutMs());
  s.note("role", { role: "candidate", term: s.currentTerm });
  s.modules.persistence.persist(s); // the new term and our own vote, before asking for votes
  if (s.modules.membership.isQuorum(s, (id) => s.votesGranted.has(id))) return becomeLeader(s);
  requestVotes(s, false, transfer);
}

function requestVotes(s: RaftState, preVote: boolean, transfer: boolean): void {
  s.modules.persistence.persist(s); // a term learnt earlier may not be on disk yet
  const msg: RequestVote = {
    type: "RequestVote",
    term: preVote ? s.currentTerm + 1 : s.currentTerm,
    candidateId: s.id,
    lastLogIndex: s.log.lastIndex(),
    lastLogTerm: s.log.lastTerm(),
    preVote,
    transfer,
  };
  for (const peer of s.modules.membership.peers(s)) {
    if (s.modules.membership.isVoter(s, peer)) s.send(peer, msg);
  }
}

export function becomeLeader(s: RaftState): void {
  assert(s.role === "candidate", `${s.id}: only a candidate can become leader (was ${s.role})`);
  s.role = "leader";
  s.leaderId = s.id;
  s.votesGranted.clear();
  s.note("role", { role: "leader", term: s.currentTerm });
  // The election timer now paces CheckQuorum; the heartbeat timer, heartbeats.
  s.setTimer(ELECTION_TIMER, s.config.electionTimeoutMinMs);
  s.setTimer(HEARTBEAT_TIMER, s.config.heartbeatIntervalMs);
  s.modules.replication.onBecomeLeader(s);
}

export function heardFromLeader(s: RaftState, leaderId: NodeId): void {
  assert(s.role !== "leader", `${s.id}: two leaders in term ${s.currentTerm} (${leaderId} and ${s.id})`);
  if (s.role !== "follower" || s.leaderId !== leaderId) becomeFollower(s, s.currentTerm, leaderId);
  s.lastLeaderContactMs = s.now();
  if (!s.bug("heartbeat-keeps-timer")) s.setTimer(ELECTION_TIMER, s.randomElectionTimeoutMs());
}

// ----------------------------------------------------------------- timers

export function onElectionTimeout(s: RaftState): void {
  if (s.role === "leader") return checkQuorum(s);
  s.setTimer(ELECTION_TIMER, s.randomElectionTimeoutMs());
  // Learners, removed servers and new servers that have not heard of their
  // addition never campaign.
  if (!s.modules.membership.canCampaign(s)) return;
  if (s.config.preVote) becomePreCandidate(s);
  else becomeCandidate(s, false);
}

/** Thesis §6.2: a leader that did not hear from a majority in an election timeout steps down. */
function checkQuorum(s: RaftState): void {
  s.setTimer(ELECTION_TIMER, s.config.electionTimeoutMinMs);
  if (s.transfer !== null && s.now() >= s.transfer.deadlineMs) {
    s.note("transfer-aborted", { target: s.transfer.target });
    s.transfer = null;
  }
  if (!s.config.checkQuorum) return;
  const active = (id: NodeId) => id === s.id || s.progress.get(id)?.recentActive === true;
  const ok = s.modules.membership.isQuorum(s, active);
  for (const p of s.progress.values()) p.recentActive = false;
  if (!ok) {
    s.note("check-quorum-failed", { term: s.currentTerm });
    becomeFollower(s, s.currentTerm, null);
  }
}

export function onHeartbeatTimeout(s: RaftState): void {
  if (s.role !== "leader") return;
  s.setTimer(HEARTBEAT_TIMER, s.config.heartbeatIntervalMs);
  if (!s.bug("no-heartbeats")) s.modules.replication.broadcastHeartbeat(s);
}

// --------------------------------------------------------------- handlers

/** §5.4.1: grant only to a candidate whose log is at least as up-to-date as ours. */
function candidateLogUpToDate(s: RaftState, msg: RequestVote): boolean {
  if (s.bug("vote-ignores-log")) return true;
  const myTerm = s.log.lastTerm();
  if (msg.lastLogTerm !== myTerm) return msg.lastLogTerm > myTerm;
  return msg.lastLogIndex >= s.log.lastIndex();
}

export function handleRequestVote(s: RaftState, from: NodeId, msg: RequestVote): void {
  if (msg.preVote) {
    // Would we vote in msg.term? Nothing changes here, whatever the answer.
    const grant = msg.term > s.currentTerm && candidateLogUpToDate(s, msg);
    s.modules.persistence.persist(s);
    s.send(from, { type: "RequestVoteReply", term: grant ? msg.term : s.currentTerm, voteGranted: grant, preVote: true });
    return;
  }
  assert(msg.term === s.currentTerm, "checkTerm lets only current-term votes through");
  const free = s.votedFor === null || s.votedFor === msg.candidateId || s.bug("vote-twice");
  const grant = free && candidateLogUpToDate(s, msg);
  if (grant) {
    s.votedFor = msg.candidateId;
    if (!s.bug("vote-keeps-timer")) s.setTimer(ELECTION_TIMER, s.randomElectionTimeoutMs());
  }
  // Figure 2: currentTerm and votedFor are on stable storage before we answer.
  if (!s.bug("vote-before-persist")) s.modules.persistence.persist(s);
  s.send(from, { type: "RequestVoteReply", term: s.currentTerm, voteGranted: grant, preVote: false });
}

export function handleRequestVoteReply(s: RaftState, from: NodeId, msg: RequestVoteReply): void {
  if (!msg.voteGranted) return;
  if (msg.preVote) {
    if (s.role !== "precandidate" || msg.term !== s.currentTerm + 1) return;
    s.votesGranted.add(from);
    if (s.modules.membership.isQuorum(s, (id) => s.votesGranted.has(id))) becomeCandidate(s, false);
    return;
  }
  if (s.role !== "candidate") return;
  s.votesGranted.add(from);
  if (s.modules.membership.isQuorum(s, (id) => s.votesGranted.has(id))) becomeLeader(s);
}

export function handleTimeoutNow(s: RaftState, _from: NodeId, _msg: TimeoutNow): void {
  if (s.role === "leader" || !s.modules.membership.isVoter(s, s.id)) return;
  s.note("timeout-now", { term: s.currentTerm });
  becomeCandidate(s, true);
}

export const election: ElectionModule = {
  start,
  checkTerm,
  becomeFollower,
  becomePreCandidate,
  becomeCandidate,
  becomeLeader,
  heardFromLeader,
  onElectionTimeout,
  onHeartbeatTimeout,
  handleRequestVote,
  handleRequestVoteReply,
  handleTimeoutNow,
};
