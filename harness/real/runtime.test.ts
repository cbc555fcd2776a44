// The real-time Env on its own, with the tiny heartbeat node instead of Raft:
// persist-before-send with group commit (in process), and three real
// processes talking over TCP, surviving a kill -9 and a restart.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Env, Node } from "../types.ts";
import { nodeStatus } from "./client.ts";
import { findNode, readCluster } from "./layout.ts";
import { Registry } from "./metrics.ts";
import { killNode, sleep, spawnNode } from "./procs.ts";
import { RealRuntime } from "./runtime.ts";
import { FileStorage } from "./storage.ts";
import { type TestCluster, testCluster } from "./testkit.ts";

type Msg = { n: number };

let dirs: string[] = [];
let cluster: TestCluster | null = null;
afterEach(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
  const c = cluster;
  cluster = null;
  if (c !== null) await c.cleanup();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "raft-runtime-"));
  dirs.push(d);
  return d;
}

describe("RealRuntime: an Env over the event loop", () => {
  it.each([
    ["on the event-loop thread", true],
    ["in the thread pool", false],
  ])("Figure 2 persist-before-send: a message sent after sync() leaves only once its fsync completed, and many syncs share one fsync (fsync %s)", async (_how, inlineFsync) => {
    const storage = new FileStorage(tempDir(), { inlineFsync });
    const released: { n: number; fsyncsAtRelease: number }[] = [];
    let node: { env: Env<Msg> } | null = null;
    const rt = new RealRuntime<Msg>(
      "n1",
      (env): Node<Msg> => {
        node = { env };
        return {
          onMessage: (_from, msg) => {
            env.storage.append("log", `entry ${msg.n}`);
            env.storage.sync();
            env.send("n2", { n: msg.n });
          },
          onTimer: () => {},
        };
      },
      storage,
      {
        sendRemote: (_to, text) => released.push({ n: (JSON.parse(text) as Msg).n, fsyncsAtRelease: storage.fsyncs }),
        onFatal: (err) => {
          throw err;
        },
      },
      new Registry(),
    );
    rt.start();
    expect(node).not.toBeNull();
    // Ten messages in one event-loop turn: ten syncs requested.
    for (let n = 1; n <= 10; n++) rt.deliver("n2", { n });
    expect(released).toEqual([]); // nothing leaves inside the turn
    for (let i = 0; i < 100 && released.length < 10; i++) await sleep(5);
    expect(released.map((r) => r.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const r of released) expect(r.fsyncsAtRelease).toBeGreaterThanOrEqual(1);
    expect(storage.fsyncs).toBe(1); // group commit: one fsync for the whole turn
    await rt.stop(true);
    storage.close();
    const reopened = new FileStorage(storage.dir);
    expect(reopened.read("log")).toHaveLength(10);
    reopened.close();
  });

  it("a message sent before sync() does not wait for it (as in the simulator), one sent after does, and send order is kept", async () => {
    const storage = new FileStorage(tempDir());
    const released: { text: string; fsyncs: number }[] = [];
    const rt = new RealRuntime<{ m: string }>(
      "n1",
      (env) => ({
        onMessage: () => {
          env.send("n2", { m: "before" });
          env.storage.append("log", "x");
          env.storage.sync();
          env.send("n2", { m: "after" });
        },
        onTimer: () => {},
      }),
      storage,
      {
        sendRemote: (_to, text) => released.push({ text: (JSON.parse(text) as { m: string }).m, fsyncs: storage.fsyncs }),
        onFatal: (err) => {
          throw err;
        },
      },
      new Registry(),
    );
    rt.start();
    rt.deliver("n2", { m: "go" });
    rt.deliver("n2", { m: "go" });
    for (let i = 0; i < 100 && released.length < 4; i++) await sleep(5);
    // The second handler's "before" comes after the first handler's sync(): it waits too.
    expect(released.map((r) => r.text)).toEqual(["before", "after", "before", "after"]);
    expect(released[0].fsyncs).toBe(0); // left before the fsync
    for (const r of released.slice(1)) expect(r.fsyncs).toBe(1); // after a sync() call: waited for the one fsync
    await rt.stop(true);
    storage.close();
  });

  it("timers fire on the event loop and can be cancelled; a throwing node is fatal", async () => {
    const storage = new FileStorage(tempDir());
    const fired: string[] = [];
    const fatal: Error[] = [];
    const rt = new RealRuntime<Msg>(
      "n1",
      (env) => {
        const cancel = env.setTimer(10, "cancelled");
        env.setTimer(20, "kept");
        env.cancelTimer(cancel);
        return {
          onMessage: () => {
            throw new Error("boom");
          },
          onTimer: (name) => fired.push(name),
        };
      },
      storage,
      { sendRemote: () => {}, onFatal: (err) => fatal.push(err) },
      new Registry(),
    );
    rt.start();
    await sleep(60);
    expect(fired).toEqual(["kept"]);
    rt.deliver("x", { n: 1 });
    expect(fatal.map((e) => e.message)).toEqual(["boom"]);
    expect(rt.pendingTimers).toBe(0);
    storage.close();
  });

  it("three heartbeat processes exchange pings over TCP, survive a kill -9 of one, and the restarted one resumes its durable counter", async () => {
    cluster = await testCluster("heartbeat", { kind: "heartbeat" });
    const { dir } = cluster;
    const port = (id: string): number => findNode(readCluster(dir), id).httpPort;
    const waitFor = async (id: string, pred: (s: { [k: string]: unknown }) => boolean, ms: number): Promise<{ [k: string]: unknown }> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const s = await nodeStatus(port(id), 500);
        if (s !== null && pred(s)) return s;
        if (Date.now() > deadline) throw new Error(`${id}: condition not met in ${ms} ms (status ${JSON.stringify(s)})`);
        await sleep(50);
      }
    };
    for (const id of ["n1", "n2", "n3"]) await waitFor(id, (s) => Number(s.pongsReceived) >= 20, 10_000);
    const before = await waitFor("n2", (s) => Number(s.seq) >= 25, 10_000);
    await killNode(dir, "n2");
    const n1Before = Number((await nodeStatus(port("n1")))?.pongsReceived);
    await sleep(300);
    const n1After = await nodeStatus(port("n1"));
    expect(Number(n1After?.pongsReceived)).toBeGreaterThan(n1Before); // n3 still answers n1
    spawnNode(dir, "n2", { watchPid: process.pid, maxLifetimeMs: 60_000 });
    // The heartbeat node syncs its counter every 10 pings: it resumes from the last synced value.
    const synced = Math.floor(Number(before.seq) / 10) * 10;
    const after = await waitFor("n2", (s) => Number(s.pongsReceived) >= 5, 10_000);
    expect(Number(after.seq)).toBeGreaterThan(synced);
    const st = after.storage as { recovered: unknown[] };
    expect(st.recovered).toEqual([]);
  });
});
