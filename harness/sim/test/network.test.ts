import { describe, expect, it } from "vitest";
import type { DelaySpec } from "../index.ts";
import { blast, probe, probeSim, type ProbeMsg } from "./probe.ts";

describe("network semantics", () => {
  it("a partitioned link delivers nothing, in either direction", () => {
    const sim = probeSim(1);
    sim.partition([["a"], ["b", "c"]]);
    blast(sim, "a", "b", 50);
    blast(sim, "b", "a", 50);
    blast(sim, "b", "c", 5);
    sim.runFor(1000);
    expect(probe(sim, "b").received.filter((r) => r.from === "a")).toHaveLength(0);
    expect(probe(sim, "a").received).toHaveLength(0);
    expect(probe(sim, "c").received).toHaveLength(5); // same side still talks
  });

  it("messages in flight when a partition starts are not delivered", () => {
    const sim = probeSim(2);
    blast(sim, "a", "b", 20);
    sim.partition([["a"], ["b"]]);
    sim.runFor(1000);
    expect(probe(sim, "b").received).toHaveLength(0);
  });

  it("a one-way cut is one-way", () => {
    const sim = probeSim(3);
    sim.cutLink("a", "b");
    blast(sim, "a", "b", 30);
    blast(sim, "b", "a", 30);
    sim.runFor(1000);
    expect(probe(sim, "b").received).toHaveLength(0);
    expect(probe(sim, "a").received).toHaveLength(30);
  });

  it("heal restores delivery", () => {
    const sim = probeSim(4);
    sim.isolate("a");
    blast(sim, "a", "b", 10);
    sim.runFor(100);
    sim.heal();
    blast(sim, "a", "b", 10, 100);
    sim.runFor(100);
    expect(probe(sim, "b").received.map((r) => r.msg.n).sort((x, y) => x - y)).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
  });

  it("drop rate stays within statistical bounds", () => {
    const sim = probeSim(5);
    const count = 20_000;
    sim.setLinkFaults({ drop: 0.3 });
    blast(sim, "a", "b", count);
    sim.runFor(1000);
    const delivered = probe(sim, "b").received.length;
    // 0.7 * 20000 = 14000, sd = sqrt(20000 * 0.3 * 0.7) ≈ 65; allow 6 sd
    expect(Math.abs(delivered - 0.7 * count)).toBeLessThan(6 * 65);
  });

  it("duplication rate stays within statistical bounds, and duplicates are separate copies", () => {
    const sim = probeSim(6);
    const count = 20_000;
    sim.setLinkFaults({ dupe: 0.2 });
    blast(sim, "a", "b", count);
    sim.runFor(1000);
    const got = probe(sim, "b").received;
    expect(Math.abs(got.length - 1.2 * count)).toBeLessThan(6 * Math.sqrt(count * 0.2 * 0.8));
    const byN = new Map<number, ProbeMsg[]>();
    for (const r of got) byN.set(r.msg.n, [...(byN.get(r.msg.n) ?? []), r.msg]);
    const twice = [...byN.values()].find((msgs) => msgs.length === 2)!;
    expect(twice[0]).not.toBe(twice[1]);
    expect(sim.stats.duplicated).toBe(got.length - count);
  });

  it("delay bounds are respected (uniform and exponential-tail delays)", () => {
    const specs: DelaySpec[] = [{ min: 7, max: 13 }, { floorMs: 4, meanMs: 20, maxMs: 60 }];
    for (const delayMs of specs) {
      const sim = probeSim(7);
      sim.setLinkFaults({ delayMs });
      sim.runFor(100); // start from t=100 so arrival time = delay + 100
      blast(sim, "a", "b", 2000);
      sim.runFor(1000);
      const delays = probe(sim, "b").received.map((r) => r.atMs - 100);
      const lo = "min" in delayMs ? delayMs.min : delayMs.floorMs;
      const hi = "min" in delayMs ? delayMs.max : delayMs.maxMs;
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(lo);
      expect(Math.max(...delays)).toBeLessThanOrEqual(hi);
      expect(new Set(delays).size).toBeGreaterThan(3); // really random, so it reorders
    }
  });

  it("per-link faults touch only that link", () => {
    const sim = probeSim(8);
    sim.setLinkFaults({ drop: 1 }, { from: "a", to: "b" });
    blast(sim, "a", "b", 100);
    blast(sim, "a", "c", 100);
    blast(sim, "b", "a", 100);
    sim.runFor(1000);
    expect(probe(sim, "b").received).toHaveLength(0);
    expect(probe(sim, "c").received).toHaveLength(100);
    expect(probe(sim, "a").received).toHaveLength(100);
  });

  it("messages are copies: the sender mutating after send, or the receiver mutating, changes nothing elsewhere", () => {
    const sim = probeSim(9);
    const list = [1, 2, 3];
    const env = probe(sim, "a").env;
    env.send("b", { n: 1, list });
    env.send("c", { n: 1, list });
    list.push(4);
    sim.runFor(100);
    const atB = probe(sim, "b").received[0].msg;
    const atC = probe(sim, "c").received[0].msg;
    expect(atB.list).toEqual([1, 2, 3]);
    atB.list!.push(99);
    expect(atC.list).toEqual([1, 2, 3]);
  });

  it("counts message bytes as JSON length, per sender", () => {
    const sim = probeSim(10);
    probe(sim, "a").env.send("b", { n: 12, body: "hello" });
    expect(sim.sentBy("a")).toEqual({ messages: 1, bytes: JSON.stringify({ n: 12, body: "hello" }).length });
  });
});
