// `npm run bench -- reference [--virtual-s S] [--clients N]`: how fast the
// reference Raft KV runs on the simulator. Committed client operations per
// wall-clock second (3 and 5 servers, without and with faults), and the ratio
// of virtual to wall time measured in the same run.
import { RaftCluster, DEFAULT_WORKLOAD } from "../harness/raft/cluster.ts";
import { runNemesis, type SwarmPlan } from "../harness/sim/index.ts";
import { referenceNode } from "../solutions/node.ts";
import type { BenchResult } from "./main.ts";

export const description = "reference Raft KV on the simulator: committed client ops per wall second, virtual/wall time ratio (3 and 5 servers, with and without faults)";

const FAULTS: SwarmPlan = {
  drop: 0.05,
  dupe: 0.02,
  delayMs: { floorMs: 1, meanMs: 10, maxMs: 200 },
  nemesisEveryMs: 500,
  partitions: true,
  oneWayCuts: false,
  crashes: true,
  tornWrites: true,
  pauses: true,
  clockDriftPpm: 1000,
  wipes: false,
};

function runOne(servers: number, faults: boolean, virtualS: number, clients: number): { ops: number; wallMs: number; virtualMs: number; events: number } {
  const ids = Array.from({ length: servers }, (_, i) => `n${i + 1}`);
  const cluster = new RaftCluster({
    seed: 1,
    servers: ids,
    server: referenceNode(ids, { snapshotEveryEntries: 1000 }),
    clients,
    workload: { ...DEFAULT_WORKLOAD, keys: 10, opsPerClient: Number.MAX_SAFE_INTEGER },
    client: { thinkTimeMs: 0 },
    maxEvents: 100_000_000,
  });
  if (faults) runNemesis(cluster.sim, ids, FAULTS, virtualS * 1000);
  const t0 = performance.now();
  cluster.sim.runFor(virtualS * 1000);
  const wallMs = performance.now() - t0;
  if (cluster.sim.failure !== null) throw new Error(`bench run failed: ${JSON.stringify(cluster.sim.failure)}`);
  const ops = cluster.history.build().operations.filter((o) => o.status === "ok").length;
  return { ops, wallMs, virtualMs: virtualS * 1000, events: cluster.sim.stats.events };
}

export async function run(args: readonly string[]): Promise<BenchResult[]> {
  const opt = (name: string, dflt: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const virtualS = opt("--virtual-s", 20);
  const clients = opt("--clients", 20);
  const results: BenchResult[] = [];
  for (const servers of [3, 5]) {
    for (const faults of [false, true]) {
      runOne(servers, faults, 2, clients); // warm-up (JIT)
      const r = runOne(servers, faults, virtualS, clients);
      const tag = `${servers}n_${faults ? "faults" : "nofaults"}`;
      const opsPerWallS = r.ops / (r.wallMs / 1000);
      const ratio = r.virtualMs / r.wallMs;
      console.log(
        `${tag.padEnd(12)} ${String(r.ops).padStart(7)} ops in ${(r.virtualMs / 1000).toFixed(0)} s virtual, ${(r.wallMs / 1000).toFixed(2)} s wall: ` +
          `${opsPerWallS.toFixed(0)} ops/wall-s, ${(r.ops / (r.virtualMs / 1000)).toFixed(0)} ops/virtual-s, virtual/wall ${ratio.toFixed(1)}x, ${(r.events / (r.wallMs / 1000) / 1000).toFixed(0)}k events/s`,
      );
      results.push({ name: `ops_per_wall_s_${tag}`, value: Math.round(opsPerWallS), unit: "ops/s" });
      results.push({ name: `ops_per_virtual_s_${tag}`, value: Math.round(r.ops / (r.virtualMs / 1000)), unit: "ops/s" });
      results.push({ name: `virtual_wall_ratio_${tag}`, value: Math.round(ratio * 10) / 10, unit: "x" });
    }
  }
  return results;
}
