// Labs 1-3 prove themselves (issue #6): the reference passes every scenario,
// runs replay to the same trace hash, and every classic mistake, switched on in
// the reference (solutions/bugs.ts), fails the scenario written to catch it,
// with the rule that names it. The untouched stubs are checked through the
// real command line in labs-1-3-stubs.test.ts.
import { beforeAll, describe, expect, test } from "vitest";
import { findLab } from "../grader/labs.ts";
import { type LoadedScenario, loadScenarios } from "../grader/load.ts";
import { runSeed } from "../grader/run/seed.ts";
import { seedsFor } from "../grader/run/seeds.ts";
import type { Scenario } from "../grader/scenario.ts";
import type { Subject } from "../grader/subject.ts";
import { raftSubject } from "../grader/subjects/raft.ts";
import type { ReferenceBug } from "../solutions/bugs.ts";

/** Seeds per scenario here; `npm run grade all -- --solution` runs the default 10, and more before a release. */
const SEEDS = 2;

let reference: Subject;
let scenarios: LoadedScenario[];

beforeAll(async () => {
  reference = await raftSubject({ election: "solutions", replication: "solutions", persistence: "solutions", snapshot: "solutions", membership: "solutions", kv: "solutions" });
  scenarios = await loadScenarios(["lab1", "lab2", "lab3"].map((n) => findLab(n)!), []);
});

function scenario(lab: string, prefix: string): Scenario {
  const hits = scenarios.filter((l) => l.lab.name === lab && l.scenario.name.startsWith(prefix));
  if (hits.length !== 1) throw new Error(`expected one ${lab} scenario named "${prefix}...", found ${hits.length}`);
  return hits[0].scenario;
}

function run(s: Scenario, seed: number, traceMode: "ring" | "full" = "ring") {
  return runSeed(s, reference, seed, { traceMode, recordStates: traceMode === "full" });
}

describe("the reference passes labs 1-3", () => {
  test("every lab has core scenarios, tagged, named after a paper section, on at least 10 seeds by default", () => {
    for (const lab of ["lab1", "lab2", "lab3"]) {
      const mine = scenarios.filter((l) => l.lab.name === lab).map((l) => l.scenario);
      expect(mine.filter((s) => s.tags.includes("core")).length, lab).toBeGreaterThanOrEqual(8);
      for (const s of mine) {
        expect(s.name, `${s.name}: name starts with its section`).toMatch(/^(§\d|Figure \d|thesis §)/);
        expect(s.seeds, s.name).toBeGreaterThanOrEqual(10);
      }
    }
  });

  for (const lab of ["lab1", "lab2", "lab3"]) {
    test(`${lab}: every scenario, core and extra, passes on its first ${SEEDS} seeds`, () => {
      const failures: string[] = [];
      for (const l of scenarios.filter((x) => x.lab.name === lab)) {
        for (const seed of seedsFor(l.scenario.name, SEEDS)) {
          const r = run(l.scenario, seed);
          if (!r.passed) failures.push(`${l.scenario.name} seed ${seed}: ${r.failure?.rule}: ${r.failure?.message}`);
        }
      }
      expect(failures).toEqual([]);
    });
  }
});

describe("runs replay exactly", () => {
  test.each([
    ["lab1", "§5.2 a leader emerges again after a swarm of faults"],
    ["lab2", "§5.4.2 Figure 8: a leader never commits"],
    ["lab2", "§5.3 agreement under message loss"],
    ["lab3", "Figure 2 a crash right after any kind of step"],
    ["lab3", "Figure 2 churn on an unreliable network"],
  ])("%s %s: the same seed gives the same trace hash, with a ring or a full trace", (lab, prefix) => {
    const s = scenario(lab, prefix);
    const [seed] = seedsFor(s.name, 1);
    const a = run(s, seed);
    const b = run(s, seed, "full");
    expect(a.passed).toBe(true);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.virtualMs).toBe(a.virtualMs);
    expect(run(s, seed + 1).traceHash).not.toBe(a.traceHash);
  });
});

/** A classic mistake, the scenario written to catch it, and the rule it must fail with. */
const MUTANTS: readonly { bug: ReferenceBug; lab: string; scenario: string; rule: string }[] = [
  { bug: "vote-twice", lab: "lab1", scenario: "§5.2 one vote per term", rule: "one-vote-per-term" },
  { bug: "vote-ignores-log", lab: "lab2", scenario: "§5.4.1 election restriction", rule: "leader-completeness" },
  { bug: "commit-old-term", lab: "lab2", scenario: "§5.4.2 Figure 8: a leader never commits", rule: "commit-current-term" },
  { bug: "truncate-on-stale", lab: "lab2", scenario: "§5.3 a stale or duplicated AppendEntries", rule: "stale-append-truncated" },
  { bug: "skip-consistency-check", lab: "lab2", scenario: "Figure 7", rule: "state-machine-safety" },
  { bug: "commit-past-match", lab: "lab2", scenario: "Figure 7", rule: "state-machine-safety" },
  { bug: "commit-regresses", lab: "lab2", scenario: "§5.3 a stale or duplicated AppendEntries", rule: "commit-monotonic" },
  { bug: "vote-before-persist", lab: "lab3", scenario: "§5.2 a server that voted, crashed and restarted", rule: "one-vote-per-term" },
  { bug: "restore-forgets-term", lab: "lab3", scenario: "Figure 2 a restarted server keeps its term", rule: "state-lost-on-restart" },
  { bug: "no-sync", lab: "lab3", scenario: "Figure 2 persist before send", rule: "persist-before-send" },
];

describe("each classic mistake, switched on in the reference, fails the scenario that targets it with the rule that names it", () => {
  test.each(MUTANTS)("$bug: $lab $scenario -> $rule", ({ bug, lab, scenario: prefix, rule }) => {
    const s = scenario(lab, prefix);
    const mutant: Scenario = { ...s, config: { ...s.config, bugs: [bug] } };
    for (const seed of seedsFor(s.name, SEEDS)) {
      const r = run(mutant, seed);
      expect(r.passed, `${bug} went unnoticed on seed ${seed}`).toBe(false);
      expect(r.failure!.rule, r.failure!.message).toBe(rule);
    }
  });
});
