// `npm run bench -- sim`: how fast the simulator runs, measured in one process:
// the bare event loop, an idle 5-node heartbeat cluster, and the same cluster
// under every fault the simulator has. Prints events and deliveries per wall
// second and the virtual/wall time ratio, and the ratios between the runs.
import { heartbeatFactory, type HeartbeatMsg } from "../harness/examples/heartbeat.ts";
import { runNemesis, Simulation, type SwarmPlan } from "../harness/sim/index.ts";
import type { Env, Node } from "../harness/types.ts";
import type { BenchResult } from "./main.ts";

export const description = "simulator throughput: bare loop, idle heartbeat cluster, full fault injection";

/** A node that does nothing but re-arm a 1 ms timer: measures the loop itself. */
class TickNode implements Node<never> {
  constructor(private readonly env: Env<never>) {
    env.setTimer(1, "tick");
  }
  onMessage(): void {}
  onTimer(): void {
    this.env.setTimer(1, "tick");
  }
}

interface Measured {
  wallMs: number;
  virtualMs: number;
  events: number;
  delivered: number;
  sent: number;
}

function measure<M>(sim: Simulation<M>, virtualMs: number): Measured {
  const t0 = performance.now();
  const ok = sim.runFor(virtualMs);
  const wallMs = performance.now() - t0;
  if (!ok) throw new Error(`bench run failed: ${sim.failure?.message}`);
  return { wallMs, virtualMs, events: sim.stats.events, delivered: sim.stats.delivered, sent: sim.stats.messagesSent };
}

const FULL_FAULTS: SwarmPlan = {
  drop: 0.05,
  dupe: 0.05,
  delayMs: { floorMs: 1, meanMs: 15, maxMs: 200 },
  nemesisEveryMs: 200,
  partitions: true,
  oneWayCuts: true,
  crashes: true,
  tornWrites: true,
  pauses: true,
  clockDriftPpm: 1000,
  wipes: false,
};

const ids = ["n1", "n2", "n3", "n4", "n5"];

function heartbeatSim(seed: number, traceMode: "ring" | "full"): Simulation<HeartbeatMsg> {
  return new Simulation<HeartbeatMsg>({ seed, nodes: ids, factory: heartbeatFactory({ peers: ids, heartbeatMs: 50, persistEvery: 10 }), traceMode });
}

export async function run(args: readonly string[]): Promise<BenchResult[]> {
  const scale = args.includes("--quick") ? 0.1 : 1;
  const results: BenchResult[] = [];
  const report = (name: string, m: Measured) => {
    const perSec = (n: number) => Math.round((n / m.wallMs) * 1000);
    const ratio = Math.round(m.virtualMs / m.wallMs);
    console.log(
      `${name.padEnd(28)} ${String(perSec(m.events)).padStart(10)} events/s ${String(perSec(m.delivered)).padStart(9)} deliveries/s  virtual/wall ${String(ratio).padStart(6)}x  (${m.events} events in ${m.wallMs.toFixed(0)} ms)`,
    );
    results.push({ name: `${name} events/s`, value: perSec(m.events), unit: "events/s" });
    results.push({ name: `${name} deliveries/s`, value: perSec(m.delivered), unit: "deliveries/s" });
    results.push({ name: `${name} virtual/wall`, value: ratio, unit: "x" });
    return perSec(m.events);
  };

  // Warm up the JIT so the first measured run is not penalised.
  heartbeatSim(1, "ring").runFor(20_000);

  const bare = new Simulation<never>({ seed: 1, nodes: ids, factory: (env) => new TickNode(env) });
  const bareRate = report("bare loop (5 x 1ms timers)", measure(bare, 400_000 * scale));

  const idleRate = report("idle 5 nodes, ring trace", measure(heartbeatSim(2, "ring"), 2_000_000 * scale));
  const fullRate = report("idle 5 nodes, full trace", measure(heartbeatSim(3, "full"), 500_000 * scale));

  const faulty = heartbeatSim(4, "ring");
  runNemesis(faulty, ids, FULL_FAULTS, 2_000_000 * scale);
  const faultRate = report("full fault injection", measure(faulty, 2_000_000 * scale));

  console.log(`ratios: idle/bare ${(idleRate / bareRate).toFixed(2)}, full-trace/ring ${(fullRate / idleRate).toFixed(2)}, faults/idle ${(faultRate / idleRate).toFixed(2)}`);
  results.push({ name: "ratio idle/bare", value: idleRate / bareRate, unit: "ratio" });
  results.push({ name: "ratio faults/idle", value: faultRate / idleRate, unit: "ratio" });
  return results;
}
