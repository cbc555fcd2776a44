// Lab 4 — Snapshots (reference solution).
//
// The service hands Raft a snapshot of its state every snapshotEveryEntries
// applied entries; Raft saves it, then discards the log prefix it covers [§7].
// A follower too far behind gets the snapshot from the leader with
// InstallSnapshot, in chunks [§7, Figure 13]. A restarted server loads its
// snapshot, then the log suffix after it.
//
// File "snapshot": two records, replaced atomically: {index, term} and the
// serialized snapshot {config, data} (the configuration as of index, §7: "the
// snapshot also includes the latest configuration as of the last included index").
import type { ClusterConfig, InstallSnapshot, InstallSnapshotReply } from "../harness/raft/messages.ts";
import { openRecords, sealRecord } from "../harness/checksum.ts";
import type { Json, NodeId } from "../harness/types.ts";
import { assert } from "../labs/given/assert.ts";
import type { RaftState, SnapshotModule, SnapshotState } from "../labs/given/state.ts";

export const SNAPSHOT_FILE = "snapshot";

type SnapshotMeta = { index: number; term: number };
type SnapshotBody = { config: ClusterConfig; data: Json };

export function restore(s: RaftState): void {
  const { payloads } = openRecords(s.env.storage.read(SNAPSHOT_FILE));
  if (payloads.length < 2) return; // replace() is atomic: either both records or none
  const meta = JSON.parse(payloads[0]) as SnapshotMeta;
  const body = JSON.parse(payloads[1]) as SnapshotBody;
  s.snapshot = { index: meta.index, term: meta.term, config: body.config, serialized: payloads[1] };
  s.log.resetForRestore(meta.index, meta.term, []);
  s.installInService(meta.index, meta.term, body.data);
  s.commitIndex = meta.index;
  s.lastApplied = meta.index;
}

/** Saves a snapshot durably, then discards the log it covers. */
function save(s: RaftState, snap: SnapshotState): void {
  const meta: SnapshotMeta = { index: snap.index, term: snap.term };
  s.env.storage.replace(SNAPSHOT_FILE, [sealRecord(JSON.stringify(meta)), sealRecord(snap.serialized)]);
  s.env.storage.sync(); // the snapshot must be durable before the log it replaces is dropped
  s.snapshot = snap;
  s.log.compact(snap.index, snap.term);
  s.modules.persistence.persist(s); // rewrites the WAL from the new base
  s.note("snapshot", { index: snap.index, term: snap.term });
}

export function takeSnapshot(s: RaftState, index: number, data: Json): void {
  if (index <= s.log.snapshotIndex) return;
  assert(index <= s.lastApplied, `${s.id}: snapshot at ${index} covers unapplied entries (lastApplied ${s.lastApplied})`);
  const term = s.log.term(index);
  assert(term !== undefined, `${s.id}: no term for snapshot index ${index}`);
  const config = s.modules.membership.configAt(s, index);
  const body: SnapshotBody = { config, data };
  save(s, { index, term, config, serialized: JSON.stringify(body) });
}

// ------------------------------------------------------------------ leader

export function sendInstallSnapshot(s: RaftState, peer: NodeId): void {
  const snap = s.snapshot;
  assert(snap !== null, `${s.id}: ${peer} needs a snapshot but there is none`);
  const pr = s.peer(peer);
  const now = s.now();
  if (pr.mode !== "snapshot" || pr.snapshotIndex !== snap.index) {
    pr.mode = "snapshot";
    pr.snapshotIndex = snap.index;
    pr.snapshotOffset = 0;
    pr.inflight = [];
    pr.lastSendMs = -Infinity;
  }
  // One chunk in flight; resend it if unanswered for two heartbeats.
  if (now - pr.lastSendMs < 2 * s.config.heartbeatIntervalMs) return;
  const offset = Math.min(pr.snapshotOffset, snap.serialized.length);
  const data = snap.serialized.slice(offset, offset + s.config.snapshotChunkBytes);
  const msg: InstallSnapshot = {
    type: "InstallSnapshot",
    term: s.currentTerm,
    leaderId: s.id,
    lastIncludedIndex: snap.index,
    lastIncludedTerm: snap.term,
    offset,
    data,
    done: offset + data.length >= snap.serialized.length,
    round: s.round,
  };
  pr.lastSendMs = now;
  s.send(peer, msg);
}

export function handleInstallSnapshotReply(s: RaftState, from: NodeId, msg: InstallSnapshotReply): void {
  if (s.role !== "leader") return;
  const pr = s.progress.get(from);
  if (pr === undefined) return;
  pr.recentActive = true;
  pr.lastAckMs = s.now();
  if (msg.round > pr.ackedRound) pr.ackedRound = msg.round;
  if (msg.done) {
    if (msg.lastIncludedIndex > pr.matchIndex) pr.matchIndex = msg.lastIncludedIndex;
    if (pr.mode === "snapshot") {
      pr.mode = "probe";
      pr.inflight = [];
      pr.nextIndex = pr.matchIndex + 1;
      pr.lastSendMs = -Infinity;
    }
    s.modules.replication.advanceCommitIndex(s);
    if (s.role === "leader") s.modules.replication.sendAppendEntries(s, from, false);
    return;
  }
  if (pr.mode !== "snapshot" || msg.lastIncludedIndex !== pr.snapshotIndex) return; // stale
  pr.snapshotOffset = msg.nextOffset;
  pr.lastSendMs = -Infinity;
  sendInstallSnapshot(s, from);
}

// ---------------------------------------------------------------- follower

export function handleInstallSnapshot(s: RaftState, from: NodeId, msg: InstallSnapshot): void {
  s.modules.election.heardFromLeader(s, from);
  const reply = (nextOffset: number, done: boolean) => {
    s.modules.persistence.persist(s);
    const r: InstallSnapshotReply = { type: "InstallSnapshotReply", term: s.currentTerm, lastIncludedIndex: msg.lastIncludedIndex, nextOffset, done, round: msg.round };
    s.send(from, r);
  };
  if (msg.lastIncludedIndex <= s.commitIndex) {
    // We already hold everything it covers, committed and so identical to the leader's.
    s.incomingSnapshot = null;
    return reply(msg.offset + msg.data.length, true);
  }
  let inc = s.incomingSnapshot;
  if (msg.offset === 0) {
    inc = { index: msg.lastIncludedIndex, term: msg.lastIncludedTerm, leaderTerm: msg.term, chunks: [], nextOffset: 0 };
    s.incomingSnapshot = inc;
  }
  if (inc === null || inc.index !== msg.lastIncludedIndex || inc.term !== msg.lastIncludedTerm || inc.leaderTerm !== msg.term) {
    return reply(0, false); // start over
  }
  if (msg.offset !== inc.nextOffset) return reply(inc.nextOffset, false);
  inc.chunks.push(msg.data);
  inc.nextOffset += msg.data.length;
  if (!msg.done) return reply(inc.nextOffset, false);

  s.incomingSnapshot = null;
  const serialized = inc.chunks.join("");
  const body = JSON.parse(serialized) as SnapshotBody;
  save(s, { index: inc.index, term: inc.term, config: body.config, serialized });
  s.modules.membership.restore(s); // the configuration may now come from the snapshot
  s.installInService(inc.index, inc.term, body.data);
  s.commitIndex = Math.max(s.commitIndex, inc.index);
  s.lastApplied = inc.index;
  s.note("install-snapshot", { index: inc.index, term: inc.term });
  reply(inc.nextOffset, true);
}

export const snapshot: SnapshotModule = { restore, takeSnapshot, sendInstallSnapshot, handleInstallSnapshot, handleInstallSnapshotReply };
