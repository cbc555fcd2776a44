// The structured trace events (env.log) a Raft server emits, and which of them
// the monitors read. Monitors prefer what they can see on the wire (messages,
// applies, syncs); they use these events only where nothing else says it.
//
//   log("role",   { role: "follower" | "precandidate" | "candidate" | "leader", term, leader? })
//       on every role change. Read by: ElectionSafety, TermsNeverDecrease, LeaderCompleteness.
//   log("commit", { index, term })
//       whenever commitIndex advances. Read by: CommitMonotonic.
//   log("kv.exec", { clientId, seq, index })
//       when the KV service executes a client command (not when it recognizes a
//       retry it already applied). Read by: ExactlyOnce.
//   log("restore", { term, votedFor, snapshotIndex, lastIndex, droppedRecords })  at boot (informative)
//   log("snapshot", { index, term }), log("install-snapshot", { index, term })     (informative, coverage)
//   log("config", { index, voters, votersOutgoing, learners })                      (informative, coverage)
//
// Applied entries go through env.apply (kind "entry" with command = the entry's
// EntryData, or kind "snapshot"), which the simulator records as "apply" events.
export const RAFT_LOG_EVENTS = ["role", "commit", "kv.exec", "restore", "snapshot", "install-snapshot", "config"] as const;
export type RaftLogEvent = (typeof RAFT_LOG_EVENTS)[number];
