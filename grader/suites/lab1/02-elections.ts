// Lab 1: many elections, split votes, and the one-vote-per-term rule under pressure.
import { defineScenario } from "../../api.ts";
import { CORE, code, electLeader, fireElectionTimer, runFor, stateOf } from "../_lib/raft.ts";

export default [
  defineScenario({
    name: "§5.2 many elections: 7 servers, 3 of them cut off at random, 10 times over",
    section: "§5.2",
    tags: ["core", "election"],
    nodes: 7,
    config: CORE,
    steps: [
      code("cut off 3 random servers, expect a leader among the other 4, heal; 10 rounds", (ctx) => {
        electLeader(ctx, 3000);
        for (let round = 1; round <= 10; round++) {
          const out = ctx.rng.shuffled(ctx.cluster.servers).slice(0, 3);
          const rest = ctx.cluster.servers.filter((id) => !out.includes(id));
          ctx.sim.note(`round ${round}: cut off ${out.join(", ")}`);
          ctx.sim.partition([...out.map((id) => [id]), rest]);
          electLeader(ctx, 3000, rest);
          runFor(ctx, 100 + ctx.rng.int(400));
          ctx.sim.heal();
          runFor(ctx, ctx.rng.int(300));
        }
        electLeader(ctx, 3000);
      }),
    ],
  }),

  defineScenario({
    name: "§5.2 split votes resolve: servers that all time out at once still elect a leader",
    section: "§5.2",
    tags: ["core", "election"],
    nodes: 5,
    config: CORE,
    steps: [
      code("every server times out at the same instant, twice", (ctx) => {
        // All five become candidates of term 1 together and vote for themselves:
        // nobody can win term 1, and only randomized timeouts break the tie (§5.2).
        for (const id of ctx.cluster.servers) fireElectionTimer(ctx, id, 1);
        const first = electLeader(ctx, 3000);
        runFor(ctx, 300);
        // Again among the four others, with the leader cut off.
        ctx.sim.isolate(first);
        const rest = ctx.cluster.servers.filter((id) => id !== first);
        for (const id of rest) fireElectionTimer(ctx, id, 1);
        electLeader(ctx, 3000, rest);
        ctx.sim.heal();
        electLeader(ctx, 3000);
      }),
    ],
  }),

  defineScenario({
    name: "§5.2 one vote per term: two candidates of the same term, five times over",
    section: "§5.2",
    tags: ["core", "election"],
    nodes: 5,
    config: CORE,
    steps: [
      code("two followers time out at the same instant; a voter answers the first and refuses the second", (ctx) => {
        // The harness's one-vote-per-term monitor fails the run at a second
        // granted vote; election safety at a second leader of a term.
        let l = electLeader(ctx, 3000);
        for (let round = 1; round <= 5; round++) {
          runFor(ctx, 200);
          const followers = ctx.cluster.servers.filter((id) => id !== l);
          const [a, b] = ctx.rng.shuffled(followers);
          const term = stateOf(ctx, a).currentTerm;
          if (stateOf(ctx, b).currentTerm !== term) continue;
          ctx.sim.note(`round ${round}: ${a} and ${b} campaign in term ${term + 1} together`);
          fireElectionTimer(ctx, a, 1);
          fireElectionTimer(ctx, b, 1);
          runFor(ctx, 2);
          l = electLeader(ctx, 3000);
        }
      }),
    ],
  }),
];
