// Lab 2: agreement on an unreliable network [§5.3]. Messages are lost,
// duplicated and reordered; a delayed or duplicated AppendEntries arrives after
// newer ones and must never cut off entries the follower already has.
import { defineScenario } from "../../api.ts";
import {
  CORE,
  appendEntriesCopy,
  code,
  expectApplied,
  expectSameApplied,
  injectAs,
  logTerms,
  nemesis,
  propose,
  proposeOverTime,
  runFor,
  stableLeader,
  stateOf,
} from "../_lib/raft.ts";

export default [
  defineScenario({
    name: "§5.3 agreement under message loss, duplication, reordering, partitions and pauses, with proposals all along",
    section: "§5.3",
    tags: ["core", "replication"],
    nodes: 5,
    config: CORE,
    swarm: ["drop", "dupe", "reorder", "partitions", "oneWayCuts", "pauses", "clockDrift"],
    steps: [
      code("propose every ~50 ms through 4 s of sampled faults, heal, and check every server applied the same", (ctx) => {
        stableLeader(ctx, 3000);
        proposeOverTime(ctx, 4000, 50);
        nemesis(ctx, 4000);
        runFor(ctx, 1000); // servers cut off with higher terms may force one more election (no PreVote in core)
        const l = stableLeader(ctx, 5000);
        expectApplied(ctx, propose(ctx, l, 1), ctx.cluster.servers, 3000);
        expectSameApplied(ctx);
      }),
    ],
  }),

  defineScenario({
    name: "§5.3 a stale or duplicated AppendEntries never truncates entries the follower already has",
    section: "§5.3",
    tags: ["core", "replication"],
    nodes: 3,
    config: CORE,
    steps: [
      code("replay old AppendEntries to a follower, then run on a duplicating, reordering network", (ctx) => {
        const l = stableLeader(ctx, 3000);
        expectApplied(ctx, propose(ctx, l, 10), ctx.cluster.servers, 2000);
        runFor(ctx, 100);
        const f = ctx.rng.pick(ctx.cluster.servers.filter((id) => id !== l));
        const s = stateOf(ctx, l);
        const last = s.log.lastIndex();
        const before = logTerms(ctx, f);
        // A copy of what the leader sent long ago (entries 3-5, commit 0), and of its latest (the last 3 entries).
        for (const [from, to, commit] of [
          [3, 5, 0],
          [last - 2, last, s.commitIndex],
          [2, 2, 1],
        ] as const) {
          injectAs(ctx, l, f, appendEntriesCopy(s, from, to, commit));
          const after = logTerms(ctx, f);
          if (after.length < before.length || after.slice(0, before.length).join(",") !== before.join(",")) {
            ctx.fail(
              "stale-append-truncated",
              `${f} held ${before.length} entries (all committed) and received a late copy of an AppendEntries carrying entries ${from}-${to}, which it already had; afterwards it holds ${after.length} entries [terms ${after.join(" ")}]. Truncate only at an entry whose term conflicts: a stale or duplicated message must not cut off what came later (§5.3, Figure 2 AppendEntries step 3)`,
            );
          }
          const fs = stateOf(ctx, f);
          if (fs.commitIndex > fs.log.lastIndex()) {
            ctx.fail("stale-append-truncated", `${f}'s commitIndex is ${fs.commitIndex} but its log ends at ${fs.log.lastIndex()}: committed entries were lost`);
          }
        }
        // Now the network itself duplicates and reorders, while proposals flow.
        ctx.sim.setLinkFaults({ dupe: 0.3, delayMs: { min: 1, max: 60 } });
        proposeOverTime(ctx, 3000, 30);
        runFor(ctx, 3000);
        ctx.sim.setLinkFaults({ dupe: 0, delayMs: { min: 1, max: 5 } });
        runFor(ctx, 500);
        const l2 = stableLeader(ctx, 5000);
        expectApplied(ctx, propose(ctx, l2, 1), ctx.cluster.servers, 3000);
        expectSameApplied(ctx);
      }),
    ],
  }),
];
