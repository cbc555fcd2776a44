// Lab 1 — Leader election (your file).
//
// Roles and terms [§5.1], elections with randomized timeouts [§5.2] and the
// election restriction [§5.4.1]. The extras — PreVote [thesis §9.6],
// CheckQuorum [thesis §6.2] and TimeoutNow [thesis §3.10] — are graded as
// `extra` scenarios; the core scenarios run with config.preVote and
// config.checkQuorum off.
//
// Read lessons/01-election.md first: it walks through these functions in the
// order to write them. Every function below is called by the given glue
// (labs/given/node.ts) or by the other labs' modules through s.modules; keep
// the names and signatures. Grade with `npm run grade lab1`.
import type { RaftMessage, RequestVote, RequestVoteReply, TimeoutNow } from "../harness/raft/messages.ts";
import type { NodeId } from "../harness/types.ts";
import { assert } from "./given/assert.ts";
import { ELECTION_TIMER, HEARTBEAT_TIMER } from "./given/node.ts";
import type { ElectionModule, RaftState } from "./given/state.ts";

/**
 * Called once at boot, after persistence.restore(): become a follower of the
 * restored term with no known leader (becomeFollower), and arm the election
 * timer (s.setTimer(ELECTION_TIMER, s.randomElectionTimeoutMs())). Without an
 * armed timer nothing ever happens: no server ever campaigns.
 */
export function start(s: RaftState): void {
  // TODO(lab1)
}

/**
 * The term rules of Figure 2 ("Rules for Servers", All Servers), run by the
 * glue before the handler of every Raft message:
 * - msg.term > s.currentTerm: become a follower of msg.term (the leader is
 *   `from` if the message is an AppendEntries or InstallSnapshot), then let the
 *   message through (return true);
 * - msg.term < s.currentTerm: the sender is stale. Answer a RequestVote with a
 *   refusal and an AppendEntries with success: false, both carrying your term
 *   so the sender catches up; drop the message (return false);
 * - equal terms: return true.
 * (With config.preVote, PreVote requests and granted PreVote replies carry a
 * hypothetical term and must not move anyone's term [thesis §9.6].)
 */
export function checkTerm(s: RaftState, from: NodeId, msg: RaftMessage): boolean {
  // TODO(lab1): apply the term rules.
  return true;
}

// ------------------------------------------------------------------ roles

/**
 * The one way to step down [§5.1]. If term is newer, adopt it and forget the
 * vote (votedFor = null). Set role "follower" and leaderId, clear
 * s.votesGranted, cancel the heartbeat timer, and note the change:
 *   s.note("role", { role: "follower", term: s.currentTerm, leader: leaderId })
 * (the grader's monitors read "role" notes). If this server was the leader,
 * arm the election timer (a leader runs none), clear s.progress and
 * s.transfer, and call s.modules.kv.onLeadershipLost(s) so waiting clients
 * get an answer. A follower or candidate keeps its running timer: Figure 2
 * restarts it only on AppendEntries from the current leader and on granting
 * a vote.
 */
export function becomeFollower(s: RaftState, term: number, leaderId: NodeId | null): void {
  // TODO(lab1)
}

/**
 * Extra (config.preVote) [thesis §9.6]: ask "would you vote for me in term
 * currentTerm + 1?" without changing the term. Role "precandidate", count your
 * own yes, re-arm the election timer, note the role, send RequestVote with
 * preVote: true and term currentTerm + 1. On a majority of yeses, becomeCandidate.
 */
export function becomePreCandidate(s: RaftState): void {
  // TODO(lab1, extra)
}

/**
 * Start an election [§5.2]: currentTerm += 1, vote for yourself (votedFor =
 * s.id, and into s.votesGranted), role "candidate", leaderId null, re-arm the
 * election timer (a split vote must time out and retry), note the role, call
 * s.modules.persistence.persist(s) (the new term and vote reach the disk before
 * anyone hears of them), then send RequestVote to every other voter with your
 * lastLogIndex and lastLogTerm. A cluster of one has its majority already:
 * become leader at once.
 * Voters: s.modules.membership.peers(s) filtered by s.modules.membership.isVoter(s, id).
 * `transfer` is true after TimeoutNow; put it in the RequestVote.
 */
export function becomeCandidate(s: RaftState, transfer: boolean): void {
  // TODO(lab1)
}

/**
 * Won the election [§5.2]: role "leader", leaderId = s.id, note the role, arm
 * the heartbeat timer (config.heartbeatIntervalMs), then call
 * s.modules.replication.onBecomeLeader(s), which appends the term's no-op and
 * sends the first AppendEntries at once. A leader never campaigns: either
 * cancel the election timer or ignore it in onElectionTimeout (the reference
 * uses it to pace CheckQuorum).
 */
export function becomeLeader(s: RaftState): void {
  // TODO(lab1)
}

/**
 * Called by replication (and snapshots) when a valid AppendEntries of the
 * current term arrives from leaderId: a candidate of this term steps down to
 * follower (§5.2: someone else won), a follower remembers the leader, and the
 * election timer is re-armed with a fresh random timeout, so a healthy leader
 * is never challenged. Also set s.lastLeaderContactMs = s.now().
 */
export function heardFromLeader(s: RaftState, leaderId: NodeId): void {
  // TODO(lab1)
}

// ----------------------------------------------------------------- timers

/**
 * The election timer fired [§5.2]. A follower or candidate starts an election
 * (becomeCandidate, or becomePreCandidate when config.preVote is on); a server
 * that is not a voter (s.modules.membership.isVoter(s, s.id) is false) only
 * re-arms its timer. A leader does not campaign (with config.checkQuorum it
 * checks here that a majority answered recently, and steps down if not).
 */
export function onElectionTimeout(s: RaftState): void {
  // TODO(lab1)
}

/**
 * The heartbeat timer fired: a leader re-arms it (config.heartbeatIntervalMs)
 * and calls s.modules.replication.broadcastHeartbeat(s) [§5.2]. Anyone else
 * ignores it.
 */
export function onHeartbeatTimeout(s: RaftState): void {
  // TODO(lab1)
}

// --------------------------------------------------------------- handlers

/**
 * A RequestVote of the current term (checkTerm ran first) [§5.2, §5.4.1,
 * Figure 2 "RequestVote RPC"]. Grant only if
 * - votedFor is null or already msg.candidateId (a retransmission gets the
 *   same answer), and
 * - the candidate's log is at least as up-to-date as yours: compare last
 *   terms first (higher wins), then, if equal, last indexes (longer or equal wins).
 * When you grant: votedFor = msg.candidateId and re-arm the election timer.
 * Then persist (s.modules.persistence.persist(s)), then reply with a
 * RequestVoteReply carrying your term. One vote per term, ever: the grader
 * fails the run the moment a server votes for two candidates in one term.
 * (A PreVote request changes nothing; grant it if msg.term > currentTerm and the log check passes.)
 */
export function handleRequestVote(s: RaftState, from: NodeId, msg: RequestVote): void {
  // TODO(lab1)
}

/**
 * A vote came back. Count it only while you are still a candidate of the term
 * it answers, and only if voteGranted. With votes from a majority
 * (s.modules.membership.isQuorum(s, (id) => s.votesGranted.has(id))), becomeLeader.
 * Only RequestVoteReply counts as a vote; never an AppendEntriesReply.
 */
export function handleRequestVoteReply(s: RaftState, from: NodeId, msg: RequestVoteReply): void {
  // TODO(lab1)
}

/**
 * Extra [thesis §3.10]: the leader asks this server to start an election now
 * (leadership transfer). A voter that is not the leader calls
 * becomeCandidate(s, true).
 */
export function handleTimeoutNow(s: RaftState, from: NodeId, msg: TimeoutNow): void {
  // TODO(lab1, extra)
}

// The given glue calls your functions through this table. Keep every entry.
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
