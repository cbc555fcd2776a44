// Lab 3 extras: a sync is the expensive part of a write on a real disk
// (npm run cluster feels it). Syncing only when something changed keeps an
// idle cluster's disks quiet.
import { defineScenario } from "../../api.ts";
import { CORE, code, roles, runFor, stableLeader } from "../_lib/raft.ts";

const IDLE_MS = 10_000;
const SYNC_BUDGET = 10;

export default [
  defineScenario({
    name: `Figure 2 disk budget: an idle cluster of 3 syncs at most ${SYNC_BUDGET} times in ${IDLE_MS / 1000} s (nothing changes, so nothing needs syncing)`,
    section: "Figure 2",
    tags: ["extra", "persistence", "budget"],
    nodes: 3,
    config: CORE,
    steps: [
      code(`elect a leader, let it settle, then count syncs for ${IDLE_MS / 1000} s`, (ctx) => {
        let syncs = 0;
        ctx.cluster.observer.watch((ev) => {
          if (ev.kind === "sync") syncs++;
          return undefined;
        });
        stableLeader(ctx, 3000);
        runFor(ctx, 500);
        if (syncs === 0) ctx.fail("nothing-synced", `a leader was elected (new term, votes) and nothing was ever synced to disk: persist() must write and sync (${roles(ctx)})`);
        syncs = 0;
        runFor(ctx, IDLE_MS);
        if (syncs > SYNC_BUDGET) {
          ctx.fail("sync-budget", `with no proposals and no elections, the servers synced ${syncs} times in ${IDLE_MS} ms: persist() should skip the sync when nothing was written since the last one (${roles(ctx)})`);
        }
      }),
    ],
  }),
];
