// Lab 1: a minority can neither elect a leader nor commit [§5.2, §5.3].
// (Commits use the reference replication in lab 1.)
import { defineScenario } from "../../api.ts";
import { CORE, code, electLeader, stableLeader, expectApplied, forbidApplied, onSend, propose, runFor, stateOf, violation } from "../_lib/raft.ts";

export default [
  defineScenario({
    name: "§5.2 a minority partition never elects a leader that can commit",
    section: "§5.2",
    tags: ["core", "election"],
    nodes: 5,
    config: CORE,
    steps: [
      code("split 2|3 with the old leader in the minority, then 2|3 with two followers in it", (ctx) => {
        const old = electLeader(ctx, 3000);
        runFor(ctx, 200);
        const buddy = ctx.rng.pick(ctx.cluster.servers.filter((id) => id !== old));
        const minority = [old, buddy];
        const majority = ctx.cluster.servers.filter((id) => !minority.includes(id));
        ctx.sim.partition([minority, majority]);
        // The old leader may still believe it leads, but 2 of 5 cannot commit anything.
        const stranded = propose(ctx, old, 3);
        forbidApplied(ctx, stranded, `it was proposed to ${old}, which leads only ${minority.join(" and ")}, 2 of 5 servers: an entry is committed only once a majority stores it (§5.3)`, "§5.3");
        const now = electLeader(ctx, 3000, majority);
        expectApplied(ctx, propose(ctx, now, 3), majority, 2000);

        // Now a minority without the leader: its servers time out, campaign, and never win.
        ctx.sim.heal();
        runFor(ctx, 500);
        const l = electLeader(ctx, 3000);
        const termAtSplit = stateOf(ctx, l).currentTerm;
        const pair = ctx.rng.shuffled(ctx.cluster.servers.filter((id) => id !== l)).slice(0, 2);
        ctx.sim.partition([pair, ctx.cluster.servers.filter((id) => !pair.includes(id))]);
        let partitioned = true;
        onSend(ctx, (from, _to, msg) => {
          if (partitioned && pair.includes(from) && msg.type === "AppendEntries" && msg.term > termAtSplit) {
            return violation("minority-leader", `${from} sent AppendEntries as leader of term ${msg.term} while it was cut off with only ${pair.join(" and ")} (2 of 5): a leader needs votes from a majority (§5.2)`, "§5.2", from);
          }
          return undefined;
        });
        runFor(ctx, 2000);
        partitioned = false;
        ctx.sim.heal();
        // The pair comes back with higher terms (no PreVote in core): let the cluster settle first.
        const last = stableLeader(ctx, 5000);
        expectApplied(ctx, propose(ctx, last, 3), ctx.cluster.servers, 3000);
      }),
    ],
  }),
];
