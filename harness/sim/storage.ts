// The simulated disk. Each file keeps two views: what the node sees now
// (volatile, like the OS page cache) and what survives a crash (durable, as of
// the last sync). Tracking the prefix the two views share keeps sync cheap:
// it copies only records written since the previous sync.
import type { Storage } from "../types.ts";
import type { Prng } from "./prng.ts";

class SimFile {
  volatile: string[] = [];
  durable: string[] = [];
  /** volatile[0..shared) === durable[0..shared). */
  shared = 0;
  /** Index in volatile of the first record appended since the last sync, if any. */
  firstUnsyncedAppend = -1;
}

/** Limits that keep a runaway node from eating the machine's memory. */
export interface StorageLimits {
  maxFiles: number;
  maxRecordsPerFile: number;
  maxRecordChars: number;
}

export const DEFAULT_STORAGE_LIMITS: StorageLimits = {
  maxFiles: 64,
  maxRecordsPerFile: 5_000_000,
  maxRecordChars: 64 * 1024 * 1024,
};

export class StorageLimitError extends Error {}

export class SimStorage implements Storage {
  private fileMap = new Map<string, SimFile>();
  private dirtyFiles = new Set<string>();
  /** Counts, for resource-bound checks and the benchmark. */
  syncCount = 0;
  writtenChars = 0;

  constructor(private readonly limits: StorageLimits = DEFAULT_STORAGE_LIMITS) {}

  /** True while some write has not been synced: sending now would be sending before persisting. */
  get dirty(): boolean {
    return this.dirtyFiles.size > 0;
  }

  read(file: string): readonly string[] {
    return this.fileMap.get(file)?.volatile ?? [];
  }

  append(file: string, record: string): void {
    if (typeof record !== "string") throw new TypeError(`storage.append("${file}", ...) needs a string record, got ${typeof record}`);
    if (record.length > this.limits.maxRecordChars) {
      throw new StorageLimitError(`record of ${record.length} chars exceeds maxRecordChars ${this.limits.maxRecordChars}`);
    }
    const f = this.open(file);
    if (f.volatile.length >= this.limits.maxRecordsPerFile) {
      throw new StorageLimitError(`file "${file}" exceeds maxRecordsPerFile ${this.limits.maxRecordsPerFile}`);
    }
    if (f.firstUnsyncedAppend < 0) f.firstUnsyncedAppend = f.volatile.length;
    f.volatile.push(record);
    this.writtenChars += record.length;
    this.dirtyFiles.add(file);
  }

  truncate(file: string, keepRecords: number): void {
    if (!Number.isInteger(keepRecords) || keepRecords < 0) {
      throw new RangeError(`storage.truncate("${file}", ${keepRecords}): keepRecords must be a non-negative integer`);
    }
    const f = this.fileMap.get(file);
    if (f === undefined || keepRecords >= f.volatile.length) return;
    f.volatile.length = keepRecords;
    if (f.shared > keepRecords) f.shared = keepRecords;
    if (f.firstUnsyncedAppend >= keepRecords) f.firstUnsyncedAppend = -1;
    this.dirtyFiles.add(file);
  }

  replace(file: string, records: readonly string[]): void {
    for (const r of records) {
      if (typeof r !== "string") throw new TypeError(`storage.replace("${file}", ...) needs string records`);
      this.writtenChars += r.length;
    }
    const f = this.open(file);
    f.volatile = records.slice();
    f.shared = 0;
    f.firstUnsyncedAppend = -1; // a rename is atomic: it never tears
    this.dirtyFiles.add(file);
  }

  sync(): void {
    this.syncCount++;
    for (const name of this.dirtyFiles) {
      const f = this.fileMap.get(name);
      if (f === undefined) continue;
      f.durable.length = f.shared;
      for (let i = f.shared; i < f.volatile.length; i++) f.durable.push(f.volatile[i]);
      f.shared = f.volatile.length;
      f.firstUnsyncedAppend = -1;
    }
    this.dirtyFiles.clear();
  }

  files(): readonly string[] {
    return [...this.fileMap.keys()].filter((k) => this.fileMap.get(k)!.volatile.length > 0 || this.fileMap.get(k)!.durable.length > 0).sort();
  }

  /**
   * Loses everything not synced. With tornRng, a file whose first unsynced
   * write was an append keeps a torn prefix of that record, as a disk can
   * when power fails in the middle of a write. Returns the torn files.
   */
  crash(tornRng?: Prng): string[] {
    const torn: string[] = [];
    for (const name of [...this.dirtyFiles].sort()) {
      const f = this.fileMap.get(name);
      if (f === undefined) continue;
      let tornRecord: string | undefined;
      if (tornRng !== undefined && f.firstUnsyncedAppend >= 0 && f.firstUnsyncedAppend === f.shared && f.durable.length === f.shared) {
        const record = f.volatile[f.firstUnsyncedAppend];
        if (record.length > 1) tornRecord = record.slice(0, 1 + tornRng.int(record.length - 1));
      }
      f.volatile = f.durable.slice();
      if (tornRecord !== undefined) {
        f.volatile.push(tornRecord);
        f.durable.push(tornRecord);
        torn.push(name);
      }
      f.shared = f.volatile.length;
      f.firstUnsyncedAppend = -1;
    }
    this.dirtyFiles.clear();
    return torn;
  }

  /** A lost disk: nothing survives, synced or not. */
  wipe(): void {
    this.fileMap.clear();
    this.dirtyFiles.clear();
  }

  /** Durable records per file, for tests and reports. */
  durableView(): Record<string, readonly string[]> {
    const out: Record<string, readonly string[]> = {};
    for (const name of [...this.fileMap.keys()].sort()) out[name] = this.fileMap.get(name)!.durable.slice();
    return out;
  }

  totalChars(): number {
    let n = 0;
    for (const f of this.fileMap.values()) for (const r of f.volatile) n += r.length;
    return n;
  }

  private open(file: string): SimFile {
    let f = this.fileMap.get(file);
    if (f === undefined) {
      if (typeof file !== "string" || file.length === 0) throw new TypeError("storage file names must be non-empty strings");
      if (this.fileMap.size >= this.limits.maxFiles) throw new StorageLimitError(`more than maxFiles ${this.limits.maxFiles} files`);
      f = new SimFile();
      this.fileMap.set(file, f);
    }
    return f;
  }
}
