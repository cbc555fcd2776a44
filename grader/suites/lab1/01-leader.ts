// Lab 1: a leader is elected, stays while healthy, and is replaced when cut off.
import { defineScenario, steps } from "../../api.ts";
import { CORE, code, electLeader, leader, roles, runFor, stateOf, waitFor } from "../_lib/raft.ts";

/** Every server of the cluster is in the leader's term, and exactly one server leads. */
function agreeOnLeader(label: string) {
  return code(label, (ctx) => {
    const l = electLeader(ctx, 3000);
    runFor(ctx, 1000);
    const leaders = ctx.cluster.servers.filter((id) => stateOf(ctx, id).role === "leader");
    if (leaders.length !== 1 || leader(ctx) !== l) {
      ctx.fail("expected-one-leader", `one second after ${l} was elected, the servers that believe they lead are [${leaders.join(", ")}] (expected just ${l}): ${roles(ctx)}`);
    }
    const term = stateOf(ctx, l).currentTerm;
    const off = ctx.cluster.servers.filter((id) => stateOf(ctx, id).currentTerm !== term);
    if (off.length > 0) {
      ctx.fail("terms-disagree", `${l} leads term ${term}, but ${off.join(", ")} ${off.length === 1 ? "is" : "are"} in another term one second later: ${roles(ctx)}. Heartbeats carry the leader's term and every server adopts a newer term (§5.1)`);
    }
  });
}

export default [
  defineScenario({
    name: "§5.2 initial election: exactly one leader, and every server agrees on its term",
    section: "§5.2",
    tags: ["core", "election"],
    nodes: 3,
    config: CORE,
    steps: [agreeOnLeader("elect a leader, then check roles and terms")],
  }),

  defineScenario({
    name: "§5.2 initial election in a five-server cluster",
    section: "§5.2",
    tags: ["core", "election"],
    nodes: 5,
    config: CORE,
    steps: [agreeOnLeader("elect a leader, then check roles and terms")],
  }),

  defineScenario({
    name: "§5.2 no election while the leader is healthy: terms stay put for 10 s",
    section: "§5.2",
    tags: ["core", "election"],
    nodes: 5,
    config: CORE,
    faults: { delayMs: { min: 1, max: 20 } },
    steps: [
      code("elect a leader", (ctx) => void electLeader(ctx, 3000)),
      ...steps`
        run 500ms
        expect no election for 10s
        expect one leader
      `,
    ],
  }),

  defineScenario({
    name: "§5.2 re-election after the leader is cut off, twice",
    section: "§5.2",
    tags: ["core", "election"],
    nodes: 5,
    config: CORE,
    steps: [
      code("elect a leader, cut it off, elect another among the rest, twice", (ctx) => {
        const cutOff: string[] = [];
        let l = electLeader(ctx, 3000);
        for (let round = 0; round < 2; round++) {
          cutOff.push(l);
          ctx.sim.partition([...cutOff.map((id) => [id]), ctx.cluster.servers.filter((id) => !cutOff.includes(id))]);
          const rest = ctx.cluster.servers.filter((id) => !cutOff.includes(id));
          l = electLeader(ctx, 3000, rest);
          const t = stateOf(ctx, l).currentTerm;
          for (const old of cutOff) {
            if (stateOf(ctx, old).currentTerm >= t) {
              ctx.fail("expected-leader-change", `${l} was elected in term ${t}, but the cut-off ${old} is in term ${stateOf(ctx, old).currentTerm}: ${roles(ctx)}`);
            }
          }
        }
        ctx.sim.heal();
        electLeader(ctx, 3000);
      }),
    ],
  }),

  defineScenario({
    name: "§5.2 an old leader that rejoins steps down and does not disturb the new one",
    section: "§5.2",
    tags: ["core", "election"],
    nodes: 3,
    config: CORE,
    steps: [
      code("cut the leader off, elect a new one, heal, and watch the new leader keep its term", (ctx) => {
        const old = electLeader(ctx, 3000);
        ctx.sim.isolate(old);
        const rest = ctx.cluster.servers.filter((id) => id !== old);
        const now = electLeader(ctx, 3000, rest);
        runFor(ctx, 200);
        const term = stateOf(ctx, now).currentTerm;
        ctx.sim.heal();
        waitFor(ctx, () => stateOf(ctx, old).role === "follower" && stateOf(ctx, old).currentTerm >= term, 1000, "old-leader-stays", () => `${old}, the old leader, still is ${stateOf(ctx, old).role} in term ${stateOf(ctx, old).currentTerm} 1 s after it rejoined a cluster led by ${now} in term ${term}. Any message with a newer term makes a leader step down (§5.1): ${roles(ctx)}`);
        runFor(ctx, 2000);
        const s = stateOf(ctx, now);
        if (s.role !== "leader" || s.currentTerm !== term) {
          ctx.fail("leader-disturbed", `${now} led term ${term} when ${old} rejoined; 2 s later it is ${s.role} in term ${s.currentTerm}. A rejoining old leader has an older term: it should learn the new term and follow, not start an election: ${roles(ctx)}`);
        }
      }),
    ],
  }),
];
