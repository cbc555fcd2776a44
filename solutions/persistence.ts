// Lab 3 — Persistence (reference solution).
//
// Figure 2 lists the state every server keeps on stable storage: currentTerm,
// votedFor and log[]. It must reach the disk (written and synced) before the
// server sends anything that depends on it — a vote, an acknowledgement, an
// AppendEntries carrying new entries [§5, Figure 2 "Updated on stable storage
// before responding to RPCs"]. A crash may tear the last record written after
// a sync, so every record is checksummed and a bad tail is dropped on restart.
//
// Files:
//   "hardstate": one record {term, votedFor}, replaced atomically.
//   "wal":       a header {base: {index, term}} then one record per entry from
//                base.index + 1 on; appended, truncated on conflicts, and
//                rewritten when a snapshot moves the base.
import type { Entry } from "../harness/raft/messages.ts";
import { openRecords, sealRecord } from "../harness/checksum.ts";
import type { PersistenceModule, RaftState } from "../labs/given/state.ts";

export const HARDSTATE_FILE = "hardstate";
export const WAL_FILE = "wal";

type HardState = { term: number; votedFor: string | null };
type WalHeader = { base: { index: number; term: number } };

export function persist(s: RaftState): void {
  const storage = s.env.storage;
  let wrote = false;
  if (s.currentTerm !== s.persistedTerm || s.votedFor !== s.persistedVotedFor) {
    const hs: HardState = { term: s.currentTerm, votedFor: s.bug("forget-voted-for") ? null : s.votedFor };
    storage.replace(HARDSTATE_FILE, [sealRecord(JSON.stringify(hs))]);
    s.persistedTerm = s.currentTerm;
    s.persistedVotedFor = s.votedFor;
    wrote = true;
  }
  const log = s.log;
  if (log.baseChanged) {
    storage.replace(WAL_FILE, walRecords(s));
    wrote = true;
  } else if (log.unpersistedFrom !== Infinity && !s.bug("log-not-persisted")) {
    // Record 0 is the header; the entry at index i is record i - snapshotIndex.
    const from = log.unpersistedFrom;
    storage.truncate(WAL_FILE, from - log.snapshotIndex);
    for (let i = from; i <= log.lastIndex(); i++) storage.append(WAL_FILE, sealRecord(JSON.stringify(log.entry(i))));
    wrote = true;
  }
  log.markPersisted();
  if (wrote && !s.bug("no-sync")) storage.sync();
}

function walRecords(s: RaftState): string[] {
  const header: WalHeader = { base: { index: s.log.snapshotIndex, term: s.log.snapshotTerm } };
  return [sealRecord(JSON.stringify(header)), ...s.log.all().map((e) => sealRecord(JSON.stringify(e)))];
}

export function restore(s: RaftState): void {
  const storage = s.env.storage;
  const hs = openRecords(storage.read(HARDSTATE_FILE)).payloads;
  if (hs.length > 0 && !s.bug("restore-forgets-term")) {
    const h = JSON.parse(hs[hs.length - 1]) as HardState;
    s.currentTerm = h.term;
    s.votedFor = h.votedFor;
  }
  s.persistedTerm = s.currentTerm;
  s.persistedVotedFor = s.votedFor;

  // snapshot.restore() ran first and set the log's base from the snapshot.
  const snapIndex = s.log.snapshotIndex;
  const snapTerm = s.log.snapshotTerm;
  const raw = storage.read(WAL_FILE);
  const { payloads, dropped } = openRecords(raw);
  let entries: Entry[] = [];
  let consistent = payloads.length > 0;
  if (payloads.length > 0) {
    const header = JSON.parse(payloads[0]) as WalHeader;
    let expectIndex = header.base.index + 1;
    let prevTerm = header.base.term;
    const all: Entry[] = [];
    for (let k = 1; k < payloads.length; k++) {
      const e = JSON.parse(payloads[k]) as Entry;
      if (e.index !== expectIndex || e.term < prevTerm) break; // not a log we wrote: stop here
      all.push(e);
      expectIndex++;
      prevTerm = e.term;
    }
    // The WAL continues the snapshot only if it holds the snapshot's last entry
    // with the same term (or starts exactly there). Otherwise the snapshot was
    // installed over a conflicting log and the crash came before the WAL was
    // rewritten: that log is discarded, as Figure 13 says.
    const termAtSnap = header.base.index === snapIndex ? header.base.term : all.find((e) => e.index === snapIndex)?.term;
    consistent = header.base.index <= snapIndex && termAtSnap === snapTerm;
    if (consistent) entries = all.filter((e) => e.index > snapIndex);
    consistent = consistent && dropped === 0 && header.base.index === snapIndex && entries.length === payloads.length - 1;
  }
  s.log.resetForRestore(snapIndex, snapTerm, entries);
  if (!consistent) {
    // Rewrite the WAL (or write its header, on first boot) so that later
    // appends follow good records only.
    storage.replace(WAL_FILE, walRecords(s));
    storage.sync();
  }
  s.commitIndex = s.bug("restore-assumes-committed") ? s.log.lastIndex() : snapIndex;
  s.lastApplied = snapIndex;
  s.note("restore", { term: s.currentTerm, votedFor: s.votedFor, snapshotIndex: snapIndex, lastIndex: s.log.lastIndex(), droppedRecords: dropped });
}

export const persistence: PersistenceModule = { persist, restore };
