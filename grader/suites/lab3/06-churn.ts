// Lab 3: crashes mixed with everything else. Leaders crash with entries only
// some servers hold, on a network that loses, duplicates and reorders: the
// Figure 8 situation arises again and again [§5.4.2]. The harness's monitors
// (leader completeness, state-machine safety, one vote per term, terms never
// decrease, persist before send) judge every event; at the end every server
// must hold the same committed entries.
import { defineScenario } from "../../api.ts";
import type { ScenarioContext } from "../../api.ts";
import { CORE, Promises, code, expectApplied, expectSameApplied, leader, nemesis, propose, proposeOverTime, runFor, stableLeader, state } from "../_lib/raft.ts";

/** Finally: every server up, a leader, one more proposal applied everywhere, and the same proposals applied everywhere. */
function converge(ctx: ScenarioContext): void {
  for (const id of ctx.cluster.servers) if (!ctx.sim.isUp(id)) ctx.sim.restart(id);
  ctx.sim.heal();
  ctx.sim.setLinkFaults({ drop: 0, dupe: 0, delayMs: { min: 1, max: 5 } });
  runFor(ctx, 1000);
  const l = stableLeader(ctx, 10_000);
  expectApplied(ctx, propose(ctx, l, 1), ctx.cluster.servers, 5000);
  expectSameApplied(ctx);
}

export default [
  defineScenario({
    name: "§5.4.2 Figure 8 on an unreliable network: leaders crash with entries on a minority, and committed entries survive",
    section: "§5.4.2, Figure 8",
    tags: ["core", "persistence", "figure8"],
    nodes: 5,
    config: CORE,
    faults: { drop: 0.1, dupe: 0.05, delayMs: { floorMs: 1, meanMs: 15, maxMs: 100 } },
    requires: ["crash", "restart", "leader-change", "message-lost"],
    steps: [
      code("for 8 s: propose to the leader, and now and then crash it right away; restart servers so a majority stays up", (ctx) => {
        const promises = new Promises(ctx);
        const pre = new Map<string, { term: number; log: number[] }>();
        const end = ctx.sim.now() + 8000;
        while (ctx.sim.now() < end) {
          const l = leader(ctx);
          if (l !== undefined) {
            propose(ctx, l, 1 + ctx.rng.int(3));
            // Often the leader dies with its new entries on itself or a few others only.
            if (ctx.rng.chance(0.5)) {
              runFor(ctx, ctx.rng.chance(0.5) ? ctx.rng.int(15) : ctx.rng.int(200));
              const s = state(ctx, l);
              if (s !== undefined) {
                pre.set(l, { term: s.currentTerm, log: s.log.all().map((e) => e.term) });
                ctx.sim.crash(l);
              }
            }
          }
          const down = ctx.cluster.servers.filter((id) => !ctx.sim.isUp(id));
          if (down.length >= 2 || (down.length > 0 && ctx.rng.chance(0.3))) {
            const id = ctx.rng.pick(down);
            ctx.sim.restart(id);
            runFor(ctx, 0);
            promises.checkRestored(ctx, id, pre.get(id) ?? null);
          }
          runFor(ctx, 20 + ctx.rng.int(300));
        }
        converge(ctx);
      }),
    ],
  }),

  defineScenario({
    name: "Figure 2 churn on a reliable network: random crashes and restarts (even of a majority) with proposals all along",
    section: "Figure 2",
    tags: ["core", "persistence"],
    nodes: 5,
    config: CORE,
    swarm: ["crashes", "tornWrites", "pauses"],
    requires: ["crash", "restart", "leader-change"],
    steps: [
      code("6 s of sampled crashes, restarts and pauses while proposals keep coming", (ctx) => {
        const promises = new Promises(ctx);
        stableLeader(ctx, 3000);
        proposeOverTime(ctx, 6000, 40);
        nemesis(ctx, 6000, { allowMajorityDown: true, forceCrashes: true, promises });
        converge(ctx);
      }),
    ],
  }),

  defineScenario({
    name: "Figure 2 churn on an unreliable network: crashes, torn writes, loss, duplication, reordering and partitions with proposals all along",
    section: "Figure 2",
    tags: ["core", "persistence"],
    nodes: 5,
    config: CORE,
    swarm: ["drop", "dupe", "reorder", "partitions", "oneWayCuts", "crashes", "tornWrites", "pauses", "clockDrift"],
    requires: ["crash", "restart", "leader-change"],
    steps: [
      code("6 s of sampled faults of every kind while proposals keep coming", (ctx) => {
        const promises = new Promises(ctx);
        stableLeader(ctx, 3000);
        proposeOverTime(ctx, 6000, 40);
        nemesis(ctx, 6000, { allowMajorityDown: true, forceCrashes: true, promises });
        converge(ctx);
      }),
    ],
  }),
];
