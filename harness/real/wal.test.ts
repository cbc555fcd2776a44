// A node's WAL damaged on disk: a torn tail is cut away and the node catches
// up from the leader; corruption followed by good records makes the node
// refuse to start (it could forget what it acknowledged) unless told to
// accept the loss.
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sealRecord } from "../checksum.ts";
import type { NodeId } from "../types.ts";
import { ClusterClient, nodeStatus } from "./client.ts";
import { dataDir, findNode, logPath, readCluster } from "./layout.ts";
import { waitForApplied, waitForLeader } from "./ops.ts";
import { killNode, NODE_MAIN, spawnNode } from "./procs.ts";
import { frameRecord, parseFrames } from "./storage.ts";
import { processesOf, type TestCluster, testCluster } from "./testkit.ts";

let cluster: TestCluster | null = null;
afterEach(async () => {
  const c = cluster;
  cluster = null;
  if (c !== null) await c.cleanup();
});

/** Runs a node in the foreground and waits for it to exit (bounded); returns its exit code and stderr. */
function runUntilExit(dir: string, id: NodeId, timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", NODE_MAIN, "--dir", dir, "--id", id, "--watch-pid", String(process.pid), "--max-lifetime-ms", String(timeoutMs)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${id} did not exit within ${timeoutMs} ms`));
    }, timeoutMs + 2000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

async function writeKeys(dir: string, n: number, prefix: string): Promise<void> {
  const client = new ClusterClient(dir, { deadlineMs: 10_000 });
  try {
    for (let i = 0; i < n; i++) expect((await client.put(`${prefix}${i}`, `value-${i}`)).status).toBe(200);
  } finally {
    client.close();
  }
}

async function expectKeysOn(dir: string, id: NodeId, n: number, prefix: string): Promise<void> {
  const client = new ClusterClient(dir, { deadlineMs: 10_000 });
  try {
    for (let i = 0; i < n; i++) {
      const r = await client.get(`${prefix}${i}`, { stale: true, via: id });
      expect(r.body.servedBy).toBe(id);
      expect(r.body.value).toBe(`value-${i}`);
    }
  } finally {
    client.close();
  }
}

async function leaderCommit(dir: string, leader: NodeId): Promise<number> {
  return Number((await nodeStatus(findNode(readCluster(dir), leader).httpPort))?.commitIndex);
}

describe("real cluster: a damaged WAL on restart", () => {
  it("§5 (Figure 2) a torn last record is cut away, reported, and the node catches up from the leader", async () => {
    cluster = await testCluster("wal-torn");
    const { dir } = cluster;
    const leader = await waitForLeader(dir);
    await writeKeys(dir, 30, "k");
    const follower = readCluster(dir).nodes.find((n) => n.id !== leader.id)!.id;
    await waitForApplied(dir, follower, await leaderCommit(dir, leader.id));
    await killNode(dir, follower);

    // A crash in the middle of writing a new record leaves part of its frame
    // (never synced, so never acknowledged): the next entry, cut short.
    // The WAL is preallocated: the torn write lands right after the last frame.
    const wal = join(dataDir(dir, follower), "wal.rec");
    const before = parseFrames(readFileSync(wal)).goodBytes;
    const next = frameRecord(sealRecord(JSON.stringify({ index: 999, term: 1, data: { kind: "noop" } })));
    const half = next.subarray(0, Math.floor(next.length / 2));
    const wfd = openSync(wal, "r+");
    writeSync(wfd, half, 0, half.length, before);
    closeSync(wfd);

    spawnNode(dir, follower, { watchPid: process.pid, maxLifetimeMs: 60_000 });
    const st = await waitForApplied(dir, follower, await leaderCommit(dir, leader.id), 15_000);
    const recovered = (st.storage as { recovered: { file: string; kind: string; droppedBytes: number }[] }).recovered;
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({ file: "wal", kind: "torn-tail", atByte: before, droppedBytes: Math.floor(next.length / 2) });
    expect(readFileSync(logPath(dir, follower), "utf8")).toMatch(/"event":"storage-recovered"/);
    await expectKeysOn(dir, follower, 30, "k");
    await writeKeys(dir, 5, "after");
    await waitForApplied(dir, follower, await leaderCommit(dir, leader.id));
    await expectKeysOn(dir, follower, 5, "after");
  });

  it("§5 corruption in the middle of the WAL: the node refuses to start with a clear message; --accept-data-loss starts it on the valid prefix", async () => {
    cluster = await testCluster("wal-corrupt");
    const { dir } = cluster;
    const leader = await waitForLeader(dir);
    await writeKeys(dir, 30, "k");
    const follower = readCluster(dir).nodes.find((n) => n.id !== leader.id)!.id;
    await waitForApplied(dir, follower, await leaderCommit(dir, leader.id));
    await killNode(dir, follower);

    // Flip one byte in the middle of the file: good frames follow the bad one.
    const wal = join(dataDir(dir, follower), "wal.rec");
    const fd = openSync(wal, "r+");
    try {
      const at = Math.floor(parseFrames(readFileSync(wal)).goodBytes / 2);
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, at);
      b[0] ^= 0x20;
      writeSync(fd, b, 0, 1, at);
    } finally {
      closeSync(fd);
    }

    const refused = await runUntilExit(dir, follower, 20_000);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/corrupt at byte \d+/);
    expect(refused.stderr).toMatch(/Refusing to start/);
    expect(refused.stderr).toMatch(/--accept-data-loss/);
    expect(processesOf(dir).length).toBe(2);

    // The operator accepts the loss: the node starts on the good prefix and says so.
    // (It has lost entries it acknowledged; Raft assumes that never happens, so
    // the safe way back is remove-node + add-node with an empty data dir.)
    spawnNode(dir, follower, { watchPid: process.pid, maxLifetimeMs: 60_000, acceptDataLoss: true });
    const port = findNode(readCluster(dir), follower).httpPort;
    let st: Awaited<ReturnType<typeof nodeStatus>> = null;
    for (let i = 0; i < 100 && st === null; i++) {
      st = await nodeStatus(port, 500);
      if (st === null) await new Promise((r) => setTimeout(r, 50));
    }
    expect(st).not.toBeNull();
    const recovered = (st!.storage as { recovered: { kind: string; records: number }[] }).recovered;
    expect(recovered[0].kind).toBe("corrupt-accepted");
    expect(Number((st!.log as { last: number }).last)).toBeLessThan(31);
    expect(readFileSync(logPath(dir, follower), "utf8")).toMatch(/corrupt-accepted/);
  });
});
