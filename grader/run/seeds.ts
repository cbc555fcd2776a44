// Which seeds a scenario runs, and how a shard picks its part of the work.
import { splitmix32 } from "../../harness/sim/index.ts";

function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The first n seeds of a scenario: a fixed sequence derived from its name, so
 * every run (and every machine) grades the same seeds, different scenarios get
 * different ones, and `--seeds 100` extends `--seeds 10` rather than replacing it.
 */
export function seedsFor(scenarioName: string, n: number): number[] {
  const base = nameHash(scenarioName);
  const out: number[] = [];
  const seen = new Set<number>();
  for (let i = 0; out.length < n; i++) {
    const s = splitmix32((base + Math.imul(i, 0x9e3779b9)) >>> 0);
    if (!seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  }
  return out;
}

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/**
 * Splits the (scenario, seed) pairs, in plan order, round-robin over the shards:
 * deterministic, disjoint, covering, and balanced to within one pair.
 */
export function shardPairs<T>(pairs: readonly T[], shard: Shard | null): T[] {
  if (shard === null) return [...pairs];
  return pairs.filter((_, i) => i % shard.count === shard.index - 1);
}
