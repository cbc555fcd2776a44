// Lab 2: bringing a follower that is far behind, or diverged, up to date
// quickly: the conflict hints of §5.3 (end of the section) let the leader skip
// back over many entries per round trip instead of one.
import type { NodeId } from "../../../harness/types.ts";
import { defineScenario } from "../../api.ts";
import type { ScenarioContext } from "../../api.ts";
import { CORE, MessageCounter, code, expectApplied, propose, roles, runFor, runUntil, stableLeader } from "../_lib/raft.ts";

/** AppendEntries traffic to and from one server. */
function appendTraffic(ctx: ScenarioContext, f: NodeId): MessageCounter {
  return new MessageCounter(ctx, (from, to, msg) => (from === f || to === f) && (msg.type === "AppendEntries" || msg.type === "AppendEntriesReply"));
}

/** Waits until f applied every value, then checks the AppendEntries traffic it took. */
function checkCatchUp(ctx: ScenarioContext, f: NodeId, values: readonly string[], traffic: MessageCounter, budget: number, withinMs: number): void {
  const has = () => values.every((v) => ctx.cluster.observer.applied.get(f)?.has(v) ?? false);
  const t0 = ctx.sim.now();
  if (!runUntil(ctx, has, withinMs)) {
    const n = values.filter((v) => ctx.cluster.observer.applied.get(f)?.has(v) ?? false).length;
    ctx.fail("slow-catch-up", `${f} rejoined ${values.length} entries behind and had applied only ${n} of them ${withinMs} ms later, after ${traffic.total} AppendEntries messages to and from it (${traffic.describe()}): ${roles(ctx)}`);
  }
  if (traffic.total > budget) {
    ctx.fail(
      "message-budget",
      `${f} caught up on ${values.length} entries in ${ctx.sim.now() - t0} ms, but it took ${traffic.total} AppendEntries messages to and from it (${traffic.describe()}), over the budget of ${budget}. When the consistency check fails, use the follower's hints (conflictIndex, conflictTerm) to move nextIndex back a whole term at a time, and send as many entries as fit in one message (config.maxBatchBytes)`,
    );
  }
}

// The reference needs at most 8 and 10 messages over thousands of seeds;
// moving nextIndex back by one entry per failed reply needs over 100.
const BEHIND_BUDGET = 30;
const DIVERGED_BUDGET = 30;

export default [
  defineScenario({
    name: `§5.3 fast catch-up: a follower 60 entries behind is brought up to date with at most ${BEHIND_BUDGET} AppendEntries messages`,
    section: "§5.3",
    tags: ["core", "replication", "budget"],
    nodes: 5,
    config: CORE,
    steps: [
      code("cut a follower off, commit 60 entries, change leader, heal, and count the traffic it takes to catch up", (ctx) => {
        const l = stableLeader(ctx, 3000);
        runFor(ctx, 200);
        const f = ctx.rng.pick(ctx.cluster.servers.filter((id) => id !== l));
        ctx.sim.isolate(f);
        const others = ctx.cluster.servers.filter((id) => id !== f);
        const values = propose(ctx, l, 60);
        expectApplied(ctx, values, others, 3000);
        // A new leader knows nothing of f: it starts from nextIndex = its last index + 1.
        const rest = others.filter((id) => id !== l);
        ctx.sim.partition([[f], [l], rest]);
        stableLeader(ctx, 3000, rest);
        const traffic = appendTraffic(ctx, f);
        ctx.sim.heal();
        checkCatchUp(ctx, f, values, traffic, BEHIND_BUDGET, 3000);
      }),
    ],
  }),

  defineScenario({
    name: `§5.3 RPC efficiency: a follower with 50 conflicting entries of an old term is repaired with at most ${DIVERGED_BUDGET} AppendEntries messages`,
    section: "§5.3",
    tags: ["extra", "replication", "budget"],
    nodes: 5,
    config: CORE,
    steps: [
      code("strand the leader with 50 uncommitted entries, commit 60 others without it, heal, and count", (ctx) => {
        const old = stableLeader(ctx, 3000);
        runFor(ctx, 200);
        const rest = ctx.cluster.servers.filter((id) => id !== old);
        ctx.sim.partition([[old], rest]);
        propose(ctx, old, 50);
        const l = stableLeader(ctx, 3000, rest);
        const values = propose(ctx, l, 60);
        expectApplied(ctx, values, rest, 3000);
        const traffic = appendTraffic(ctx, old);
        ctx.sim.heal();
        checkCatchUp(ctx, old, values, traffic, DIVERGED_BUDGET, 3000);
      }),
    ],
  }),
];
