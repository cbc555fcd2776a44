// GIVEN CODE: the knobs of a Raft cluster, with their defaults. Every limit has
// a name and a unit (TigerBeetle style), so a test can tighten it.
import type { NodeId } from "../../harness/types.ts";

export interface RaftConfig {
  /** The initial voters (bootstrap configuration), identical on every server, including ones added later. */
  readonly members: readonly NodeId[];
  /** Election timeouts are drawn uniformly from [min, max] [§5.2]. */
  readonly electionTimeoutMinMs: number;
  readonly electionTimeoutMaxMs: number;
  readonly heartbeatIntervalMs: number;
  /** PreVote: a server asks whether it could win before it bumps its term [thesis §9.6]. */
  readonly preVote: boolean;
  /** CheckQuorum: a leader that has not heard from a majority for an election timeout steps down [thesis §6.2]. */
  readonly checkQuorum: boolean;
  /** How many AppendEntries may be in flight to one follower at a time (pipelining) [thesis §10.2.2]. */
  readonly maxInflightAppends: number;
  /** The most entry bytes one AppendEntries carries. */
  readonly maxBatchBytes: number;
  /** The largest entry a client may propose, in serialized bytes. */
  readonly maxEntryBytes: number;
  /** The proposal queue: how many entries may be appended but not yet committed before proposals get "busy". */
  readonly maxUncommittedEntries: number;
  /** The service snapshots once this many entries are applied past the last snapshot [§7]. */
  readonly snapshotEveryEntries: number;
  /** InstallSnapshot chunk size, in characters of the serialized snapshot. */
  readonly snapshotChunkBytes: number;
  readonly maxKeyBytes: number;
  readonly maxValueBytes: number;
  /** Client requests a leader holds while they commit or while reads wait: over it, "busy". */
  readonly maxPendingRequests: number;
  /** Client sessions kept for deduplication; the least recently used is evicted beyond this [thesis §6.3]. */
  readonly maxSessions: number;
  /**
   * Lease reads [thesis §6.4.1] are only correct if no clock runs faster or
   * slower than real time by more than this (parts per million). The lease is
   * shortened by this bound; the simulator's clock drift can exceed it.
   */
  readonly maxClockDriftPpm: number;
  /** Bug switches for the reference solution (mutation testing); empty in normal runs. */
  readonly bugs: ReadonlySet<string>;
}

export const DEFAULT_CONFIG: Omit<RaftConfig, "members"> = {
  electionTimeoutMinMs: 150,
  electionTimeoutMaxMs: 300,
  heartbeatIntervalMs: 50,
  preVote: true,
  checkQuorum: true,
  maxInflightAppends: 4,
  maxBatchBytes: 64 * 1024,
  maxEntryBytes: 8 * 1024,
  maxUncommittedEntries: 1000,
  snapshotEveryEntries: 10_000,
  snapshotChunkBytes: 16 * 1024,
  maxKeyBytes: 256,
  maxValueBytes: 4096,
  maxPendingRequests: 1000,
  maxSessions: 10_000,
  maxClockDriftPpm: 50_000,
  bugs: new Set<string>(),
};

/** A full configuration: the defaults, overridden by what is given. */
export function raftConfig(members: readonly NodeId[], overrides: Partial<Omit<RaftConfig, "members">> = {}): RaftConfig {
  const c: RaftConfig = { ...DEFAULT_CONFIG, ...overrides, members: [...members] };
  if (!(c.electionTimeoutMinMs > 0 && c.electionTimeoutMaxMs >= c.electionTimeoutMinMs)) {
    throw new RangeError(`election timeouts must satisfy 0 < min <= max, got ${c.electionTimeoutMinMs}..${c.electionTimeoutMaxMs}`);
  }
  if (!(c.heartbeatIntervalMs > 0 && c.heartbeatIntervalMs < c.electionTimeoutMinMs)) {
    throw new RangeError(`heartbeatIntervalMs must be positive and below electionTimeoutMinMs, got ${c.heartbeatIntervalMs}`);
  }
  if (members.length === 0) throw new RangeError("a cluster needs at least one member");
  return c;
}
