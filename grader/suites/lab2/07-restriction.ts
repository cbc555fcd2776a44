// Lab 2: the election restriction [§5.4.1]. A server that missed committed
// entries comes back with the highest term of all (it kept campaigning while
// cut off) and asks first; the others must still refuse it. If it won, the
// harness's leader-completeness check would fail the run: a leader without a
// committed entry.
import { defineScenario } from "../../api.ts";
import { CORE, code, expectApplied, propose, runFor, stableLeader, stateOf } from "../_lib/raft.ts";

export default [
  defineScenario({
    name: "§5.4.1 election restriction: a server with a stale log cannot win, even with the highest term",
    section: "§5.4.1",
    tags: ["core", "replication"],
    nodes: 5,
    config: CORE,
    steps: [
      code("cut a follower off, commit entries without it, heal, three times", (ctx) => {
        for (let round = 0; round < 3; round++) {
          const l = stableLeader(ctx, 5000);
          const f = ctx.rng.pick(ctx.cluster.servers.filter((id) => id !== l));
          ctx.sim.isolate(f);
          const values = propose(ctx, l, 5);
          expectApplied(ctx, values, ctx.cluster.servers.filter((id) => id !== f), 2000);
          runFor(ctx, 600); // f times out and campaigns, again and again: its term climbs past everyone's
          const highest = Math.max(...ctx.cluster.servers.map((id) => stateOf(ctx, id).currentTerm));
          ctx.sim.note(`${f} rejoins with term ${stateOf(ctx, f).currentTerm} (highest: ${highest}) and a stale log`);
          ctx.sim.heal();
          expectApplied(ctx, values, ctx.cluster.servers, 3000);
        }
      }),
    ],
  }),
];
