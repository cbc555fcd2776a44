// What an operator of the real cluster relies on: clear HTTP errors and
// redirects, /status and /metrics, a taken port reported as such, membership
// changes, and backup/restore.
import { spawn } from "node:child_process";
import { Agent } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ClusterClient, httpRequest, parseJson } from "./client.ts";
import { findNode, readCluster, writeCluster } from "./layout.ts";
import { addNode, allStatus, backup, removeNode, restore, startCluster, waitForApplied, waitForLeader } from "./ops.ts";
import { NODE_MAIN, runningPid, stopCluster } from "./procs.ts";
import { processesOf, reapLeftovers, type TestCluster, testCluster } from "./testkit.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function fresh(name: string): Promise<TestCluster> {
  return freshWith(name, {});
}

async function freshWith(name: string, opts: Parameters<typeof testCluster>[1]): Promise<TestCluster> {
  const c = await testCluster(name, opts);
  cleanups.push(() => c.cleanup());
  return c;
}

describe("real cluster: HTTP API and operations", () => {
  it("answers bad requests with 4xx JSON errors, redirects writes from a follower to the leader, serves stale reads on followers", async () => {
    const { dir } = await fresh("http");
    const leader = await waitForLeader(dir);
    const c = readCluster(dir);
    const lp = findNode(c, leader.id).httpPort;
    const follower = c.nodes.find((n) => n.id !== leader.id)!;

    const put = await httpRequest(lp, "PUT", "/kv/greeting", "hello");
    expect(put.status).toBe(200);
    expect(parseJson(put.body)).toMatchObject({ key: "greeting", prev: null, servedBy: leader.id });

    const redirected = await httpRequest(follower.httpPort, "PUT", "/kv/greeting", "hi");
    expect(redirected.status).toBe(307);
    expect(redirected.headers.location).toBe(`http://127.0.0.1:${lp}/kv/greeting`);
    expect(parseJson(redirected.body)).toMatchObject({ error: "not_leader", leader: leader.id });

    // A stale read is served from the follower's own state, once it has applied the write.
    await waitForApplied(dir, follower.id, Number((await allStatus(dir)).get(leader.id)?.commitIndex));
    const stale = await httpRequest(follower.httpPort, "GET", "/kv/greeting?stale=true", null);
    expect(stale.status).toBe(200);
    expect(parseJson(stale.body)).toMatchObject({ stale: true, servedBy: follower.id });

    const cases: [string, string, string | null, number, string][] = [
      ["PUT", "/kv/big", "x".repeat(5000), 413, "too_large"],
      ["PUT", "/kv/huge", "x".repeat(1 << 20), 413, "too_large"],
      ["PUT", `/kv/${"k".repeat(300)}`, "v", 413, "too_large"],
      ["PUT", "/kv/", "v", 400, "bad_key"],
      ["GET", "/kv/%E0%A4%A", null, 400, "bad_key"],
      ["GET", "/kv/ctl%01key", null, 400, "bad_key"],
      ["GET", "/nope", null, 404, "no_such_endpoint"],
      ["PATCH", "/kv/x", "v", 405, "method_not_allowed"],
      ["GET", "/kv/missing", null, 404, "not_found"],
    ];
    for (const [method, path, body, status, error] of cases) {
      const r = await httpRequest(lp, method, path, body);
      expect(r.status, `${method} ${path.slice(0, 40)}`).toBe(status);
      expect(r.headers["content-type"]).toBe("application/json");
      expect(parseJson(r.body).error, `${method} ${path.slice(0, 40)}`).toBe(error);
    }
    const badSession = await httpRequest(lp, "PUT", "/kv/x", "v", { headers: { "x-raft-client-id": "c1", "x-raft-seq": "zero" } });
    expect(badSession.status).toBe(400);

    // A session makes a retried write apply once: the retry gets the first answer back.
    const s = { "x-raft-client-id": "test-session", "x-raft-seq": "1" };
    const first = parseJson((await httpRequest(lp, "PUT", "/kv/counter", "a", { headers: s })).body);
    await httpRequest(lp, "PUT", "/kv/counter", "b");
    const retry = parseJson((await httpRequest(lp, "PUT", "/kv/counter", "a", { headers: s })).body);
    expect(retry.prev).toBe(first.prev);
    expect(parseJson((await httpRequest(lp, "GET", "/kv/counter", null)).body).value).toBe("b");
  });

  it("backpressure: past the pending-request limit, writes get 503 busy with Retry-After instead of queueing without bound", async () => {
    const { dir } = await freshWith("busy", { raft: { maxPendingRequests: 2 } });
    const leader = await waitForLeader(dir);
    const port = findNode(readCluster(dir), leader.id).httpPort;
    const agent = new Agent({ keepAlive: true, maxSockets: 128 });
    try {
      // Whether a burst overflows depends on how fast this machine's disk
      // answers, so send bursts until one does (bounded: 5 bursts of 128).
      const answers: Awaited<ReturnType<typeof httpRequest>>[] = [];
      for (let burst = 0; burst < 5 && !answers.some((r) => r.status === 503); burst++) {
        answers.push(...(await Promise.all(Array.from({ length: 128 }, (_, i) => httpRequest(port, "PUT", `/kv/p${burst}-${i}`, "v", { agent })))));
      }
      const busy = answers.filter((r) => r.status === 503);
      expect(answers.filter((r) => r.status === 200).length).toBeGreaterThan(0);
      expect(busy.length).toBeGreaterThan(0);
      expect(busy.length + answers.filter((r) => r.status === 200).length).toBe(answers.length);
      expect(parseJson(busy[0].body).error).toBe("busy");
      expect(busy[0].headers["retry-after"]).toBe("1");
    } finally {
      agent.destroy();
    }
  });

  it("GET /status and GET /metrics report role, term, indexes, membership, lag, queue depth, fsync and request latency", async () => {
    const { dir } = await fresh("metrics");
    const leader = await waitForLeader(dir);
    const client = new ClusterClient(dir);
    for (let i = 0; i < 5; i++) expect((await client.put(`m${i}`, "v")).status).toBe(200);
    client.close();
    const st = (await allStatus(dir)).get(leader.id)!;
    expect(st).toMatchObject({ role: "leader", leader: leader.id, membership: { voters: ["n1", "n2", "n3"] }, snapshotIndex: 0 });
    for (const k of ["term", "commitIndex", "appliedIndex"]) expect(typeof st[k]).toBe("number");
    expect(st.log).toMatchObject({ first: 1 });
    const port = findNode(readCluster(dir), leader.id).httpPort;
    const m = await httpRequest(port, "GET", "/metrics", null);
    expect(m.status).toBe(200);
    expect(m.headers["content-type"]).toMatch(/^text\/plain; version=0.0.4/);
    for (const name of [
      "raft_leader_changes_total",
      "raft_term",
      "raft_is_leader 1",
      "raft_commit_index",
      "raft_applied_index",
      'raft_follower_commit_lag_entries{follower="',
      'raft_follower_match_lag_entries{follower="',
      "raft_proposal_queue_depth",
      'raft_fsync_duration_seconds_bucket{le="0.001"}',
      'raft_http_request_duration_seconds_bucket{op="put",le="0.01"}',
      'raft_http_request_duration_seconds_count{op="put"} 5',
    ]) {
      expect(m.body).toContain(name);
    }
  });

  it("a port already in use stops the node at once with a clear message (exit 4)", async () => {
    const { dir } = await fresh("ports");
    await waitForLeader(dir);
    const taken = readCluster(dir);
    const other = mkdtempSync(join(tmpdir(), "raft-ports-b-"));
    cleanups.push(async () => {
      await reapLeftovers(other);
      rmSync(other, { recursive: true, force: true });
    });
    writeCluster(other, { ...taken, nodes: taken.nodes.map((n) => ({ ...n })) });
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", NODE_MAIN, "--dir", other, "--id", "n1", "--watch-pid", String(process.pid), "--max-lifetime-ms", "20000"], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error("node with a taken port did not exit within 15 s"));
      }, 15_000);
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/port 127\.0\.0\.1:\d+ is already in use/);
    expect(processesOf(other)).toEqual([]);
  });

  it("§6 add-node joins as a learner and is promoted to voter; remove-node takes it out and stops it", async () => {
    const { dir } = await fresh("members");
    await waitForLeader(dir);
    const client = new ClusterClient(dir);
    expect((await client.put("before", "1")).status).toBe(200);
    const added = await addNode(dir, { timeoutMs: 20_000, spawn: { watchPid: process.pid, maxLifetimeMs: 90_000 } });
    expect(added.id).toBe("n4");
    expect((added.status.membership as { voters: string[] }).voters).toEqual(["n1", "n2", "n3", "n4"]);
    const viaNew = await client.get("before", { stale: true, via: "n4" });
    expect(viaNew.body.value).toBe("1");
    await removeNode(dir, "n4", { timeoutMs: 20_000 });
    expect(runningPid(dir, "n4")).toBeUndefined();
    expect(readCluster(dir).nodes.map((n) => n.id)).toEqual(["n1", "n2", "n3"]);
    const l = await waitForLeader(dir);
    expect((l.status.membership as { voters: string[] }).voters).toEqual(["n1", "n2", "n3"]);
    expect((await client.put("after", "2")).status).toBe(200);
    client.close();
  });

  it("backup takes a consistent copy from a running node, and restore seeds a new cluster that serves the same data", async () => {
    const { dir } = await fresh("backup");
    const leader = await waitForLeader(dir);
    const client = new ClusterClient(dir);
    for (let i = 0; i < 20; i++) expect((await client.put(`b${i}`, `value-${i}`)).status).toBe(200);
    client.close();
    const dest = mkdtempSync(join(tmpdir(), "raft-backup-copy-"));
    rmSync(dest, { recursive: true });
    const restoredDir = mkdtempSync(join(tmpdir(), "raft-restored-"));
    rmSync(restoredDir, { recursive: true });
    cleanups.push(async () => {
      await reapLeftovers(restoredDir);
      rmSync(dest, { recursive: true, force: true });
      rmSync(restoredDir, { recursive: true, force: true });
    });
    const manifest = await backup(dir, leader.id, dest);
    expect(Number((manifest.status as { appliedIndex: number }).appliedIndex)).toBeGreaterThanOrEqual(21);
    // The copy alone is enough: the new cluster gets new ports and its own directory.
    await restore(dest, restoredDir);
    await startCluster(restoredDir, { spawn: { watchPid: process.pid, maxLifetimeMs: 90_000 } });
    await waitForLeader(restoredDir, 20_000);
    const c2 = new ClusterClient(restoredDir);
    for (let i = 0; i < 20; i++) expect((await c2.get(`b${i}`)).body.value).toBe(`value-${i}`);
    expect((await c2.put("new", "x")).status).toBe(200);
    c2.close();
    await stopCluster(restoredDir);
    expect(processesOf(restoredDir)).toEqual([]);
  });
});
