// The wire format of the Raft KV: what nodes, clients and monitors exchange.
//
// Field names follow Figure 2 of the Raft paper (Ongaro & Ousterhout, "In Search
// of an Understandable Consensus Algorithm", 2014) so the code can be read next
// to it. Extensions the paper does not name are marked with the section of the
// paper or of Ongaro's thesis ("Consensus: Bridging Theory and Practice", 2014)
// that motivates them.
//
// This file is trusted harness code: the monitors in harness/raft/monitors.ts
// read these messages on the wire and never trust a node's memory. Student code
// may import these types (it must, to speak the protocol).
import type { Json, NodeId } from "../types.ts";

// ---------------------------------------------------------------- log entries

/** A cluster configuration [§6; thesis §4]. Joint consensus while votersOutgoing is non-empty. */
export type ClusterConfig = {
  /** The voters of C_new (or of the only configuration when not joint). */
  voters: NodeId[];
  /** The voters of C_old during joint consensus C_old,new; empty otherwise. */
  votersOutgoing: NodeId[];
  /** Non-voting members that receive the log but count in no majority [thesis §4.2.1]. */
  learners: NodeId[];
};

/** What a log entry carries. Raft itself only reads config entries; commands are opaque to it. */
export type EntryData =
  /** Appended by every new leader so that entries of its term get committed [§8; thesis §6.4]. */
  | { kind: "noop" }
  /** A service command (for the KV service: a KvCommand). */
  | { kind: "command"; command: Json }
  /** A configuration change; it takes effect as soon as it is in a server's log [thesis §4.1]. */
  | { kind: "config"; config: ClusterConfig };

/** One log entry. The index is carried explicitly so a message is readable on its own. */
export type Entry = { index: number; term: number; data: EntryData };

// ------------------------------------------------------------ Raft messages

/** RequestVote RPC [§5.2, Figure 2], also used for PreVote [thesis §9.6]. */
export type RequestVote = {
  type: "RequestVote";
  /** The candidate's term; for a PreVote, the term it would campaign in (its current term + 1). */
  term: number;
  candidateId: NodeId;
  lastLogIndex: number;
  lastLogTerm: number;
  /** A PreVote asks "would you vote for me?" and changes no state at either end [thesis §9.6]. */
  preVote: boolean;
  /** Sent after TimeoutNow: voters do not ignore it even if they heard from a leader recently [thesis §3.10]. */
  transfer: boolean;
};

export type RequestVoteReply = {
  type: "RequestVoteReply";
  /** The voter's current term (for a PreVote, its term is left unchanged). */
  term: number;
  voteGranted: boolean;
  preVote: boolean;
};

/** AppendEntries RPC [§5.3, Figure 2]; with no entries it is a heartbeat. */
export type AppendEntries = {
  type: "AppendEntries";
  term: number;
  leaderId: NodeId;
  prevLogIndex: number;
  prevLogTerm: number;
  entries: Entry[];
  leaderCommit: number;
  /**
   * The leader's heartbeat round, echoed in the reply. A quorum of replies for a
   * round started after a read arrived proves the leader still leads: ReadIndex
   * [thesis §6.4], leases [thesis §6.4.1] and CheckQuorum [thesis §6.2] use it.
   */
  round: number;
};

export type AppendEntriesReply = {
  type: "AppendEntriesReply";
  term: number;
  success: boolean;
  /** On success: the index of the last entry known to match the leader's log (prevLogIndex + entries.length). */
  matchIndex: number;
  /**
   * On failure, hints for fast backtracking [§5.3, "the follower can include the
   * term of the conflicting entry and the first index it stores for that term"]:
   * conflictTerm is the term of the follower's entry at prevLogIndex (0 if its
   * log is too short), conflictIndex the first index of that term in its log (or
   * its last index + 1 if too short).
   */
  conflictIndex: number;
  conflictTerm: number;
  /** The round of the AppendEntries this answers. */
  round: number;
};

/** InstallSnapshot RPC [§7, Figure 13], sent in chunks. */
export type InstallSnapshot = {
  type: "InstallSnapshot";
  term: number;
  leaderId: NodeId;
  lastIncludedIndex: number;
  lastIncludedTerm: number;
  /** The byte offset of this chunk in the snapshot's serialized form. */
  offset: number;
  /** This chunk of the serialized snapshot. */
  data: string;
  /** True for the last chunk. */
  done: boolean;
  round: number;
};

export type InstallSnapshotReply = {
  type: "InstallSnapshotReply";
  term: number;
  lastIncludedIndex: number;
  /** The offset the follower expects next (0 to restart the transfer); when done, the total size. */
  nextOffset: number;
  /** True once the whole snapshot is installed and durable. */
  done: boolean;
  round: number;
};

/** Leadership transfer: the leader tells an up-to-date follower to start an election now [thesis §3.10]. */
export type TimeoutNow = { type: "TimeoutNow"; term: number; leaderId: NodeId };

/** Messages between servers. */
export type RaftMessage =
  | RequestVote
  | RequestVoteReply
  | AppendEntries
  | AppendEntriesReply
  | InstallSnapshot
  | InstallSnapshotReply
  | TimeoutNow;

export const RAFT_MESSAGE_TYPES: ReadonlySet<string> = new Set<RaftMessage["type"]>([
  "RequestVote",
  "RequestVoteReply",
  "AppendEntries",
  "AppendEntriesReply",
  "InstallSnapshot",
  "InstallSnapshotReply",
  "TimeoutNow",
]);

export function isRaftMessage(msg: { type: string }): msg is RaftMessage {
  return RAFT_MESSAGE_TYPES.has(msg.type);
}

// ------------------------------------------------------------- KV service

/** A KV operation. Keys and values are strings; null means "absent". */
export type KvOp =
  | { op: "get"; key: string }
  | { op: "set"; key: string; value: string }
  | { op: "del"; key: string }
  /** Appends value to the current value (absent counts as ""): a retry applied twice shows in every later read. */
  | { op: "append"; key: string; value: string }
  /** Compare-and-set: sets value only if the current value is expected (null: absent). */
  | { op: "cas"; key: string; expected: string | null; value: string };

/** What an operation returns: for get, the value; for set/del/append, the previous value; for cas, whether it applied. */
export type KvResult = { value: string | null; applied: boolean };

/** The command a KV write puts in the log: the session (clientId, seq) makes a retry apply once [thesis §6.3]. */
export type KvCommand = { clientId: string; seq: number; op: KvOp };

/**
 * How a read is served [thesis §6.4]: "linearizable" confirms leadership with a
 * heartbeat round (ReadIndex); "lease" trusts a clock-bounded leader lease;
 * "stale" is answered by any server from its local state and may be out of date.
 */
export type ReadMode = "linearizable" | "lease" | "stale";

export type ClientRequest = {
  type: "ClientRequest";
  clientId: string;
  /** The client's sequence number: one operation at a time, retried with the same seq. */
  seq: number;
  op: KvOp;
  /** Only for get. */
  readMode: ReadMode;
};

/**
 * Why a request was not served. too_large and bad_request are definite: the
 * operation did not and will not take effect. not_leader and busy ask the client
 * to retry (with the same seq): a write a deposed leader had already appended
 * may still commit, so they say nothing definite about it.
 */
export type ClientError =
  /** This server is not (or no longer) the leader (see leaderHint); retry there. */
  | "not_leader"
  /** The leader's proposal queue is full; back off and retry. */
  | "busy"
  /** The key, value or request exceeds a size limit; retrying will not help. */
  | "too_large"
  /** The request is malformed. */
  | "bad_request";

export type ClientReply =
  | { type: "ClientReply"; clientId: string; seq: number; ok: true; result: KvResult; stale: boolean; servedBy: NodeId }
  | { type: "ClientReply"; clientId: string; seq: number; ok: false; error: ClientError; leaderHint: NodeId | null };

// ------------------------------------------------------ administration

/** A membership change request, sent to the leader by an operator (or the soak test). */
export type MembershipChange =
  /** Adds a non-voting learner; the leader promotes it once it has caught up [thesis §4.2.1]. */
  | { change: "addServer"; server: NodeId }
  /** Removes a voter or learner (single-server change, thesis §4.1). */
  | { change: "removeServer"; server: NodeId }
  /** Replaces the voter set through joint consensus C_old,new then C_new [§6]. */
  | { change: "joint"; voters: NodeId[] }
  /** Hands leadership to a caught-up voter (TimeoutNow) [thesis §3.10]. */
  | { change: "transferLeadership"; server: NodeId };

export type AdminRequest = { type: "AdminRequest"; requestId: number; request: MembershipChange };

export type AdminReply =
  | { type: "AdminReply"; requestId: number; ok: true; config: ClusterConfig }
  | { type: "AdminReply"; requestId: number; ok: false; error: ClientError | "in_progress" | "rejected"; leaderHint: NodeId | null; detail: string };

/** Every message of the Raft KV. */
export type Msg = RaftMessage | ClientRequest | ClientReply | AdminRequest | AdminReply;
