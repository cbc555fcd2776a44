import { describe, expect, it } from "vitest";
import { Coverage, CoverageBatch, Trace, describeEvent } from "../index.ts";
import { blast, probe, probeSim } from "./probe.ts";

describe("sometimes-coverage", () => {
  it("a batch reports the required cases it never reached", () => {
    const batch = new CoverageBatch();
    for (let seed = 0; seed < 3; seed++) {
      const c = new Coverage();
      if (seed === 1) c.hit("follower truncation");
      c.hit("leader change");
      batch.add(c);
    }
    expect(batch.get("leader change")).toBe(3);
    expect(batch.missing(["leader change", "follower truncation", "snapshot install"])).toEqual(["snapshot install"]);
    expect(batch.explainMissing(["snapshot install"])).toMatch(/over 3 seeds the run never reached: snapshot install/);
    expect(batch.explainMissing(["leader change"])).toBeUndefined();
  });
});

describe("trace", () => {
  it("exports JSON lines with messages inlined at send, parseable line by line", () => {
    const sim = probeSim(1, ["a", "b"], { traceMode: "full" });
    probe(sim, "a").env.log("role", { role: "leader", term: 1 });
    blast(sim, "a", "b", 2);
    sim.crash("b");
    sim.runFor(50);
    const lines = sim.trace.toJsonl().trim().split("\n").map((l) => JSON.parse(l) as { k: string; msg?: unknown });
    expect(lines.map((l) => l.k)).toEqual(["start", "start", "log", "send", "send", "crash", "drop", "drop"]);
    expect(lines[3].msg).toEqual({ n: 0 });
  });

  it("the ring keeps the last N records but hashes all of them", () => {
    const ring = new Trace("ring", 3);
    const full = new Trace("full");
    for (let i = 0; i < 10; i++) {
      const ev = { kind: "note" as const, index: i, timeMs: i, text: `n${i}` };
      ring.add({ ...ev });
      full.add({ ...ev });
    }
    expect(ring.events().map((e) => e.timeMs)).toEqual([7, 8, 9]);
    expect(ring.count).toBe(10);
    expect(ring.hash()).toBe(full.hash());
  });

  it("describes events in one readable line", () => {
    const sim = probeSim(2, ["a", "b"], { traceMode: "full" });
    blast(sim, "a", "b", 1);
    sim.runFor(10);
    const text = sim.trace.events().map((e) => describeEvent(e));
    expect(text.some((l) => /a -> b #1 \{"n":0\}/.test(l))).toBe(true);
    expect(text.some((l) => /b <- a #1/.test(l))).toBe(true);
  });
});
