// Lab 1 extras: PreVote [thesis §9.6], CheckQuorum [thesis §6.2] and
// leadership transfer with TimeoutNow [thesis §3.10].
import { defineScenario } from "../../api.ts";
import { EXTRAS, code, electLeader, inject, roles, runFor, runUntil, stateOf } from "../_lib/raft.ts";

export default [
  defineScenario({
    name: "thesis §9.6 PreVote: a server that rejoins after a partition does not depose a healthy leader",
    section: "thesis §9.6",
    tags: ["extra", "election", "prevote"],
    nodes: 3,
    config: EXTRAS,
    steps: [
      code("cut a follower off for 2 s, heal, and watch the leader keep its term", (ctx) => {
        const l = electLeader(ctx, 3000);
        runFor(ctx, 300);
        const f = ctx.rng.pick(ctx.cluster.servers.filter((id) => id !== l));
        const term = stateOf(ctx, l).currentTerm;
        ctx.sim.isolate(f);
        runFor(ctx, 2000);
        if (stateOf(ctx, f).currentTerm !== term) {
          ctx.fail("prevote-term-moved", `${f} was cut off for 2 s and moved from term ${term} to ${stateOf(ctx, f).currentTerm}: with PreVote, a server bumps its term only after a majority said it could win (thesis §9.6): ${roles(ctx)}`);
        }
        ctx.sim.heal();
        runFor(ctx, 2000);
        const s = stateOf(ctx, l);
        if (s.role !== "leader" || s.currentTerm !== term) {
          ctx.fail("leader-disturbed", `${l} led term ${term}; 2 s after ${f} rejoined it is ${s.role} in term ${s.currentTerm}: ${roles(ctx)}`);
        }
      }),
    ],
  }),

  defineScenario({
    name: "thesis §6.2 CheckQuorum: a leader cut off from the majority steps down within two election timeouts",
    section: "thesis §6.2",
    tags: ["extra", "election", "checkquorum"],
    nodes: 5,
    config: EXTRAS,
    steps: [
      code("cut the leader off and wait for it to step down", (ctx) => {
        const l = electLeader(ctx, 3000);
        runFor(ctx, 300);
        ctx.sim.isolate(l);
        const limit = 2 * Number(ctx.cluster.scenario.config.electionTimeoutMaxMs ?? 300);
        if (!runUntil(ctx, () => stateOf(ctx, l).role !== "leader", limit)) {
          ctx.fail("check-quorum", `${l} was cut off from every other server and still believes it leads ${limit} ms later: with CheckQuorum a leader that has not heard from a majority within an election timeout steps down (thesis §6.2): ${roles(ctx)}`);
        }
        ctx.sim.heal();
        electLeader(ctx, 3000);
      }),
    ],
  }),

  defineScenario({
    name: "thesis §3.10 leadership transfer: TimeoutNow makes the chosen follower the next leader",
    section: "thesis §3.10",
    tags: ["extra", "election", "transfer"],
    nodes: 5,
    config: EXTRAS,
    steps: [
      code("ask the leader to hand over to a random follower, three times", (ctx) => {
        for (let i = 1; i <= 3; i++) {
          const l = electLeader(ctx, 3000);
          runFor(ctx, 200);
          const target = ctx.rng.pick(ctx.cluster.servers.filter((id) => id !== l));
          inject(ctx, l, { type: "AdminRequest", requestId: i, request: { change: "transferLeadership", server: target } });
          if (!runUntil(ctx, () => stateOf(ctx, target).role === "leader", 1000)) {
            ctx.fail("transfer", `${l} was asked to hand leadership to ${target}, which was not leader 1 s later: the leader sends TimeoutNow once ${target} is up to date, and ${target} must then start an election at once (handleTimeoutNow -> becomeCandidate(s, true)) with transfer: true in its RequestVote: ${roles(ctx)}`);
          }
        }
      }),
    ],
  }),
];
