// Swarm testing: each seed samples which faults are on and how hard, so a batch
// of seeds covers many fault mixes instead of one fixed blend that may hide
// bugs. A nemesis then applies the sampled plan to a running simulation, drawing
// only from the "faults" stream.
import type { NodeId } from "../types.ts";
import type { DelaySpec } from "./network.ts";
import { Prng } from "./prng.ts";
import type { Simulation } from "./simulation.ts";

export interface SwarmPlan {
  drop: number;
  dupe: number;
  delayMs: DelaySpec;
  /** Average virtual ms between nemesis actions. */
  nemesisEveryMs: number;
  partitions: boolean;
  oneWayCuts: boolean;
  crashes: boolean;
  tornWrites: boolean;
  pauses: boolean;
  clockDriftPpm: number;
  wipes: boolean;
}

export interface SwarmOptions {
  /** Which kinds of fault this scenario allows (all default to true except wipes). */
  allow?: Partial<Record<"drop" | "dupe" | "reorder" | "partitions" | "oneWayCuts" | "crashes" | "tornWrites" | "pauses" | "clockDrift" | "wipes", boolean>>;
}

/** Samples a fault plan for a seed. Each knob is on with probability 1/2 and, when on, gets a random strength. */
export function sampleSwarm(seed: number, opts: SwarmOptions = {}): SwarmPlan {
  const rng = new Prng(seed, "swarm");
  const allow = { drop: true, dupe: true, reorder: true, partitions: true, oneWayCuts: true, crashes: true, tornWrites: true, pauses: true, clockDrift: true, wipes: false, ...opts.allow };
  const on = (k: keyof typeof allow) => allow[k] && rng.chance(0.5);
  const drop = on("drop") ? [0.01, 0.05, 0.1, 0.2][rng.int(4)] : 0;
  const dupe = on("dupe") ? [0.01, 0.05, 0.1][rng.int(3)] : 0;
  const delayMs: DelaySpec = on("reorder") ? { floorMs: 1, meanMs: [5, 15, 40][rng.int(3)], maxMs: 200 } : { min: 1, max: 5 };
  const partitions = on("partitions");
  const oneWayCuts = on("oneWayCuts");
  const crashes = on("crashes");
  const tornWrites = crashes && on("tornWrites");
  const pauses = on("pauses");
  const clockDriftPpm = on("clockDrift") ? [100, 1000, 20000][rng.int(3)] : 0;
  const wipes = crashes && on("wipes");
  return { drop, dupe, delayMs, nemesisEveryMs: [200, 500, 1000][rng.int(3)], partitions, oneWayCuts, crashes, tornWrites, pauses, clockDriftPpm, wipes };
}

/** Says whether a plan has any nemesis action at all. */
export function hasNemesis(plan: SwarmPlan): boolean {
  return plan.partitions || plan.oneWayCuts || plan.crashes || plan.pauses;
}

/**
 * Applies a plan to the given servers from now until now + durationMs, then
 * heals the network, restarts crashed nodes and clears link faults, so the
 * cluster can show it recovers. At most a minority of servers is down at once
 * unless allowMajorityDown is set.
 */
export function runNemesis<Msg>(
  sim: Simulation<Msg>,
  servers: readonly NodeId[],
  plan: SwarmPlan,
  durationMs: number,
  opts: { allowMajorityDown?: boolean } = {},
): void {
  const rng = sim.streams.faults;
  const startMs = sim.now();
  const endMs = startMs + durationMs;
  sim.setLinkFaults({ drop: plan.drop, dupe: plan.dupe, delayMs: plan.delayMs });
  if (plan.clockDriftPpm > 0) {
    for (const id of servers) {
      sim.setClock(id, { driftPpm: Math.round((rng.next() * 2 - 1) * plan.clockDriftPpm), offsetMs: rng.int(1000) });
    }
  }
  const maxDown = opts.allowMajorityDown ? servers.length : Math.floor((servers.length - 1) / 2);
  const actions: (() => void)[] = [];
  if (plan.partitions) {
    actions.push(() => {
      const shuffled = rng.shuffled(servers);
      const cut = 1 + rng.int(Math.max(1, servers.length - 1));
      sim.heal();
      sim.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
    });
    actions.push(() => sim.heal());
  }
  if (plan.oneWayCuts) {
    actions.push(() => {
      const a = rng.pick(servers);
      const b = rng.pick(servers.filter((x) => x !== a));
      sim.cutLink(a, b);
    });
  }
  if (plan.crashes) {
    actions.push(() => {
      const down = servers.filter((id) => !sim.isUp(id));
      if (down.length >= maxDown) {
        sim.restart(rng.pick(down));
        return;
      }
      const victim = rng.pick(servers.filter((id) => sim.isUp(id)));
      sim.crash(victim, { torn: plan.tornWrites && rng.chance(0.5) });
      if (plan.wipes && rng.chance(0.1)) sim.wipeDisk(victim);
    });
    actions.push(() => {
      const down = servers.filter((id) => !sim.isUp(id));
      if (down.length > 0) sim.restart(rng.pick(down));
    });
  }
  if (plan.pauses) {
    actions.push(() => sim.pause(rng.pick(servers), 50 + rng.int(500)));
  }
  if (actions.length > 0) {
    let t = startMs;
    for (;;) {
      t += 1 + rng.int(2 * plan.nemesisEveryMs);
      if (t >= endMs) break;
      const action = rng.pick(actions);
      sim.schedule(t, action);
    }
  }
  sim.schedule(endMs, () => healAll(sim, servers));
}

/** Ends all faults: heals links, clears loss and duplication, restarts crashed servers. */
export function healAll<Msg>(sim: Simulation<Msg>, servers: readonly NodeId[]): void {
  sim.heal();
  sim.setLinkFaults({ drop: 0, dupe: 0, delayMs: { min: 1, max: 5 } });
  for (const id of servers) if (!sim.isUp(id)) sim.restart(id);
}
