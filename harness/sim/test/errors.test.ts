import { describe, expect, it } from "vitest";
import { OneLeaderPerTermMonitor, Simulation } from "../index.ts";
import type { Env, Node } from "../../types.ts";
import { blast, probe, probeSim } from "./probe.ts";

describe("failures are reported, never thrown through the simulator", () => {
  it("a handler that throws fails the run, naming the node, the event and the stack", () => {
    const sim = probeSim(1, ["a", "b", "c"], { linkFaults: { delayMs: { min: 5, max: 5 } } }); // fixed delay: no reordering
    probe(sim, "b").throwOn = 3;
    blast(sim, "a", "b", 5);
    expect(sim.runFor(100)).toBe(false);
    expect(sim.failure).toMatchObject({ rule: "uncaught-exception", node: "b" });
    expect(sim.failure!.message).toMatch(/b threw while handling message #4 from a .*probe told to throw on 3/);
    expect(sim.failure!.stack).toMatch(/ProbeNode\.onMessage/);
    // the run stopped: nothing after the failing event was processed
    expect(probe(sim, "b").received).toHaveLength(3);
    expect(sim.runFor(100)).toBe(false);
  });

  it("a message to an unknown node is reported", () => {
    const sim = probeSim(2);
    sim.schedule(10, () => probe(sim, "a").env.send("zz", { n: 1 }));
    expect(sim.runFor(100)).toBe(false);
    expect(sim.failure).toMatchObject({ rule: "unknown-destination", node: "a", timeMs: 10 });
    expect(sim.failure!.message).toContain('"zz"');
  });

  class MisusingNode implements Node<never> {
    constructor(
      private readonly env: Env<never>,
      private readonly how: string,
    ) {
      env.setTimer(5, "go");
    }
    onMessage(): void {}
    onTimer(): void {
      if (this.how === "negative") this.env.setTimer(-1, "x");
      if (this.how === "nan") this.env.setTimer(Number.NaN, "x");
      if (this.how === "bogus-cancel") this.env.cancelTimer(12345);
      if (this.how === "leak") for (;;) this.env.setTimer(1000, "leak");
    }
  }

  for (const [how, rule] of [
    ["negative", "timer-misuse"],
    ["nan", "timer-misuse"],
    ["bogus-cancel", "timer-misuse"],
    ["leak", "timer-leak"],
  ] as const) {
    it(`timer misuse (${how}) is reported as ${rule}`, () => {
      const sim = new Simulation<never>({ seed: 3, nodes: ["a"], factory: (env) => new MisusingNode(env, how), maxTimersPerNode: 100 });
      expect(sim.runFor(100)).toBe(false);
      expect(sim.failure).toMatchObject({ rule, node: "a" });
    });
  }

  it("cancelling a timer that already fired is fine", () => {
    const sim = probeSim(4);
    const id = probe(sim, "a").env.setTimer(1, "t");
    sim.runFor(10);
    probe(sim, "a").env.cancelTimer(id);
    expect(sim.failure).toBeNull();
  });

  it("a factory that throws is reported", () => {
    const sim = new Simulation<never>({
      seed: 5,
      nodes: ["a"],
      factory: () => {
        throw new Error("bad boot");
      },
    });
    expect(sim.failure).toMatchObject({ rule: "uncaught-exception", node: "a" });
    expect(sim.failure!.message).toContain("while starting up");
  });

  it("an event budget stops a livelock", () => {
    class Chatter implements Node<number> {
      constructor(private readonly env: Env<number>) {
        env.setTimer(0, "spin");
      }
      onMessage(): void {}
      onTimer(): void {
        this.env.setTimer(0, "spin"); // zero-delay loop: virtual time never advances
      }
    }
    const sim = new Simulation<number>({ seed: 6, nodes: ["a"], factory: (env) => new Chatter(env), maxEvents: 10_000 });
    expect(sim.runFor(10)).toBe(false);
    expect(sim.failure).toMatchObject({ rule: "event-budget" });
  });

  it("monitors report violations with rule, section, event index and time", () => {
    class Claimer implements Node<never> {
      constructor(env: Env<never>) {
        env.log("role", { role: "leader", term: 7 });
      }
      onMessage(): void {}
      onTimer(): void {}
    }
    const sim = new Simulation<never>({ seed: 7, nodes: ["a", "b"], factory: (env) => new Claimer(env), monitors: [new OneLeaderPerTermMonitor()] });
    expect(sim.failure).toMatchObject({ rule: "election-safety", section: "§5.2", node: "b", timeMs: 0 });
    expect(sim.failure!.message).toContain("two leaders in term 7: a and b");
    expect(sim.trace.events()[sim.failure!.eventIndex]).toMatchObject({ kind: "log", node: "b" });
  });

  it("a scheduled scenario action that throws is reported as a scenario error", () => {
    const sim = probeSim(8);
    sim.schedule(5, () => {
      throw new Error("oops");
    });
    expect(sim.runFor(10)).toBe(false);
    expect(sim.failure).toMatchObject({ rule: "scenario-error" });
  });
});
