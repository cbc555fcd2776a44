// Bug switches of the reference solution: each one re-creates a classic Raft
// mistake. Tests turn one on and show that a harness monitor catches it; the
// mutation audit (grader) uses the same list. Normal runs turn none on.
export const REFERENCE_BUGS = {
  "vote-twice": "a voter grants a second vote in the same term (§5.2: at most one vote per term)",
  "vote-ignores-log": "votes are granted without the election restriction (§5.4.1)",
  "vote-before-persist": "a vote is sent before votedFor is synced (Figure 2: persist before responding)",
  "no-sync": "state is written but never synced, so a crash loses it (Figure 2)",
  "restore-forgets-term": "a restarted server does not read currentTerm back from storage (Figure 2)",
  "commit-regresses": "a follower takes min(leaderCommit, last new entry) even when that is below its commitIndex (Figure 2)",
  "skip-consistency-check": "AppendEntries accepted without matching prevLogIndex/prevLogTerm (§5.3)",
  "truncate-on-stale": "a follower truncates its log on a stale AppendEntries whose entries already match (§5.3)",
  "commit-past-match": "a follower commits up to leaderCommit even past the entries known to match (Figure 2)",
  "commit-old-term": "a leader commits an older term's entry by counting replicas (§5.4.2, Figure 8)",
  "no-leader-stickiness": "votes are granted right after hearing from a leader (thesis §4.2.3)",
  "no-dedup": "a retried client write is applied again (thesis §6.3)",
  "sessions-not-in-snapshot": "the session table is left out of snapshots, so dedup forgets after one (thesis §6.3)",
  "read-without-heartbeat": "ReadIndex reads skip the heartbeat round that confirms leadership (thesis §6.4)",
  "read-index-ignores-noop": "reads do not wait for the leader's no-op to commit (thesis §6.4)",
  "lease-ignores-drift": "lease reads assume perfect clocks (thesis §6.4.1)",
  "joint-ignores-old": "joint consensus decisions need only a majority of C_new (§6)",
  "joint-skips-old": "a voter-set change jumps to C_new without C_old,new (§6)",
  "removed-leader-stays": "a leader removed from the configuration keeps leading (thesis §4.2.2)",
  "vote-keeps-timer": "a follower that grants a vote does not reset its election timer (§5.2, Figure 2)",
  "heartbeat-keeps-timer": "a follower does not reset its election timer on AppendEntries from the current leader (§5.2)",
  "no-heartbeats": "an idle leader sends no heartbeats, so followers time out and start elections (§5.2)",
  "candidate-keeps-term": "a server becomes a candidate without incrementing currentTerm (§5.2)",
  "ignore-reply-term": "a reply carrying a newer term does not make the receiver step down (§5.1, Figure 2)",
  "count-stale-votes": "a candidate counts a vote granted in one of its earlier terms (§5.2)",
  "prev-log-index-off-by-one": "the leader sends prevLogIndex = nextIndex instead of nextIndex - 1 (§5.3)",
  "next-index-below-one": "nextIndex steps back by one per rejection with no floor, so duplicate rejections push it below 1 (§5.3)",
  "match-index-from-next": "the leader sets matchIndex from its own nextIndex, not from what the follower acknowledged (§5.3, Figure 2)",
  "heartbeat-truncates": "a follower truncates its log after prevLogIndex on a heartbeat (§5.3: truncate only on a conflict)",
  "commit-without-majority": "a leader commits an entry once any one follower stores it, without a majority (§5.3)",
  "apply-uncommitted": "entries are applied as soon as they are in the log, before they are committed (§5.3, Figure 2)",
  "ack-before-sync": "a follower acknowledges AppendEntries before its log is on stable storage (Figure 2)",
  "forget-voted-for": "votedFor is not saved with currentTerm, so a restarted server may vote twice in a term (Figure 2)",
  "log-not-persisted": "currentTerm and votedFor are saved but the log is not (Figure 2)",
  "restore-assumes-committed": "a restarted server takes every entry in its log as committed (§5.3: commitIndex is volatile)",
  "snapshot-ignores-term": "an InstallSnapshot of an older term is accepted (§7, Figure 13: reply immediately if term < currentTerm)",
} as const;

export type ReferenceBug = keyof typeof REFERENCE_BUGS;

export function bugs(...names: ReferenceBug[]): ReadonlySet<string> {
  return new Set(names);
}
