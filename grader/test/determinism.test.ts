// Same seed and scenario, same trace hash: in-process, and across CLI runs.
import { describe, expect, test } from "vitest";
import { parseScenarioText } from "../dsl.ts";
import { runSeed } from "../run/seed.ts";
import { seedsFor, shardPairs } from "../run/seeds.ts";
import { toySubject } from "../selftest/toy.ts";
import { grade } from "./validate.ts";
import type { JsonReport } from "../report/files.ts";
import { readFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [SCENARIO] = parseScenarioText(
  `scenario determinism probe
nodes 5
faults drop 0.1 delay 1..30
swarm drop dupe reorder partitions crashes pauses clockDrift
run until leader within 3s
propose 3 on leader
nemesis 2s
expect one leader within 3s
`,
  "determinism.scenario",
);

describe("trace hashes", () => {
  test("the same seed gives the same hash every time, ring or full trace, with or without node states", () => {
    const subject = toySubject();
    for (const seed of [0, 1, 4242, 0xffffffff]) {
      const a = runSeed(SCENARIO, subject, seed, { traceMode: "ring", recordStates: false });
      const b = runSeed(SCENARIO, subject, seed, { traceMode: "full", recordStates: true });
      expect(a.traceHash).toMatch(/^[0-9a-f]{16}$/);
      expect(b.traceHash).toBe(a.traceHash);
      expect(b.virtualMs).toBe(a.virtualMs);
    }
  });

  test("different seeds give different runs", () => {
    const subject = toySubject();
    const hashes = new Set([1, 2, 3, 4, 5].map((seed) => runSeed(SCENARIO, subject, seed, { traceMode: "ring", recordStates: false }).traceHash));
    expect(hashes.size).toBe(5);
  });

  test("two CLI runs report identical trace hashes per scenario and seed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "grade-det-"));
    const runs = await Promise.all([1, 2].map((i) => grade(["selftest", "--json", join(dir, `${i}.json`), "--workers", String(i)])));
    for (const r of runs) expect(r.code, r.stdout + r.stderr).toBe(0);
    const [a, b] = [1, 2].map((i) => JSON.parse(readFileSync(join(dir, `${i}.json`), "utf8")) as JsonReport);
    const hashes = (r: JsonReport) => r.scenarios.flatMap((s) => s.seeds.map((x) => `${s.name}#${x.seed}=${x.traceHash}`));
    expect(hashes(a).length).toBeGreaterThan(20);
    expect(hashes(b)).toEqual(hashes(a));
  });
});

describe("seeds and shards", () => {
  test("seed lists are fixed per scenario, extend with N, and differ between scenarios", () => {
    expect(seedsFor("a", 10)).toEqual(seedsFor("a", 10));
    expect(seedsFor("a", 100).slice(0, 10)).toEqual(seedsFor("a", 10));
    expect(seedsFor("a", 10)).not.toEqual(seedsFor("b", 10));
    expect(new Set(seedsFor("a", 1000)).size).toBe(1000);
    for (const s of seedsFor("a", 50)) expect(Number.isInteger(s) && s >= 0 && s <= 0xffffffff).toBe(true);
  });

  test("shards are disjoint, cover every pair, and are balanced", () => {
    const pairs = Array.from({ length: 103 }, (_, i) => i);
    for (const count of [1, 2, 3, 7]) {
      const parts = Array.from({ length: count }, (_, i) => shardPairs(pairs, { index: i + 1, count }));
      expect(parts.flat().sort((x, y) => x - y)).toEqual(pairs);
      const sizes = parts.map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });
});
