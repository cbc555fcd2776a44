// Lab 3: servers crash and restart from what they synced [Figure 2,
// "Persistent state on all servers"]. After every scripted restart the server's
// restored term, vote and log are checked against what it promised on the wire
// before the crash; the harness's monitors check the rest.
import type { NodeId } from "../../../harness/types.ts";
import { defineScenario } from "../../api.ts";
import type { ScenarioContext } from "../../api.ts";
import {
  AppliedSinceBoot,
  CORE,
  Promises,
  code,
  crashAndRestart,
  expectApplied,
  propose,
  roles,
  runFor,
  stableLeader,
  stateOf,
  waitFor,
} from "../_lib/raft.ts";

/** Crashes the servers together, restarts them after downMs, and checks each one's restored state. */
function crashTogether(ctx: ScenarioContext, promises: Promises, ids: readonly NodeId[], downMs: number): void {
  const pre = new Map(ids.map((id) => [id, { term: stateOf(ctx, id).currentTerm, log: stateOf(ctx, id).log.all().map((e) => e.term) }]));
  ctx.sim.note(`crash ${ids.join(", ")} together`);
  for (const id of ids) ctx.sim.crash(id);
  runFor(ctx, downMs);
  for (const id of ids) {
    ctx.sim.restart(id);
    runFor(ctx, 0);
    promises.checkRestored(ctx, id, pre.get(id)!);
  }
}

export default [
  defineScenario({
    name: "Figure 2 a restarted server keeps its term, its vote and its log (one server at a time, leader or follower)",
    section: "Figure 2",
    tags: ["core", "persistence"],
    nodes: 3,
    config: CORE,
    steps: [
      code("six times: propose, crash a random server, restart it, check what it restored", (ctx) => {
        const promises = new Promises(ctx);
        for (let round = 1; round <= 6; round++) {
          const l = stableLeader(ctx, 5000);
          expectApplied(ctx, propose(ctx, l, 3), ctx.cluster.servers, 2000);
          const victim = ctx.rng.pick(ctx.cluster.servers);
          ctx.sim.note(`round ${round}: crash ${victim}${victim === l ? " (the leader)" : ""}`);
          crashAndRestart(ctx, promises, victim, { downMs: ctx.rng.int(400) });
        }
        const l = stableLeader(ctx, 5000);
        expectApplied(ctx, propose(ctx, l, 1), ctx.cluster.servers, 3000);
      }),
    ],
  }),

  defineScenario({
    name: "Figure 2 a minority (2 of 5) crashes together and restarts with its state intact",
    section: "Figure 2",
    tags: ["core", "persistence"],
    nodes: 5,
    config: CORE,
    steps: [
      code("four times: propose, crash two servers at once, keep proposing, restart them", (ctx) => {
        const promises = new Promises(ctx);
        for (let round = 1; round <= 4; round++) {
          const l = stableLeader(ctx, 5000);
          expectApplied(ctx, propose(ctx, l, 3), ctx.cluster.servers, 2000);
          const pair = ctx.rng.shuffled(ctx.cluster.servers).slice(0, 2);
          const pre = new Map(pair.map((id) => [id, { term: stateOf(ctx, id).currentTerm, log: stateOf(ctx, id).log.all().map((e) => e.term) }]));
          for (const id of pair) ctx.sim.crash(id);
          const rest = ctx.cluster.servers.filter((id) => !pair.includes(id));
          const l2 = stableLeader(ctx, 5000, rest);
          expectApplied(ctx, propose(ctx, l2, 3), rest, 2000);
          for (const id of pair) {
            ctx.sim.restart(id);
            runFor(ctx, 0);
            promises.checkRestored(ctx, id, pre.get(id)!);
          }
        }
        runFor(ctx, 500);
        const l = stableLeader(ctx, 5000);
        expectApplied(ctx, propose(ctx, l, 1), ctx.cluster.servers, 3000);
      }),
    ],
  }),

  defineScenario({
    name: "Figure 2 every server crashes at once, three times: each restarts intact and applies at least what it had applied",
    section: "Figure 2",
    tags: ["core", "persistence"],
    nodes: 5,
    config: CORE,
    steps: [
      code("three times: propose, crash all five, restart them, check state and applied index", (ctx) => {
        const promises = new Promises(ctx);
        const applied = new AppliedSinceBoot(ctx);
        for (let round = 1; round <= 3; round++) {
          const l = stableLeader(ctx, 5000);
          expectApplied(ctx, propose(ctx, l, 5), ctx.cluster.servers, 2000);
          runFor(ctx, ctx.rng.int(100));
          const before = new Map(ctx.cluster.servers.map((id) => [id, applied.of(id)]));
          crashTogether(ctx, promises, ctx.cluster.servers, ctx.rng.int(300));
          // commitIndex and lastApplied are volatile: each server learns again what is committed and re-applies it.
          const behind = () => ctx.cluster.servers.filter((id) => applied.of(id) < before.get(id)!);
          waitFor(ctx, () => behind().length === 0, 5000, "applied-went-back", () => {
            const list = behind()
              .map((id) => `${id} re-applied up to ${applied.of(id)} of ${before.get(id)}`)
              .join(", ");
            return `5 s after a full-cluster restart, ${list}: committed entries were lost, or the new leader never commits (its no-op) and tells the others (${roles(ctx)})`;
          });
        }
        const l = stableLeader(ctx, 5000);
        expectApplied(ctx, propose(ctx, l, 1), ctx.cluster.servers, 3000);
      }),
    ],
  }),
];
