// GIVEN CODE (read-only for students): the state of one Raft server and the
// table of modules that operate on it.
//
// Each lab file (labs/election.ts, labs/replication.ts, ...) exports one module
// of the table below: plain functions over a RaftState. A module never calls
// another lab's functions directly but always through s.modules, so the grader
// can assemble a node from your modules for the labs you have done and the
// reference's (solutions/) for the rest.
import type {
  AdminRequest,
  AppendEntries,
  AppendEntriesReply,
  ClientRequest,
  ClusterConfig,
  Entry,
  EntryData,
  InstallSnapshot,
  InstallSnapshotReply,
  KvResult,
  Msg,
  RaftMessage,
  ReadMode,
  RequestVote,
  RequestVoteReply,
  TimeoutNow,
} from "../../harness/raft/messages.ts";
import type { Env, Json, NodeId, TimerId } from "../../harness/types.ts";
import { assert } from "./assert.ts";
import type { RaftConfig } from "./config.ts";
import { RaftLog } from "./log.ts";

export type Role = "follower" | "precandidate" | "candidate" | "leader";

/** The leader's view of one follower [Figure 2: nextIndex[], matchIndex[]]. */
export interface PeerProgress {
  /** The next entry to send. */
  nextIndex: number;
  /** The highest entry known to be replicated on the follower. */
  matchIndex: number;
  /**
   * probe: one AppendEntries at a time to find where the logs agree;
   * replicate: pipelining, up to maxInflightAppends in flight;
   * snapshot: an InstallSnapshot transfer is under way.
   */
  mode: "probe" | "replicate" | "snapshot";
  /** Last index carried by each AppendEntries in flight (replicate mode). */
  inflight: number[];
  /** When the last probe or snapshot chunk was sent (leader's clock), -Infinity if none waits for an answer. */
  lastSendMs: number;
  /** When the follower last acknowledged anything. */
  lastAckMs: number;
  /** Replicate mode: when matchIndex last advanced or the pipeline last started from empty (stall detection). */
  lastProgressMs: number;
  /** The highest heartbeat round the follower has answered in this term. */
  ackedRound: number;
  /** Set by any reply in this term; CheckQuorum clears it every election timeout. */
  recentActive: boolean;
  /** Snapshot mode: the snapshot being sent and the offset of the chunk in flight. */
  snapshotIndex: number;
  snapshotOffset: number;
}

export function newProgress(nextIndex: number): PeerProgress {
  return {
    nextIndex,
    matchIndex: 0,
    mode: "probe",
    inflight: [],
    lastSendMs: -Infinity,
    lastAckMs: -Infinity,
    lastProgressMs: -Infinity,
    ackedRound: 0,
    recentActive: false,
    snapshotIndex: 0,
    snapshotOffset: 0,
  };
}

/** A snapshot as kept by a server [§7]: the service's state up to index, and the configuration then. */
export interface SnapshotState {
  index: number;
  term: number;
  config: ClusterConfig;
  /** The service's state as JSON text: what InstallSnapshot chunks are cut from. */
  serialized: string;
}

/** A snapshot being received in chunks (follower side). */
export interface IncomingSnapshot {
  index: number;
  term: number;
  leaderTerm: number;
  chunks: string[];
  nextOffset: number;
}

/** A client write waiting for its entry to be applied (leader). */
export interface PendingWrite {
  from: NodeId;
  clientId: string;
  seq: number;
  term: number;
}

/** A client read waiting for ReadIndex to confirm leadership (leader) [thesis §6.4]. */
export interface PendingRead {
  from: NodeId;
  clientId: string;
  seq: number;
  key: string;
  readIndex: number;
  round: number;
  mode: ReadMode;
}

/** The KV service's state (lab 6). */
export interface KvState {
  data: Map<string, string>;
  /** clientId -> the last applied seq and its result (session table, thesis §6.3). Map order = least recently used first. */
  sessions: Map<string, { seq: number; result: KvResult }>;
  /** log index -> write waiting for it to apply. */
  pendingWrites: Map<number, PendingWrite>;
  pendingReads: PendingRead[];
}

export type ProposeResult = { ok: true; index: number; term: number } | { ok: false; error: "not_leader" | "busy" | "too_large" };

// ----------------------------------------------------------------- modules

/** Lab 1: roles, terms, elections, heartbeats [§5.1, §5.2, §5.4.1; thesis §9.6, §3.10]. */
export interface ElectionModule {
  /** Called once the state is restored: start as a follower. */
  start(s: RaftState): void;
  /** The term rules, applied to every Raft message before its handler; false drops the message. */
  checkTerm(s: RaftState, from: NodeId, msg: RaftMessage): boolean;
  becomeFollower(s: RaftState, term: number, leaderId: NodeId | null): void;
  becomePreCandidate(s: RaftState): void;
  becomeCandidate(s: RaftState, transfer: boolean): void;
  becomeLeader(s: RaftState): void;
  /** A valid AppendEntries/InstallSnapshot arrived from the leader of the current term. */
  heardFromLeader(s: RaftState, leaderId: NodeId): void;
  onElectionTimeout(s: RaftState): void;
  onHeartbeatTimeout(s: RaftState): void;
  handleRequestVote(s: RaftState, from: NodeId, msg: RequestVote): void;
  handleRequestVoteReply(s: RaftState, from: NodeId, msg: RequestVoteReply): void;
  handleTimeoutNow(s: RaftState, from: NodeId, msg: TimeoutNow): void;
}

/** Lab 2: the replicated log [§5.3, §5.4.2]. */
export interface ReplicationModule {
  /** Called by becomeLeader: reset per-follower progress and append the term's no-op. */
  onBecomeLeader(s: RaftState): void;
  /** Leader: append a new entry and start replicating it. */
  propose(s: RaftState, data: EntryData): ProposeResult;
  /** Leader: send what the follower needs next (heartbeat: send even if nothing is new). */
  sendAppendEntries(s: RaftState, peer: NodeId, heartbeat: boolean): void;
  /** Leader: start a new heartbeat round to every follower. */
  broadcastHeartbeat(s: RaftState): void;
  handleAppendEntries(s: RaftState, from: NodeId, msg: AppendEntries): void;
  handleAppendEntriesReply(s: RaftState, from: NodeId, msg: AppendEntriesReply): void;
  advanceCommitIndex(s: RaftState): void;
  /** Apply committed entries in order, each exactly once. */
  applyCommitted(s: RaftState): void;
}

/** Lab 3: durable state [§5, Figure 2]. */
export interface PersistenceModule {
  /** Write and sync whatever changed; call before sending anything that depends on it. */
  persist(s: RaftState): void;
  /** At boot: rebuild currentTerm, votedFor and the log from storage (after snapshot.restore). */
  restore(s: RaftState): void;
}

/** Lab 4: log compaction [§7]. */
export interface SnapshotModule {
  /** At boot, before persistence.restore: load the last snapshot, if any, and hand it to the service. */
  restore(s: RaftState): void;
  /** The service has applied everything up to index and its state is data: compact the log. */
  takeSnapshot(s: RaftState, index: number, data: Json): void;
  /** Leader: the follower needs entries the log no longer holds. */
  sendInstallSnapshot(s: RaftState, peer: NodeId): void;
  handleInstallSnapshot(s: RaftState, from: NodeId, msg: InstallSnapshot): void;
  handleInstallSnapshotReply(s: RaftState, from: NodeId, msg: InstallSnapshotReply): void;
}

/** Lab 5: cluster membership [§6; thesis §4]. */
export interface MembershipModule {
  /** At boot, after the log is restored: find the latest configuration. */
  restore(s: RaftState): void;
  /** Does the set of servers `has` accepts form a majority of the current configuration (of both halves, if joint)? */
  isQuorum(s: RaftState, has: (id: NodeId) => boolean): boolean;
  /** Everyone the leader replicates to: voters and learners other than itself. */
  peers(s: RaftState): NodeId[];
  isVoter(s: RaftState, id: NodeId): boolean;
  /**
   * May this server start an election? A voter of its latest configuration may;
   * so may a voter of the last committed one, removed by a change that is not
   * yet committed (otherwise a leader that stepped down mid-change could hold
   * the only up-to-date log and never run again).
   */
  canCampaign(s: RaftState): boolean;
  /** The configuration in effect at index (for snapshots). */
  configAt(s: RaftState, index: number): ClusterConfig;
  /** New entries were appended to the log (configurations take effect on append, thesis §4.1). */
  onEntriesAppended(s: RaftState, entries: readonly Entry[]): void;
  /** The log was truncated: a configuration may have been removed. */
  onLogTruncated(s: RaftState): void;
  /** commitIndex advanced (leader: finish joint consensus, step down if removed). */
  onCommitAdvanced(s: RaftState): void;
  handleAdminRequest(s: RaftState, from: NodeId, msg: AdminRequest): void;
  /** After every event: promote caught-up learners, drive leadership transfer. */
  poll(s: RaftState): void;
}

/** Lab 6: the replicated KV service [thesis §6]. */
export interface KvModule {
  /** A committed command entry (index order, exactly once per entry). */
  apply(s: RaftState, entry: Entry): void;
  /** The service's state (data and sessions) as JSON, for a snapshot. */
  snapshotData(s: RaftState): Json;
  restoreSnapshot(s: RaftState, data: Json): void;
  handleClientRequest(s: RaftState, from: NodeId, msg: ClientRequest): void;
  /** This server stopped being leader: answer what it was holding. */
  onLeadershipLost(s: RaftState): void;
  /** After every event: serve reads that became ready. */
  poll(s: RaftState): void;
}

export interface RaftModules {
  readonly election: ElectionModule;
  readonly replication: ReplicationModule;
  readonly persistence: PersistenceModule;
  readonly snapshot: SnapshotModule;
  readonly membership: MembershipModule;
  readonly kv: KvModule;
}

// ------------------------------------------------------------------- state

export class RaftState {
  // Persistent state on all servers [Figure 2]; written by persistence.persist().
  currentTerm = 0;
  votedFor: NodeId | null = null;
  readonly log = new RaftLog();

  // Volatile state on all servers [Figure 2].
  commitIndex = 0;
  lastApplied = 0;

  role: Role = "follower";
  /** Who this server believes leads the current term (redirect hint), or null. */
  leaderId: NodeId | null = null;
  /** Election (lab 1): votes received in the current (pre-)election. */
  readonly votesGranted = new Set<NodeId>();
  /** When this server last heard from a leader (own clock), for PreVote/CheckQuorum stickiness. */
  lastLeaderContactMs = -Infinity;

  // Volatile state on leaders [Figure 2], reinitialized after election.
  readonly progress = new Map<NodeId, PeerProgress>();
  /** The index of this leader's no-op: reads wait until it is committed [thesis §6.4]. */
  termStartIndex = 0;
  /** Heartbeat rounds (see AppendEntries.round) and when each recent one was sent. */
  round = 0;
  readonly roundSentMs = new Map<number, number>();
  /** A leadership transfer under way [thesis §3.10]. */
  transfer: { target: NodeId; deadlineMs: number } | null = null;

  // Persistence (lab 3): what is known to be on disk.
  persistedTerm = 0;
  persistedVotedFor: NodeId | null = null;

  // Snapshots (lab 4).
  snapshot: SnapshotState | null = null;
  incomingSnapshot: IncomingSnapshot | null = null;

  // Membership (lab 5): the latest configuration in the log (or snapshot, or bootstrap) and its index.
  cluster: ClusterConfig;
  clusterIndex = 0;
  /** Admin requests waiting for their configuration entry to commit: log index -> requester. */
  readonly pendingAdmin = new Map<number, { from: NodeId; requestId: number }>();
  /** Learners to promote to voters once caught up. */
  readonly promoteWhenCaughtUp = new Set<NodeId>();

  // The KV service (lab 6).
  readonly kv: KvState = { data: new Map(), sessions: new Map(), pendingWrites: new Map(), pendingReads: [] };

  private readonly timers = new Map<string, TimerId>();

  constructor(
    readonly env: Env<Msg>,
    readonly config: RaftConfig,
    readonly modules: RaftModules,
  ) {
    this.cluster = { voters: [...config.members], votersOutgoing: [], learners: [] };
  }

  get id(): NodeId {
    return this.env.id;
  }

  now(): number {
    return this.env.now();
  }

  /** Is this bug switch on? Only the reference reads it (mutation testing). */
  bug(name: string): boolean {
    return this.config.bugs.has(name);
  }

  send(to: NodeId, msg: Msg): void {
    assert(to !== this.id, `${this.id} tried to send ${msg.type} to itself`);
    this.env.send(to, msg);
  }

  /** (Re)arms the timer of this name: an earlier one of the same name is cancelled. */
  setTimer(name: string, ms: number): void {
    this.cancelTimer(name);
    this.timers.set(name, this.env.setTimer(ms, name));
  }

  cancelTimer(name: string): void {
    const id = this.timers.get(name);
    if (id !== undefined) {
      this.env.cancelTimer(id);
      this.timers.delete(name);
    }
  }

  /** Called by the glue when a timer fires, so it is no longer pending. */
  timerFired(name: string): void {
    this.timers.delete(name);
  }

  /** A uniformly random election timeout [§5.2]. */
  randomElectionTimeoutMs(): number {
    const { electionTimeoutMinMs: min, electionTimeoutMaxMs: max } = this.config;
    return min + Math.floor(this.env.random() * (max - min + 1));
  }

  /** The leader's view of a follower, created on first use. */
  peer(id: NodeId): PeerProgress {
    let p = this.progress.get(id);
    if (p === undefined) {
      p = newProgress(this.log.lastIndex() + 1);
      this.progress.set(id, p);
    }
    return p;
  }

  /** Hands a committed entry to the harness (for checking) and to the service. */
  applyToService(entry: Entry): void {
    assert(entry.index === this.lastApplied, `applyToService(${entry.index}) but lastApplied is ${this.lastApplied}: set lastApplied first`);
    this.env.apply({ kind: "entry", index: entry.index, term: entry.term, command: entry.data });
    this.modules.kv.apply(this, entry);
  }

  /** Replaces the service's state with a snapshot's (at boot or on InstallSnapshot). */
  installInService(index: number, term: number, data: Json): void {
    this.env.apply({ kind: "snapshot", index, term, data });
    this.modules.kv.restoreSnapshot(this, data);
  }

  /** Structured trace note (see harness/raft/events.ts for the events monitors read). */
  note(event: string, fields: { [key: string]: Json } = {}): void {
    this.env.log(event, fields);
  }
}
