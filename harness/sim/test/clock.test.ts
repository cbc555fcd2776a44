import { describe, expect, it } from "vitest";
import { probe, probeSim } from "./probe.ts";

describe("clocks", () => {
  it("timers on a drifting node fire at the drifted times", () => {
    const sim = probeSim(1);
    sim.setClock("a", { driftPpm: 100_000, offsetMs: 0 }); // 10% fast
    sim.setClock("b", { driftPpm: -100_000, offsetMs: 0 }); // 10% slow
    for (const id of ["a", "b", "c"]) probe(sim, id).env.setTimer(1000, "t");
    const fired: Record<string, number> = {};
    sim.runUntil(
      (s) => {
        for (const id of ["a", "b", "c"]) if (fired[id] === undefined && probe(s, id).timersFired.length > 0) fired[id] = s.now();
        return Object.keys(fired).length === 3;
      },
      { maxMs: 5000 },
    );
    expect(fired.a).toBe(910); // 1000 local ms at 1.1x = 909.09 global ms, rounded up to the next ms
    expect(fired.b).toBe(1112); // 1000 / 0.9 = 1111.1
    expect(fired.c).toBe(1000);
    // and at firing, each node's own clock reads (at least) the 1000 ms it asked for
    for (const id of ["a", "b", "c"]) expect(probe(sim, id).timersFired[0].localMs).toBeGreaterThanOrEqual(1000);
  });

  it("now() follows offset and drift", () => {
    const sim = probeSim(2);
    sim.runFor(100);
    sim.setClock("a", { driftPpm: 500_000, offsetMs: 40 });
    sim.runFor(100);
    expect(sim.localTimeOf("a")).toBe(100 + 40 + 150);
    expect(probe(sim, "a").env.now()).toBe(290);
    expect(probe(sim, "c").env.now()).toBe(200);
  });
});
