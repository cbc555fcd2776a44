import { appendFileSync, closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CorruptStorageError, FileStorage, frameRecord, parseFrames, PREALLOCATE_BYTES } from "./storage.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "raft-storage-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Flushes and waits for the fsync, as the runtime does at the end of a turn. */
function flush(s: FileStorage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!s.flush((err) => (err === null ? resolve() : reject(err)))) resolve();
  });
}

describe("FileStorage: named files of records on disk", () => {
  it("reads its own writes at once, and a reopened storage sees what was synced", async () => {
    const s = new FileStorage(dir);
    s.append("log", "a");
    s.append("log", "b\nwith a newline and ünïcödé");
    s.replace("state", ["term=3", "vote=n2"]);
    expect(s.read("log")).toEqual(["a", "b\nwith a newline and ünïcödé"]);
    expect(s.files()).toEqual(["log", "state"]);
    s.sync();
    await flush(s);
    s.close();
    const t = new FileStorage(dir);
    expect(t.read("log")).toEqual(["a", "b\nwith a newline and ünïcödé"]);
    expect(t.read("state")).toEqual(["term=3", "vote=n2"]);
    expect(t.recovery).toEqual([]);
    t.close();
  });

  it("truncate then append rewrites the tail on disk", async () => {
    const s = new FileStorage(dir);
    for (const r of ["1", "2", "3", "4"]) s.append("log", r);
    s.sync();
    await flush(s);
    s.truncate("log", 2);
    s.append("log", "3'");
    s.sync();
    await flush(s);
    s.truncate("log", 1);
    s.sync();
    await flush(s);
    s.append("log", "2''");
    s.sync();
    await flush(s);
    s.close();
    const t = new FileStorage(dir);
    expect(t.read("log")).toEqual(["1", "2''"]);
    t.close();
  });

  it("replace is atomic: a leftover temp file from an interrupted replace is ignored", async () => {
    const s = new FileStorage(dir);
    s.replace("snap", ["old"]);
    s.sync();
    await flush(s);
    s.close();
    writeFileSync(join(dir, "snap.rec.tmp"), frameRecord("half-written new"));
    const t = new FileStorage(dir);
    expect(t.read("snap")).toEqual(["old"]);
    t.replace("snap", ["new", "more"]);
    t.append("snap", "appended after replace");
    t.sync();
    await flush(t);
    t.close();
    const u = new FileStorage(dir);
    expect(u.read("snap")).toEqual(["new", "more", "appended after replace"]);
    u.close();
  });

  it("a sync after writes made in an earlier turn still fsyncs them", async () => {
    const s = new FileStorage(dir);
    s.append("log", "x");
    await flush(s); // written, not synced
    s.sync();
    expect(s.pending).toBe(true);
    await flush(s);
    expect(s.fsyncs).toBe(1);
    s.close();
  });

  it("a torn last frame (kill -9 mid-write) is truncated away and reported", async () => {
    const s = new FileStorage(dir);
    for (const r of ["one", "two", "three"]) s.append("log", r);
    s.sync();
    await flush(s);
    s.close();
    const path = join(dir, "log.rec");
    const size = statSync(path).size;
    truncateSync(path, size - 3);
    const t = new FileStorage(dir);
    expect(t.read("log")).toEqual(["one", "two"]);
    expect(t.recovery).toHaveLength(1);
    expect(t.recovery[0]).toMatchObject({ file: "log", kind: "torn-tail", records: 2 });
    expect(statSync(path).size).toBe(t.recovery[0].atByte);
    expect(readdirSync(dir).some((f) => f.startsWith("log.rec.dropped-"))).toBe(true);
    // Appends continue cleanly after the repaired tail.
    t.append("log", "three again");
    t.sync();
    await flush(t);
    t.close();
    const u = new FileStorage(dir);
    expect(u.read("log")).toEqual(["one", "two", "three again"]);
    expect(u.recovery).toEqual([]);
    u.close();
  });

  it("appends go into preallocated zeros: the zeros are the file's clean end, and a torn write inside them is found", async () => {
    const s = new FileStorage(dir);
    s.append("log", "first");
    s.sync();
    await flush(s); // a new file is written whole
    for (let i = 0; i < 50; i++) {
      s.append("log", `entry ${i}`);
      s.sync();
      await flush(s);
    }
    s.close();
    const path = join(dir, "log.rec");
    expect(statSync(path).size % PREALLOCATE_BYTES).toBe(0);
    const t = new FileStorage(dir);
    expect(t.read("log")).toHaveLength(51);
    expect(t.recovery).toEqual([]);
    t.close();
    // A crash in the middle of the next append: half a frame over the zeros.
    const end = parseFrames(readFileSync(path)).goodBytes;
    const half = frameRecord("entry 50").subarray(0, 10);
    const fd = openSync(path, "r+");
    writeSync(fd, half, 0, half.length, end);
    closeSync(fd);
    const u = new FileStorage(dir);
    expect(u.read("log")).toHaveLength(51);
    expect(u.recovery[0]).toMatchObject({ kind: "torn-tail", atByte: end, droppedBytes: 10 });
    u.append("log", "entry 50 again");
    u.sync();
    await flush(u);
    u.close();
    const v = new FileStorage(dir);
    expect(v.read("log").at(-1)).toBe("entry 50 again");
    expect(v.recovery).toEqual([]);
    v.close();
  });

  it("garbage appended to the tail is dropped", () => {
    writeFileSync(join(dir, "log.rec"), Buffer.concat([frameRecord("a"), frameRecord("b")]));
    appendFileSync(join(dir, "log.rec"), "\u0000\u0000garbage without a frame");
    const s = new FileStorage(dir);
    expect(s.read("log")).toEqual(["a", "b"]);
    expect(s.recovery[0].kind).toBe("torn-tail");
    s.close();
  });

  it("a bad frame followed by good ones is corruption: opening refuses unless data loss is accepted", () => {
    const good = [frameRecord("a"), frameRecord("b"), frameRecord("c")];
    const bad = Buffer.from(good[1]);
    bad[16] ^= 0xff; // flip a payload byte: the CRC no longer matches
    writeFileSync(join(dir, "log.rec"), Buffer.concat([good[0], bad, good[2]]));
    expect(() => new FileStorage(dir)).toThrow(CorruptStorageError);
    expect(() => new FileStorage(dir)).toThrow(/good records follow the bad one/);
    const s = new FileStorage(dir, { acceptDataLoss: true });
    expect(s.read("log")).toEqual(["a"]);
    expect(s.recovery[0].kind).toBe("corrupt-accepted");
    s.close();
  });

  it("parseFrames finds the good prefix of any byte string", () => {
    const buf = Buffer.concat([frameRecord("x"), frameRecord("yy")]);
    for (let cut = 0; cut <= buf.length; cut++) {
      const p = parseFrames(buf.subarray(0, cut));
      const expected = cut >= buf.length ? 2 : cut >= frameRecord("x").length ? 1 : 0;
      expect(p.records.length).toBe(expected);
    }
  });

  it("rejects file names that could escape the data directory", () => {
    const s = new FileStorage(dir);
    expect(() => s.append("../evil", "x")).toThrow(/file name/);
    expect(() => s.replace(".hidden", [])).toThrow(/file name/);
    s.close();
  });
});
