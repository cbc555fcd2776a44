// Lab 3 — Persistence (your file).
//
// Figure 2 lists the state every server keeps on stable storage: currentTerm,
// votedFor and log[]. It must reach the disk (written and synced) before the
// server sends anything that depends on it — a vote, an acknowledgement, an
// AppendEntries carrying new entries [§5, Figure 2 "Updated on stable storage
// before responding to RPCs"]. A crash may tear the last record written after
// a sync, so frame every record with a checksum (harness/checksum.ts:
// sealRecord / openRecords) and drop a bad tail on restart.
//
// Read lessons/03-persistence.md first. The disk is s.env.storage (see
// harness/types.ts, Storage): named files of string records; only what was
// synced survives a crash. Your election and replication code must call
// s.modules.persistence.persist(s) before each send that depends on new state.
// Grade with `npm run grade lab3`.
import type { Entry } from "../harness/raft/messages.ts";
import { openRecords, sealRecord } from "../harness/checksum.ts";
import type { PersistenceModule, RaftState } from "./given/state.ts";

/** Suggested file names: one small file replaced atomically, one append-only log. */
export const HARDSTATE_FILE = "hardstate";
export const WAL_FILE = "wal";

/**
 * Write whatever changed since the last call, then sync once (skip the sync
 * if nothing changed):
 * - if currentTerm or votedFor differ from s.persistedTerm / s.persistedVotedFor,
 *   write them (e.g. storage.replace(HARDSTATE_FILE, [sealRecord(JSON.stringify(...))]))
 *   and update the persisted copies;
 * - if s.log.unpersistedFrom is finite, the log changed from that index on:
 *   truncate the log file there and append one sealed record per entry from
 *   there to s.log.lastIndex(); then s.log.markPersisted();
 * - storage.sync().
 * (From lab 4 on, s.log.baseChanged says a snapshot moved the log's start:
 * then rewrite the whole log file from s.log.snapshotIndex.)
 */
export function persist(s: RaftState): void {
  // TODO(lab3)
}

/**
 * At boot, before anything else runs (after snapshot.restore, which may have
 * set s.log's base from a snapshot): read the files back with openRecords
 * (it stops at the first record whose checksum fails: a torn tail), and set
 * s.currentTerm, s.votedFor, s.persistedTerm, s.persistedVotedFor and the log
 * (s.log.resetForRestore(s.log.snapshotIndex, s.log.snapshotTerm, entries)).
 * If a torn or bad tail was dropped, rewrite the file without it and sync, so
 * later appends do not land after garbage. commitIndex and lastApplied are
 * volatile: set both to s.log.snapshotIndex (0 until lab 4).
 */
export function restore(s: RaftState): void {
  // TODO(lab3)
}

// The given glue and the other labs call your functions through this table. Keep every entry.
export const persistence: PersistenceModule = { persist, restore };
