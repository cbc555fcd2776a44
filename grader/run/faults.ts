// The fault schedule of a run, as a list that can be cut down. Every fault a
// scheduled action applies (the swarm nemesis, or any sim.schedule'd step) is
// numbered in the order it happens; a filter keeps only some numbers and turns
// the others into no-ops. Same seed, same kept set: same run. --shrink searches
// for a small kept set that still breaks the same rule; --keep-faults replays it.
import type { Simulation } from "../../harness/sim/index.ts";
import type { Json } from "../../harness/types.ts";

/** Simulation methods that inject faults. */
const FAULT_METHODS = ["partition", "isolate", "cutLink", "heal", "crash", "restart", "pause", "setClock", "setLinkFaults", "wipeDisk"] as const;

export interface FaultAction {
  index: number;
  timeMs: number;
  what: string;
  kept: boolean;
}

export class FaultFilter {
  /** Every fault action of the run, kept or not. */
  readonly actions: FaultAction[] = [];
  constructor(
    /** Indices to apply; null applies all (and only records them). */
    readonly keep: ReadonlySet<number> | null,
  ) {}

  /** Wraps the simulation's fault methods and its scheduler. Call before the first step. */
  install(sim: Simulation<Json>): void {
    const target = sim as unknown as Record<string, (...args: unknown[]) => unknown>;
    let scheduledDepth = 0;
    let faultDepth = 0;
    const schedule = target.schedule.bind(sim);
    target.schedule = (atMs: unknown, fn: unknown) =>
      schedule(atMs, () => {
        scheduledDepth++;
        try {
          (fn as () => void)();
        } finally {
          scheduledDepth--;
        }
      });
    for (const name of FAULT_METHODS) {
      const original = target[name].bind(sim);
      target[name] = (...args: unknown[]) => {
        // Only faults a scheduled action applies count; nested calls (isolate -> partition) count once.
        if (scheduledDepth === 0 || faultDepth > 0) return original(...args);
        const index = this.actions.length;
        const kept = this.keep === null || this.keep.has(index);
        this.actions.push({ index, timeMs: sim.now(), what: `${name}(${args.map((a) => JSON.stringify(a)).join(", ")})`, kept });
        if (!kept) return undefined;
        faultDepth++;
        try {
          return original(...args);
        } finally {
          faultDepth--;
        }
      };
    }
  }
}

/** "t=340 ms crash(\"n2\", {\"torn\":false})" */
export function describeAction(a: FaultAction): string {
  return `t=${a.timeMs} ms ${a.what}`;
}
