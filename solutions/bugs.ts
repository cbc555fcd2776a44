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
} as const;

export type ReferenceBug = keyof typeof REFERENCE_BUGS;

export function bugs(...names: ReferenceBug[]): ReadonlySet<string> {
  return new Set(names);
}
