// GIVEN CODE (read-only for students): the in-memory Raft log.
//
// Indexes start at 1 as in the paper; index 0 is the empty prefix with term 0.
// After a snapshot [§7] the entries up to snapshotIndex are discarded and only
// their last index and term are kept. The log also remembers the lowest index
// changed since the last persist() so persistence can write only what changed.
import type { Entry } from "../../harness/raft/messages.ts";
import { assert } from "./assert.ts";

export class RaftLog {
  /** The last index covered by the snapshot (0 if none): entries up to here are discarded. */
  snapshotIndex = 0;
  /** The term of the entry at snapshotIndex. */
  snapshotTerm = 0;
  private entries: Entry[] = [];
  private sizes: number[] = [];
  /**
   * The lowest index appended or truncated since markPersisted(), or Infinity if
   * none. persistence.persist() writes entries from here on.
   */
  unpersistedFrom = Infinity;
  /** True if compact()/reset() moved the snapshot base since markPersisted(). */
  baseChanged = false;

  /** The index of the last entry (snapshotIndex if the log holds no entries). */
  lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  lastTerm(): number {
    const n = this.entries.length;
    return n === 0 ? this.snapshotTerm : this.entries[n - 1].term;
  }

  /** The first index still held in memory. */
  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  /** The term at index, or undefined if the index is compacted away or past the end. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    const e = this.entries[index - this.snapshotIndex - 1];
    return index > this.snapshotIndex ? e?.term : undefined;
  }

  /** The entry at index, or undefined if compacted away or past the end. */
  entry(index: number): Entry | undefined {
    if (index <= this.snapshotIndex) return undefined;
    return this.entries[index - this.snapshotIndex - 1];
  }

  /** Entries [from, to] (inclusive), at least one if any, stopping before maxBytes would be exceeded. */
  slice(from: number, to: number, maxBytes = Infinity): Entry[] {
    assert(from > this.snapshotIndex, `slice(${from}) reaches into the snapshot (snapshotIndex ${this.snapshotIndex})`);
    const out: Entry[] = [];
    let bytes = 0;
    const end = Math.min(to, this.lastIndex());
    for (let i = from; i <= end; i++) {
      const k = i - this.snapshotIndex - 1;
      bytes += this.sizes[k];
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(this.entries[k]);
    }
    return out;
  }

  /** The serialized size of the entry at index, as used for batch and entry limits. */
  sizeBytes(index: number): number {
    return this.sizes[index - this.snapshotIndex - 1] ?? 0;
  }

  /** Appends entries that must continue the log exactly (index lastIndex()+1, ...). */
  append(entries: readonly Entry[]): void {
    for (const e of entries) {
      assert(e.index === this.lastIndex() + 1, `append: entry index ${e.index} does not follow last index ${this.lastIndex()}`);
      assert(e.term >= this.lastTerm(), `append: entry term ${e.term} is below the last term ${this.lastTerm()}`);
      if (e.index < this.unpersistedFrom) this.unpersistedFrom = e.index;
      this.entries.push(e);
      this.sizes.push(entrySizeBytes(e));
    }
  }

  /** Discards the entries from index on (index > snapshotIndex). */
  truncateFrom(index: number): void {
    assert(index > this.snapshotIndex, `truncateFrom(${index}) reaches into the snapshot (snapshotIndex ${this.snapshotIndex})`);
    if (index > this.lastIndex()) return;
    const keep = index - this.snapshotIndex - 1;
    this.entries.length = keep;
    this.sizes.length = keep;
    if (index < this.unpersistedFrom) this.unpersistedFrom = index;
  }

  /**
   * Discards entries up to index, which a snapshot now covers [§7]. If the log
   * does not hold index with this term, the whole log is discarded (Figure 13,
   * steps 6-7).
   */
  compact(index: number, term: number): void {
    if (index <= this.snapshotIndex) return;
    if (this.term(index) === term) {
      const drop = index - this.snapshotIndex;
      this.entries.splice(0, drop);
      this.sizes.splice(0, drop);
    } else {
      this.entries = [];
      this.sizes = [];
      this.unpersistedFrom = index + 1;
    }
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    this.baseChanged = true;
  }

  /** Called by persist() once everything is written and synced. */
  markPersisted(): void {
    this.unpersistedFrom = Infinity;
    this.baseChanged = false;
  }

  /** Used by restore(): sets the base without marking anything unpersisted. */
  resetForRestore(snapshotIndex: number, snapshotTerm: number, entries: readonly Entry[]): void {
    this.snapshotIndex = snapshotIndex;
    this.snapshotTerm = snapshotTerm;
    this.entries = [];
    this.sizes = [];
    this.append(entries);
    this.markPersisted();
  }

  /** The entries held in memory (after the snapshot), for inspection. */
  all(): readonly Entry[] {
    return this.entries;
  }

  /** Finds the first index of the given term at or below index (fast backtracking, §5.3). */
  firstIndexOfTerm(term: number, atOrBelow: number): number {
    let i = Math.min(atOrBelow, this.lastIndex());
    while (i > this.snapshotIndex + 1 && this.term(i - 1) === term) i--;
    return i;
  }

  /** The last index whose term is <= term, or snapshotIndex (fast backtracking on the leader). */
  lastIndexWithTermAtMost(term: number): number {
    let i = this.lastIndex();
    while (i > this.snapshotIndex && (this.term(i) ?? 0) > term) i--;
    return i;
  }
}

/** The serialized size used for limits: JSON length of the entry. */
export function entrySizeBytes(e: Entry): number {
  return JSON.stringify(e).length;
}
