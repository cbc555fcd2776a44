// Storage for a real node: each named file of string records is one file on
// disk in the node's data directory. The node sees every write at once (reads
// come from memory); the disk catches up at flush(), which the runtime calls
// once per event-loop turn, so many sync() calls share one fsync (group commit).
//
// On disk, a record is a frame: 8 hex digits of payload length in bytes, 8 hex
// digits of CRC-32 of the payload, the payload (UTF-8), "\n". A kill -9 in the
// middle of a write leaves a partial last frame; opening the file finds it,
// truncates it away and reports it. A bad frame followed by good ones is not a
// torn write but corruption of data that was once synced, and opening refuses
// (unless told to accept the loss), because the node may have acknowledged
// what it would now forget.
import {
  closeSync,
  constants,
  copyFileSync,
  fdatasync,
  fdatasyncSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { Storage } from "../types.ts";

const FILE_SUFFIX = ".rec";
const TEMP_SUFFIX = ".tmp";
const HEADER_BYTES = 16;
const NEWLINE = 0x0a;
/** A record larger than this is refused: it is a runaway node, not data. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
/**
 * Appended files grow by zero-filled segments of this size, written ahead of
 * the data (as etcd preallocates its WAL). An append then overwrites blocks
 * the file already has, so fdatasync flushes only data: no file-size change,
 * hence no filesystem journal commit, which on a busy disk waits for every
 * other writer's dirty data and turns a sub-millisecond fsync into hundreds.
 * Zeros after the last frame are the file's clean end.
 */
export const PREALLOCATE_BYTES = 2 * 1024 * 1024;
const ZEROS = Buffer.alloc(256 * 1024);

/** What opening a data directory found and repaired, for logs and /status. */
export interface RecoveryNote {
  file: string;
  kind: "torn-tail" | "corrupt-accepted";
  /** Records kept. */
  records: number;
  /** The byte offset of the first bad frame; everything from here on was dropped. */
  atByte: number;
  droppedBytes: number;
  /** Where the dropped bytes were copied, for forensics. */
  savedTo: string;
}

export class CorruptStorageError extends Error {
  override name = "CorruptStorageError";
}

export interface FileStorageOptions {
  /** Truncate at a bad frame even when good frames follow it (loses data that was synced). */
  acceptDataLoss?: boolean;
  /**
   * fsync on the event-loop thread (blocking it) instead of the thread pool.
   * Measured on a busy 2-CPU machine, inline was as fast or faster: the thread
   * pool's hand-off costs two scheduler wake-ups per commit, and what arrives
   * during the fsync is handled right after it and shares the next one anyway.
   * node-main uses inline unless RAFT_FSYNC=thread.
   */
  inlineFsync?: boolean;
}

/** Seconds per fsync, for the metrics histogram. */
export type FsyncObserver = (seconds: number) => void;

class RecFile {
  records: string[] = [];
  /** Byte offset where record i starts on disk, for the records already written. */
  offsets: number[] = [];
  /** How many leading records are written to the OS (maybe not yet synced). */
  written = 0;
  /** Byte length of those written records. */
  writtenBytes = 0;
  /** The file's size on disk: writtenBytes plus preallocated zeros. */
  allocatedBytes = 0;
  /** The on-disk copy must be rewritten whole (replace, or the first write of a new file). */
  rewrite = false;
  /** Truncate the on-disk copy to this many records before writing (Infinity: no). */
  truncateTo = Infinity;
  fd = -1;
  constructor(readonly name: string) {}
}

/** Encodes one record as a frame. */
export function frameRecord(record: string): Buffer {
  const payload = Buffer.from(record, "utf8");
  if (payload.length > MAX_RECORD_BYTES) throw new RangeError(`record of ${payload.length} bytes exceeds MAX_RECORD_BYTES ${MAX_RECORD_BYTES}`);
  const header = payload.length.toString(16).padStart(8, "0") + crc32(payload).toString(16).padStart(8, "0");
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length + 1);
  out.write(header, 0, "latin1");
  payload.copy(out, HEADER_BYTES);
  out[out.length - 1] = NEWLINE;
  return out;
}

const HEX = /^[0-9a-f]{16}$/;

/** The frame at pos: its record and the offset after it, or null if there is no valid frame there. */
function readFrame(buf: Buffer, pos: number): { record: string; next: number } | null {
  if (pos + HEADER_BYTES + 1 > buf.length) return null;
  const header = buf.toString("latin1", pos, pos + HEADER_BYTES);
  if (!HEX.test(header)) return null;
  const len = Number.parseInt(header.slice(0, 8), 16);
  const crc = Number.parseInt(header.slice(8), 16);
  const end = pos + HEADER_BYTES + len;
  if (len > MAX_RECORD_BYTES || end + 1 > buf.length || buf[end] !== NEWLINE) return null;
  const payload = buf.subarray(pos + HEADER_BYTES, end);
  if (crc32(payload) !== crc) return null;
  return { record: payload.toString("utf8"), next: end + 1 };
}

/** Parses a whole file: the good prefix, and whether a good frame follows a bad one (corruption, not a torn tail). */
export function parseFrames(buf: Buffer): { records: string[]; offsets: number[]; goodBytes: number; goodFramesAfter: number; endBytes: number } {
  const records: string[] = [];
  const offsets: number[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const f = readFrame(buf, pos);
    if (f === null) break;
    offsets.push(pos);
    records.push(f.record);
    pos = f.next;
  }
  // Preallocated zeros after the last frame are not data: the damaged part, if
  // any, ends at the last non-zero byte.
  let endBytes = buf.length;
  while (endBytes > pos && buf[endBytes - 1] === 0) endBytes--;
  let goodFramesAfter = 0;
  if (pos < endBytes) {
    // Look for a good frame after the bad one: one starts right after any newline.
    for (let q = buf.indexOf(NEWLINE, pos); q >= 0 && q + 1 < buf.length; q = buf.indexOf(NEWLINE, q + 1)) {
      if (readFrame(buf, q + 1) !== null) {
        goodFramesAfter++;
        break;
      }
    }
  }
  return { records, offsets, goodBytes: pos, goodFramesAfter, endBytes };
}

function checkName(file: string): void {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/.test(file)) {
    throw new RangeError(`storage file name "${file}" must be 1-100 chars of [A-Za-z0-9._-] and not start with "."`);
  }
}

export class FileStorage implements Storage {
  private readonly fileMap = new Map<string, RecFile>();
  private readonly dirty = new Set<RecFile>();
  /** Files written to the OS since their last fsync. */
  private readonly unsynced = new Set<RecFile>();
  private syncRequested = false;
  private dirNeedsSync = false;
  private fsyncInFlight = false;
  /** What opening found and repaired. */
  readonly recovery: RecoveryNote[] = [];
  /** Counters for metrics. */
  fsyncs = 0;
  bytesWritten = 0;
  private closed = false;
  private readonly inlineFsync: boolean;

  constructor(
    readonly dir: string,
    opts: FileStorageOptions = {},
  ) {
    this.inlineFsync = opts.inlineFsync ?? false;
    mkdirSync(dir, { recursive: true });
    for (const entry of readdirSync(dir).sort()) {
      if (entry.endsWith(TEMP_SUFFIX)) continue; // an interrupted replace: the rename never happened
      if (!entry.endsWith(FILE_SUFFIX)) continue;
      this.load(entry.slice(0, -FILE_SUFFIX.length), opts);
    }
  }

  private load(name: string, opts: FileStorageOptions): void {
    const path = join(this.dir, name + FILE_SUFFIX);
    const buf = readFileSync(path);
    const parsed = parseFrames(buf);
    const f = new RecFile(name);
    f.records = parsed.records;
    f.offsets = parsed.offsets;
    f.written = parsed.records.length;
    f.writtenBytes = parsed.goodBytes;
    f.allocatedBytes = buf.length;
    if (parsed.goodBytes < parsed.endBytes) {
      const droppedBytes = parsed.endBytes - parsed.goodBytes;
      if (parsed.goodFramesAfter > 0 && opts.acceptDataLoss !== true) {
        throw new CorruptStorageError(
          `${path} is corrupt at byte ${parsed.goodBytes} of ${buf.length} (after ${parsed.records.length} good records), and good records follow the bad one. ` +
            `This is not a torn last write: dropping the rest would lose data this node already synced and may have acknowledged. ` +
            `Refusing to start. Either move the data directory aside and let the node rejoin empty (remove-node, then add-node), ` +
            `or start it with --accept-data-loss to keep only the first ${parsed.records.length} records.`,
        );
      }
      const savedTo = `${path}.dropped-${Date.now()}`;
      copyFileSync(path, savedTo);
      const fd = openSync(path, "r+");
      ftruncateSync(fd, parsed.goodBytes);
      fsyncSync(fd);
      closeSync(fd);
      f.allocatedBytes = parsed.goodBytes;
      this.recovery.push({
        file: name,
        kind: parsed.goodFramesAfter > 0 ? "corrupt-accepted" : "torn-tail",
        records: parsed.records.length,
        atByte: parsed.goodBytes,
        droppedBytes,
        savedTo,
      });
    }
    f.fd = openSync(path, "r+");
    this.fileMap.set(name, f);
  }

  private path(f: RecFile): string {
    return join(this.dir, f.name + FILE_SUFFIX);
  }

  private open(file: string): RecFile {
    let f = this.fileMap.get(file);
    if (f === undefined) {
      checkName(file);
      f = new RecFile(file);
      f.rewrite = true; // created through temp + rename, so it appears whole
      this.fileMap.set(file, f);
    }
    return f;
  }

  // ------------------------------------------------------------ Storage

  read(file: string): readonly string[] {
    return this.fileMap.get(file)?.records ?? [];
  }

  append(file: string, record: string): void {
    if (typeof record !== "string") throw new TypeError(`storage.append("${file}", ...) needs a string record, got ${typeof record}`);
    this.assertOpen();
    const f = this.open(file);
    f.records.push(record);
    this.dirty.add(f);
  }

  truncate(file: string, keepRecords: number): void {
    if (!(Number.isInteger(keepRecords) && keepRecords >= 0)) throw new RangeError(`truncate("${file}", ${keepRecords}): keepRecords must be an integer >= 0`);
    this.assertOpen();
    const f = this.fileMap.get(file);
    if (f === undefined || keepRecords >= f.records.length) return;
    f.records.length = keepRecords;
    if (keepRecords < f.written) f.truncateTo = Math.min(f.truncateTo, keepRecords);
    this.dirty.add(f);
  }

  replace(file: string, records: readonly string[]): void {
    this.assertOpen();
    const f = this.open(file);
    f.records = records.map((r) => {
      if (typeof r !== "string") throw new TypeError(`storage.replace("${file}", ...) needs string records, got ${typeof r}`);
      return r;
    });
    f.rewrite = true;
    this.dirty.add(f);
  }

  sync(): void {
    this.syncRequested = true;
  }

  files(): readonly string[] {
    return [...this.fileMap.keys()].sort();
  }

  // ------------------------------------------------------------ flushing

  /** True if a flush has work: writes to do or a sync to make. */
  get pending(): boolean {
    return this.dirty.size > 0 || this.syncRequested;
  }

  get busy(): boolean {
    return this.fsyncInFlight;
  }

  /**
   * Writes every pending change to the OS, then (if the node asked for a sync)
   * makes it durable in the background and calls done. Only one flush runs at a
   * time: the caller must wait for done before the next. Returns false (and
   * does not call done) when there was nothing to do.
   */
  flush(done: (err: Error | null) => void, observe?: FsyncObserver): boolean {
    this.assertOpen();
    if (this.fsyncInFlight) throw new Error("flush() while a previous flush is still syncing");
    if (!this.pending) return false;
    this.writeDirty();
    if (!this.syncRequested) {
      queueMicrotask(() => done(null));
      return true;
    }
    this.syncRequested = false;
    const fds = [...this.unsynced].map((f) => f.fd);
    this.unsynced.clear();
    const syncDir = this.dirNeedsSync;
    this.dirNeedsSync = false;
    this.fsyncInFlight = true;
    const started = performance.now();
    let left = fds.length + (syncDir ? 1 : 0);
    let firstErr: Error | null = null;
    const one = (err: Error | null): void => {
      if (err !== null && firstErr === null) firstErr = err;
      if (--left > 0) return;
      this.fsyncInFlight = false;
      this.fsyncs++;
      observe?.((performance.now() - started) / 1000);
      done(firstErr);
    };
    if (left === 0) {
      left = 1;
      queueMicrotask(() => one(null));
      return true;
    }
    if (this.inlineFsync) {
      // On the event loop's own thread: no hand-off to the thread pool and back,
      // which on a busy machine costs two scheduler wake-ups per commit.
      let err: Error | null = null;
      try {
        for (const fd of fds) fdatasyncSync(fd);
        if (syncDir) this.syncDir();
      } catch (e) {
        err = e as Error;
      }
      const n = left;
      queueMicrotask(() => {
        for (let i = 0; i < n; i++) one(i === 0 ? err : null);
      });
      return true;
    }
    for (const fd of fds) fdatasync(fd, one);
    if (syncDir) {
      const dfd = openSync(this.dir, constants.O_RDONLY);
      fsync(dfd, (err) => {
        closeSync(dfd);
        one(err);
      });
    }
    return true;
  }

  /** Flushes and syncs everything now, blocking: for shutdown and backups. */
  flushSync(): void {
    this.assertOpen();
    if (this.fsyncInFlight) throw new Error("flushSync() while a flush is syncing");
    this.writeDirty();
    for (const f of this.unsynced) fsyncSync(f.fd);
    this.unsynced.clear();
    if (this.dirNeedsSync) this.syncDir();
    this.syncRequested = false;
    this.dirNeedsSync = false;
  }

  /** Writes pending changes to the OS (not yet durable). */
  private writeDirty(): void {
    for (const f of this.dirty) {
      if (f.rewrite) this.rewriteFile(f);
      else this.appendFile(f);
      this.unsynced.add(f);
    }
    this.dirty.clear();
  }

  private appendFile(f: RecFile): void {
    if (f.truncateTo < f.written) {
      const at = f.offsets[f.truncateTo];
      // Cut the file (and its preallocation) so no old frame can follow the new tail.
      ftruncateSync(f.fd, at);
      f.offsets.length = f.truncateTo;
      f.written = f.truncateTo;
      f.writtenBytes = at;
      f.allocatedBytes = at;
    }
    f.truncateTo = Infinity;
    if (f.written >= f.records.length) return;
    const frames: Buffer[] = [];
    let pos = f.writtenBytes;
    for (let i = f.written; i < f.records.length; i++) {
      const frame = frameRecord(f.records[i]);
      f.offsets.push(pos);
      pos += frame.length;
      frames.push(frame);
    }
    const buf = frames.length === 1 ? frames[0] : Buffer.concat(frames);
    if (f.writtenBytes + buf.length > f.allocatedBytes) this.preallocate(f, f.writtenBytes + buf.length);
    writeAll(f.fd, buf, f.writtenBytes);
    this.bytesWritten += buf.length;
    f.written = f.records.length;
    f.writtenBytes = pos;
  }

  /** Grows the file with zeros to cover `needBytes` and then some (see PREALLOCATE_BYTES). */
  private preallocate(f: RecFile, needBytes: number): void {
    const target = Math.ceil((needBytes + 1) / PREALLOCATE_BYTES) * PREALLOCATE_BYTES;
    for (let pos = f.allocatedBytes; pos < target; ) {
      const n = Math.min(ZEROS.length, target - pos);
      pos += writeSync(f.fd, ZEROS, 0, n, pos);
    }
    f.allocatedBytes = target;
  }

  /** Atomic replace: write a temp file, fsync it, rename it over the old one (the directory is synced with the flush). */
  private rewriteFile(f: RecFile): void {
    const frames = f.records.map(frameRecord);
    const buf = Buffer.concat(frames);
    const tmp = this.path(f) + TEMP_SUFFIX;
    const tfd = openSync(tmp, "w");
    writeAll(tfd, buf, 0);
    fsyncSync(tfd);
    if (f.fd >= 0) closeSync(f.fd);
    renameSync(tmp, this.path(f));
    f.fd = tfd;
    this.bytesWritten += buf.length;
    f.offsets = [];
    let pos = 0;
    for (const fr of frames) {
      f.offsets.push(pos);
      pos += fr.length;
    }
    f.written = f.records.length;
    f.writtenBytes = pos;
    f.allocatedBytes = pos;
    f.rewrite = false;
    f.truncateTo = Infinity;
    this.dirNeedsSync = true;
  }

  private syncDir(): void {
    const dfd = openSync(this.dir, constants.O_RDONLY);
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }

  /** Bytes on disk per file, for /status. */
  sizes(): { [file: string]: number } {
    const out: { [file: string]: number } = {};
    for (const f of this.fileMap.values()) out[f.name] = f.writtenBytes;
    return out;
  }

  /**
   * Writes a copy of every file as the node sees it now into dir (synced): a
   * point-in-time copy, since no handler runs while this does.
   */
  exportTo(dir: string): { file: string; records: number; bytes: number }[] {
    mkdirSync(dir, { recursive: true });
    const out: { file: string; records: number; bytes: number }[] = [];
    for (const name of this.files()) {
      const buf = Buffer.concat(this.read(name).map(frameRecord));
      const fd = openSync(join(dir, name + FILE_SUFFIX), "w");
      try {
        writeAll(fd, buf, 0);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      out.push({ file: name, records: this.read(name).length, bytes: buf.length });
    }
    const dfd = openSync(dir, constants.O_RDONLY);
    fsyncSync(dfd);
    closeSync(dfd);
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.fileMap.values()) if (f.fd >= 0) closeSync(f.fd);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`storage ${this.dir} is closed`);
  }
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, position + off);
}
