// Lab 3: a crash in the middle of a handler, between a write and its sync
// (the simulator's crashAtSync). Whatever the handler wrote since its last
// sync is lost — the first such record may survive torn — and the rest of the
// handler never runs; messages it sent before the sync are already out. A
// server that syncs before it sends has promised nothing it can lose; one that
// sends first, or trusts a torn record, is caught here by its promises on the
// wire and by the harness monitors.
import type { NodeId } from "../../../harness/types.ts";
import { defineScenario } from "../../api.ts";
import { CORE, Promises, code, expectSameApplied, runFor, runUntil, stableLeader, stateOf } from "../_lib/raft.ts";

const ROUNDS = 12;

export default [
  defineScenario({
    name: "Figure 2 a crash between a write and its sync, in whatever handler is syncing, torn tail included, loses nothing promised",
    section: "Figure 2",
    tags: ["core", "persistence"],
    nodes: 3,
    config: CORE,
    steps: [
      code(`${ROUNDS} times: plan a crash at a server's next sync, let it strike, restart the server and check what it restored`, (ctx) => {
        const promises = new Promises(ctx);
        stableLeader(ctx, 3000);
        // Commands keep arriving while the crashes strike, so servers are always writing and syncing.
        let feeding = true;
        const feed = (): void => {
          if (!feeding) return;
          const l = ctx.cluster.leaders()[0]?.id;
          if (l !== undefined) ctx.cluster.propose([l], 1);
          ctx.sim.schedule(ctx.sim.now() + 10 + ctx.rng.int(40), feed);
        };
        feed();
        let struck = 0;
        for (let round = 0; round < ROUNDS; round++) {
          const up = ctx.cluster.servers.filter((id) => ctx.sim.isUp(id));
          const victim: NodeId = ctx.rng.pick(up);
          const torn = ctx.rng.chance(0.5);
          const pre = { term: stateOf(ctx, victim).currentTerm, log: stateOf(ctx, victim).log.all().map((e) => e.term) };
          ctx.sim.note(`${victim} will crash at its next sync${torn ? " (torn)" : ""}`);
          ctx.sim.crashAtSync(victim, { torn });
          if (runUntil(ctx, () => !ctx.sim.isUp(victim), 600)) {
            struck++;
            runFor(ctx, 20 + ctx.rng.int(200));
            ctx.sim.restart(victim);
            promises.checkRestored(ctx, victim, pre);
          }
          runFor(ctx, 100);
        }
        feeding = false;
        if (struck === 0) {
          ctx.fail(
            "never-synced",
            `no server called storage.sync() with unsynced writes in ${ROUNDS} rounds of ~600 ms while commands were flowing: persist() must write currentTerm, votedFor and new log entries and then sync, before the messages that depend on them (Figure 2)`,
          );
        }
        runFor(ctx, 3000);
        expectSameApplied(ctx);
      }),
    ],
  }),
];
