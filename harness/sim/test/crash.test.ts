import { describe, expect, it } from "vitest";
import { openRecords, sealRecord } from "../../checksum.ts";
import { Prng } from "../prng.ts";
import { SimStorage } from "../storage.ts";
import { blast, probe, probeSim } from "./probe.ts";

describe("storage and crashes", () => {
  it("keeps synced writes and loses unsynced ones", () => {
    const sim = probeSim(1);
    const s = probe(sim, "a").env.storage;
    s.append("wal", "one");
    s.append("wal", "two");
    s.replace("hard", ["term=1"]);
    s.sync();
    s.append("wal", "three");
    s.truncate("wal", 1);
    s.replace("hard", ["term=2"]);
    expect(s.read("wal")).toEqual(["one"]); // the node reads its own writes
    sim.crash("a");
    sim.restart("a");
    const after = probe(sim, "a").env.storage;
    expect(after.read("wal")).toEqual(["one", "two"]);
    expect(after.read("hard")).toEqual(["term=1"]);
  });

  it("a truncate followed by sync is durable", () => {
    const s = new SimStorage();
    for (const r of ["a", "b", "c"]) s.append("f", r);
    s.sync();
    s.truncate("f", 1);
    s.append("f", "x");
    s.sync();
    s.append("f", "lost");
    s.crash();
    expect(s.read("f")).toEqual(["a", "x"]);
  });

  it("a torn tail is a prefix of the first unsynced record, and openRecords drops it", () => {
    let tornSeen = 0;
    for (let seed = 0; seed < 50; seed++) {
      const s = new SimStorage();
      s.append("wal", sealRecord("first entry"));
      s.sync();
      const second = sealRecord(`second entry with some length ${seed}`);
      s.append("wal", second);
      s.append("wal", sealRecord("third"));
      const torn = s.crash(new Prng(seed, "t"));
      expect(torn).toEqual(["wal"]);
      const records = s.read("wal");
      expect(records).toHaveLength(2);
      expect(second.startsWith(records[1])).toBe(true);
      expect(records[1].length).toBeLessThan(second.length);
      const { payloads, dropped } = openRecords(records);
      expect(payloads).toEqual(["first entry"]);
      expect(dropped).toBe(1);
      tornSeen++;
    }
    expect(tornSeen).toBe(50);
  });

  it("crash({torn}) through the simulator records which files tore", () => {
    const sim = probeSim(3, ["a", "b"], { traceMode: "full" });
    const s = probe(sim, "a").env.storage;
    s.append("wal", sealRecord("x".repeat(40)));
    sim.crash("a", { torn: true });
    const crash = sim.trace.events().find((e) => e.kind === "crash");
    expect(crash).toMatchObject({ node: "a", torn: ["wal"] });
  });

  it("timers of a crashed node never fire, not even after restart", () => {
    const sim = probeSim(4);
    probe(sim, "a").env.setTimer(100, "old");
    sim.runFor(50);
    sim.crash("a");
    sim.runFor(10);
    sim.restart("a");
    const fresh = probe(sim, "a");
    fresh.env.setTimer(200, "new");
    sim.runFor(1000);
    expect(fresh.timersFired.map((t) => t.name)).toEqual(["new"]);
    expect(sim.pendingTimers("a")).toEqual([]);
  });

  it("messages to a crashed node are dropped, and not delivered after restart", () => {
    const sim = probeSim(5, ["a", "b"], { traceMode: "full" });
    sim.setLinkFaults({ delayMs: { min: 20, max: 20 } });
    blast(sim, "a", "b", 5);
    sim.runFor(5);
    sim.crash("b");
    sim.runFor(30); // deliveries happen at t=20 while b is down
    sim.restart("b");
    sim.runFor(100);
    expect(probe(sim, "b").received).toHaveLength(0);
    expect(sim.trace.events().filter((e) => e.kind === "drop" && e.reason === "crashed")).toHaveLength(5);
  });

  it("restart rebuilds the node from its factory with only durable storage", () => {
    const sim = probeSim(6);
    const before = probe(sim, "a");
    before.env.storage.append("f", "durable");
    before.env.storage.sync();
    sim.crash("a");
    sim.restart("a");
    const after = probe(sim, "a");
    expect(after).not.toBe(before);
    expect(after.env.storage.read("f")).toEqual(["durable"]);
  });

  it("wipeDisk loses synced data too", () => {
    const sim = probeSim(7);
    const s = probe(sim, "a").env.storage;
    s.append("f", "x");
    s.sync();
    sim.crash("a");
    sim.wipeDisk("a");
    sim.restart("a");
    expect(probe(sim, "a").env.storage.files()).toEqual([]);
  });

  it("a send while storage has unsynced writes is marked dirty in the trace", () => {
    const sim = probeSim(8, ["a", "b"], { traceMode: "full" });
    const env = probe(sim, "a").env;
    env.storage.append("f", "x");
    env.send("b", { n: 1 });
    env.storage.sync();
    env.send("b", { n: 2 });
    const sends = sim.trace.events().filter((e) => e.kind === "send");
    expect(sends.map((e) => (e.kind === "send" ? e.dirty : null))).toEqual([true, false]);
  });

  it("a paused node's timers and messages wait until it resumes, then happen in order", () => {
    const sim = probeSim(9);
    const b = probe(sim, "b");
    b.env.setTimer(50, "during-pause");
    sim.pause("b", 300);
    blast(sim, "a", "b", 3);
    sim.runFor(299);
    expect(b.received).toHaveLength(0);
    expect(b.timersFired).toHaveLength(0);
    sim.runFor(2);
    expect(b.received.map((r) => r.msg.n)).toEqual([0, 1, 2]);
    expect(b.timersFired.map((t) => t.name)).toEqual(["during-pause"]);
    expect(b.received[0].atMs).toBe(300);
  });
});

describe("crash between a write and its sync", () => {
  it("crashAtSync kills the node inside the handler: unsynced writes lost, later code never runs, earlier sends stay on the wire", () => {
    const sim = probeSim(11, ["a", "b"], { traceMode: "full" });
    const a = probe(sim, "a");
    a.env.storage.append("wal", "kept");
    a.env.storage.sync();
    sim.crashAtSync("a");
    let after = false;
    sim.schedule(5, () => {
      const env = probe(sim, "a").env;
      env.send("b", { n: 1 });
      env.storage.append("wal", sealRecord("lost"));
      try {
        env.storage.sync();
        after = true;
      } finally {
        // the crash unwinds through here; nothing after sync ran
      }
    });
    sim.runFor(50);
    expect(after).toBe(false);
    expect(sim.isUp("a")).toBe(false);
    expect(sim.storageOf("a").read("wal")).toEqual(["kept"]);
    expect(probe(sim, "b").received.map((r) => r.msg.n)).toEqual([1]);
  });

  it("the crash strikes at the nth dirty sync, and a clean sync does not count", () => {
    const sim = probeSim(12, ["a", "b"]);
    const env = probe(sim, "a").env;
    sim.crashAtSync("a", { nth: 2 });
    env.storage.sync(); // nothing to sync: does not count
    env.storage.append("f", "1");
    env.storage.sync(); // first dirty sync: survives
    expect(sim.isUp("a")).toBe(true);
    env.storage.append("f", "2");
    expect(() => env.storage.sync()).toThrow(/crashed before its sync/); // outside a handler the throw is visible
  });
});
