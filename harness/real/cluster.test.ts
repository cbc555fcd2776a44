// The integration test the course promises: the reference Raft KV as three
// real processes; kill the leader with SIGKILL, see a new one elected with
// every acknowledged write intact, restart the old leader, see it catch up,
// and check the whole client history for linearizability.
import { afterEach, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkHistory, HistoryBuilder, type KvInput, type KvOutput, kvModel, renderHistoryHtml } from "../check/index.ts";
import { ClusterClient, nodeStatus } from "./client.ts";
import { findNode, readCluster } from "./layout.ts";
import { allStatus, spawnOptionsFor, waitForApplied, waitForLeader } from "./ops.ts";
import { killNode, runningPid, sleep, spawnNode } from "./procs.ts";
import { processesOf, type TestCluster, testCluster } from "./testkit.ts";

let cluster: TestCluster | null = null;
afterEach(async () => {
  const c = cluster;
  cluster = null;
  if (c !== null) await c.cleanup();
});

const KEYS = ["x0", "x1", "x2", "x3"];

/** Concurrent clients doing puts and linearizable gets on a few keys, recording every operation. */
function startWorkload(dir: string, clients: number, h: HistoryBuilder<KvInput, KvOutput>, now: () => number): { stop(): Promise<void>; okCount(): number } {
  let stopping = false;
  let ok = 0;
  const loops = Array.from({ length: clients }, async (_, c) => {
    const client = new ClusterClient(dir, { deadlineMs: 8000, requestTimeoutMs: 2500 });
    const clientId = `test-c${c}`;
    let seq = 0;
    let n = 0;
    try {
      while (!stopping) {
        const key = KEYS[(c + n) % KEYS.length];
        if (n % 3 !== 2) {
          const value = `c${c}-${n}`;
          const id = h.invoke(clientId, { op: "put", key, value }, now());
          const r = await client.put(key, value, undefined, { clientId, seq: ++seq });
          if (r.status === 200) {
            h.ok(id, { ok: true }, now());
            ok++;
          } else h.info(id); // no definite answer: it may still take effect
        } else {
          const id = h.invoke(clientId, { op: "get", key }, now());
          const r = await client.get(key);
          if (r.status === 200 || r.status === 404) {
            h.ok(id, { value: r.status === 200 ? String(r.body.value) : null }, now());
            ok++;
          } else h.fail(id, now()); // a read that never answered had no effect
        }
        n++;
      }
    } finally {
      client.close();
    }
  });
  return {
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
    okCount: () => ok,
  };
}

describe("real cluster: 3 processes of the reference Raft KV on 127.0.0.1", () => {
  it("§5.2/§5.4 a leader killed with SIGKILL is replaced, no acknowledged write is lost, the restarted node catches up, and the history is linearizable", async () => {
    cluster = await testCluster("kill-leader");
    const { dir } = cluster;
    const first = await waitForLeader(dir, 20_000);
    const client = new ClusterClient(dir, { deadlineMs: 10_000 });
    const t0 = performance.now();
    const now = (): number => performance.now() - t0;
    const h = new HistoryBuilder<KvInput, KvOutput>();
    try {
      // Acknowledged writes through the leader, recorded in the history too.
      const ledger: string[] = [];
      for (let i = 0; i < 20; i++) {
        const key = `ack-${i}`;
        const id = h.invoke("ledger", { op: "put", key, value: `v${i}` }, now());
        const r = await client.put(key, `v${i}`, undefined, { clientId: "ledger", seq: i + 1 });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        h.ok(id, { ok: true }, now());
        ledger.push(key);
      }

      const load = startWorkload(dir, 4, h, now);
      await sleep(800);
      const killedPid = await killNode(dir, first.id);
      expect(killedPid).toBeDefined();
      expect(runningPid(dir, first.id)).toBeUndefined();

      const second = await waitForLeader(dir, 15_000, first.id);
      expect(second.id).not.toBe(first.id);
      expect(Number(second.status.term)).toBeGreaterThan(Number(first.status.term));
      await sleep(800);

      // Every acknowledged write is still there, read linearizably from the new leader.
      for (let i = 0; i < ledger.length; i++) {
        const id = h.invoke("ledger", { op: "get", key: ledger[i] }, now());
        const r = await client.get(ledger[i]);
        expect(r.status, `${ledger[i]}: ${JSON.stringify(r.body)}`).toBe(200);
        h.ok(id, { value: String(r.body.value) }, now());
        expect(r.body.value).toBe(`v${i}`);
      }

      // Restart the old leader: it recovers from its files and catches up from the new leader.
      spawnNode(dir, first.id, spawnOptionsFor(dir, { watchPid: process.pid, maxLifetimeMs: 90_000 }));
      const leaderNow = await nodeStatus(findNode(readCluster(dir), second.id).httpPort);
      const target = Number(leaderNow?.commitIndex);
      expect(target).toBeGreaterThan(0);
      const back = await waitForApplied(dir, first.id, target, 20_000);
      expect(back.role).toBe("follower");
      await sleep(300);
      await load.stop();
      expect(load.okCount()).toBeGreaterThan(30);

      // Its own state machine now holds every acknowledged write (a stale read is served from it).
      for (let i = 0; i < ledger.length; i++) {
        const r = await client.get(ledger[i], { stale: true, via: first.id });
        expect(r.status).toBe(200);
        expect(r.body.servedBy).toBe(first.id);
        expect(r.body.value).toBe(`v${i}`);
      }
      // And its applied index reaches the leader's.
      const statuses = await allStatus(dir);
      const leaderCommit = Math.max(...[...statuses.values()].map((s) => Number(s?.commitIndex ?? 0)));
      await waitForApplied(dir, first.id, leaderCommit, 10_000);

      const history = h.build();
      const verdict = checkHistory(kvModel, history, { timeoutMs: 20_000 });
      if (verdict.verdict !== "ok") {
        // Keep the evidence: the cluster dir is removed after the test.
        const html = join(tmpdir(), `raft-kill-leader-history-${Date.now()}.html`);
        writeFileSync(html, renderHistoryHtml(kvModel, history, verdict, { title: "kill-leader integration test", onlyProblems: true }));
        console.error(`history picture: ${html}`);
      }
      expect(verdict.verdict, verdict.explanation).toBe("ok");
      expect(history.operations.length).toBeGreaterThan(50);
    } finally {
      client.close();
    }
    await cluster.cleanup();
    expect(processesOf(dir)).toEqual([]);
    cluster = null;
  });
});
