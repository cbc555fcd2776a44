// Lab 2: followers that fall behind, majorities, and many proposals at once [§5.3].
import { defineScenario } from "../../api.ts";
import { CORE, code, expectApplied, forbidApplied, onSend, propose, roles, runFor, stableLeader, stateOf, violation } from "../_lib/raft.ts";

export default [
  defineScenario({
    name: "§5.3 agreement with a follower cut off: it misses entries, then catches up when it rejoins",
    section: "§5.3",
    tags: ["core", "replication"],
    nodes: 3,
    config: CORE,
    steps: [
      code("cut a follower off, commit without it, heal, and check it applies everything", (ctx) => {
        const l = stableLeader(ctx, 3000);
        const f = ctx.rng.pick(ctx.cluster.servers.filter((id) => id !== l));
        const rest = ctx.cluster.servers.filter((id) => id !== f);
        expectApplied(ctx, propose(ctx, l, 2), ctx.cluster.servers, 1000);
        ctx.sim.isolate(f);
        const missed = propose(ctx, l, 5);
        expectApplied(ctx, missed, rest, 2000);
        runFor(ctx, 500);
        ctx.sim.heal();
        expectApplied(ctx, missed, ctx.cluster.servers, 3000);
        const l2 = stableLeader(ctx, 3000);
        expectApplied(ctx, propose(ctx, l2, 3), ctx.cluster.servers, 2000);
      }),
    ],
  }),

  defineScenario({
    name: "§5.3 no commit without a majority: a leader that reaches 2 of 5 servers commits nothing",
    section: "§5.3",
    tags: ["core", "replication"],
    nodes: 5,
    config: CORE,
    steps: [
      code("cut 3 followers off, propose to the leader, and watch its commit index stay put", (ctx) => {
        const l = stableLeader(ctx, 3000);
        expectApplied(ctx, propose(ctx, l, 1), ctx.cluster.servers, 1000);
        const [buddy, ...out] = ctx.rng.shuffled(ctx.cluster.servers.filter((id) => id !== l));
        ctx.sim.partition([[l, buddy], ...out.map((id) => [id])]);
        const commitBefore = stateOf(ctx, l).commitIndex;
        let cutOff = true;
        onSend(ctx, (from, _to, msg) => {
          if (cutOff && from === l && msg.type === "AppendEntries" && msg.leaderCommit > commitBefore) {
            return violation("commit-without-majority", `${l} advertised leaderCommit ${msg.leaderCommit} (it was ${commitBefore}) while only ${l} and ${buddy} of 5 servers could store its entries: an entry is committed once a majority stores it (§5.3)`, "§5.3", l);
          }
          return undefined;
        });
        const stranded = propose(ctx, l, 3);
        let appliedWhileCut = false;
        ctx.cluster.observer.watch((ev) => {
          if (cutOff && ev.kind === "apply" && stranded.includes(ctx.cluster.subject.proposalOf(ev.entry) ?? "")) appliedWhileCut = true;
          return undefined;
        });
        runFor(ctx, 1500);
        if (appliedWhileCut) ctx.fail("commit-without-majority", `an entry proposed to ${l} was applied while only ${l} and ${buddy} (2 of 5) could store it: an entry is committed once a majority stores it (§5.3): ${roles(ctx)}`);
        cutOff = false;
        ctx.sim.heal();
        const l2 = stableLeader(ctx, 5000);
        expectApplied(ctx, propose(ctx, l2, 2), ctx.cluster.servers, 3000);
      }),
    ],
  }),

  defineScenario({
    name: "§5.3 concurrent proposals: 30 commands at the same instant are applied once each, in one order, everywhere",
    section: "§5.3",
    tags: ["core", "replication"],
    nodes: 3,
    config: CORE,
    faults: { delayMs: { min: 1, max: 30 } },
    steps: [
      code("hand the leader 30 commands at once, and the followers a few (which they must refuse)", (ctx) => {
        const l = stableLeader(ctx, 3000);
        const accepted = propose(ctx, l, 30);
        for (const f of ctx.cluster.servers.filter((id) => id !== l)) {
          forbidApplied(ctx, propose(ctx, f, 2), `it was sent to ${f}, a follower: only the leader appends client commands (§5.1); propose() on a follower must return not_leader`, "§5.3");
        }
        expectApplied(ctx, accepted, ctx.cluster.servers, 3000);
        runFor(ctx, 500);
      }),
    ],
  }),
];
