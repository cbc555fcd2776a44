// The reference under swarm faults: a short soak on every test run, plus every
// seed that once failed (the full 5,000-seed soak is `npm run soak -- --seeds 5000`).
import { describe, expect, it } from "vitest";
import { runChaos } from "../harness/raft/chaos.ts";
import { referenceNode } from "./node.ts";

const run = (seed: number) => runChaos({ seed, server: (members, config) => referenceNode(members, config) });

/** Seeds that once failed, with what was wrong; each must pass forever after. */
const REGRESSIONS: { seed: number; was: string }[] = [
  { seed: 43, was: "pipeline stalled: heartbeats were acked, so lost appends were never resent (liveness)" },
  { seed: 94, was: "same stall: acknowledged writes never reached a follower" },
  { seed: 270, was: "terms monitor counted an in-memory term lost in a crash before anything was sent in it" },
  { seed: 529, was: "commit-current-term monitor missed a single-voter leader's own entries (it sends no AppendEntries)" },
  { seed: 602, was: "terms monitor false positive (as 270)" },
  { seed: 651, was: "commit-current-term false positive (as 529)" },
  { seed: 2779, was: "leader-completeness monitor judged a term-2 leader by an entry committed later, in term 3" },
  { seed: 19, was: "a crash planned for a later sync (crashAtSync) struck after the heal, leaving a majority down" },
  { seed: 4745, was: "a leader removed by an uncommitted change stepped down holding the only up-to-date log, and never campaigned again (liveness)" },
];

describe("soak: the reference passes swarm chaos", () => {
  for (const r of REGRESSIONS) {
    it(`regression seed ${r.seed} (${r.was})`, () => {
      const res = run(r.seed);
      expect(res.failure, JSON.stringify(res.failure)).toBeNull();
    });
  }

  it("seeds 1..40 pass with every monitor, liveness after heal and a linearizable history", () => {
    const failed = [];
    for (let seed = 1; seed <= 40; seed++) {
      const res = run(seed);
      if (!res.passed) failed.push({ seed, failure: res.failure });
    }
    expect(failed).toEqual([]);
  });

  it("same seed, same trace hash", () => {
    expect(run(7).traceHash).toBe(run(7).traceHash);
  });
});
