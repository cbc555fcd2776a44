// A TS scenario: data plus a code step, with a swarm-sampled nemesis.
import { defineScenario, steps } from "../../api.ts";

export default [
  defineScenario({
    name: "selftest: the cluster recovers after a swarm nemesis",
    tags: ["core", "selftest"],
    nodes: 5,
    swarm: ["drop", "dupe", "reorder", "partitions", "crashes", "pauses"],
    steps: [
      ...steps`
        run until leader within 2s
        nemesis 3s
        expect one leader within 3s
      `,
      {
        do: "code",
        label: "every server is up again after the nemesis",
        fn: (ctx) => {
          for (const id of ctx.cluster.servers) if (!ctx.sim.isUp(id)) ctx.fail("recovery", `${id} is still down after the nemesis healed everything`);
        },
      },
    ],
  }),
];
