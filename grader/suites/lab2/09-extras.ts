// Lab 2 extras: throughput on a slow network. With one AppendEntries in flight
// per follower, each batch costs a round trip; pipelining keeps up to
// config.maxInflightAppends in flight [thesis §10.2.2].
import { defineScenario } from "../../api.ts";
import { CORE, code, expectApplied, propose, stableLeader } from "../_lib/raft.ts";

export default [
  defineScenario({
    name: "thesis §10.2.2 pipelining: 200 small entries cross 40-60 ms links in under 3 s despite 600-byte batches",
    section: "thesis §10.2.2",
    tags: ["extra", "replication", "pipelining"],
    nodes: 3,
    config: { ...CORE, maxBatchBytes: 600, electionTimeoutMinMs: 400, electionTimeoutMaxMs: 800, heartbeatIntervalMs: 100 },
    faults: { delayMs: { min: 40, max: 60 } },
    steps: [
      code("propose 200 entries at once on slow links", (ctx) => {
        const l = stableLeader(ctx, 5000);
        // About 5 entries fit in 600 bytes: 40 batches. One at a time, that is 40 round trips of ~100 ms.
        expectApplied(ctx, propose(ctx, l, 200), ctx.cluster.servers, 3000);
      }),
    ],
  }),
];
