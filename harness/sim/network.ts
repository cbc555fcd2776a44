// The simulated network: which links are cut, and the faults of each link
// (loss, duplication, delay). Endpoints are numbered so a link is one integer key.
import type { Json, NodeId } from "../types.ts";
import type { Prng } from "./prng.ts";

/** Delay of one message: uniform in [min, max], or a floor plus an exponential tail (which reorders more). */
export type DelaySpec = { min: number; max: number } | { floorMs: number; meanMs: number; maxMs: number };

export interface LinkFaults {
  /** Probability that a message is lost. */
  drop?: number;
  /** Probability that a message is delivered twice. */
  dupe?: number;
  delayMs?: DelaySpec;
}

interface ResolvedFaults {
  drop: number;
  dupe: number;
  delay: DelaySpec;
}

export const DEFAULT_DELAY_MS: DelaySpec = { min: 1, max: 5 };

function checkFaults(f: LinkFaults): void {
  for (const p of ["drop", "dupe"] as const) {
    const v = f[p];
    if (v !== undefined && !(v >= 0 && v <= 1)) throw new RangeError(`${p} must be a probability in [0, 1], got ${v}`);
  }
  const d = f.delayMs;
  if (d === undefined) return;
  if ("min" in d) {
    if (!(Number.isInteger(d.min) && Number.isInteger(d.max) && d.min >= 0 && d.max >= d.min)) {
      throw new RangeError(`delayMs {min, max} must be integers with 0 <= min <= max, got ${JSON.stringify(d)}`);
    }
  } else if (!(d.floorMs >= 0 && d.meanMs >= 0 && d.maxMs >= d.floorMs)) {
    throw new RangeError(`delayMs {floorMs, meanMs, maxMs} needs 0 <= floorMs <= maxMs and meanMs >= 0, got ${JSON.stringify(d)}`);
  }
}

export function sampleDelayMs(rng: Prng, d: DelaySpec): number {
  if ("min" in d) return d.min === d.max ? d.min : d.min + rng.int(d.max - d.min + 1);
  const tail = -d.meanMs * Math.log(1 - rng.next());
  return Math.min(d.maxMs, d.floorMs + Math.round(tail));
}

export class Network {
  private readonly index = new Map<NodeId, number>();
  private readonly names: NodeId[] = [];
  private defaults: ResolvedFaults = { drop: 0, dupe: 0, delay: DEFAULT_DELAY_MS };
  private readonly overrides = new Map<number, ResolvedFaults>();
  private readonly blocked = new Set<number>();

  addEndpoint(id: NodeId): number {
    const existing = this.index.get(id);
    if (existing !== undefined) return existing;
    const i = this.names.length;
    if (i >= 65536) throw new RangeError("more than 65536 endpoints");
    this.index.set(id, i);
    this.names.push(id);
    return i;
  }

  has(id: NodeId): boolean {
    return this.index.has(id);
  }

  indexOf(id: NodeId): number {
    const i = this.index.get(id);
    if (i === undefined) throw new RangeError(`unknown endpoint "${id}"; known: ${this.names.join(", ")}`);
    return i;
  }

  endpoints(): readonly NodeId[] {
    return this.names;
  }

  private key(from: NodeId, to: NodeId): number {
    return this.indexOf(from) * 65536 + this.indexOf(to);
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.size > 0 && this.blocked.has(this.key(from, to));
  }

  faultsFor(from: NodeId, to: NodeId): ResolvedFaults {
    if (this.overrides.size === 0) return this.defaults;
    return this.overrides.get(this.key(from, to)) ?? this.defaults;
  }

  /** Sets faults for every link, or for the links matching from/to (either may be omitted). */
  setFaults(f: LinkFaults, link: { from?: NodeId; to?: NodeId } = {}): Json {
    checkFaults(f);
    if (link.from === undefined && link.to === undefined) {
      this.defaults = { drop: f.drop ?? 0, dupe: f.dupe ?? 0, delay: f.delayMs ?? DEFAULT_DELAY_MS };
      this.overrides.clear();
    } else {
      const froms = link.from === undefined ? this.names : [link.from];
      const tos = link.to === undefined ? this.names : [link.to];
      for (const a of froms) {
        for (const b of tos) {
          if (a === b) continue;
          const base = this.faultsFor(a, b);
          this.overrides.set(this.key(a, b), { drop: f.drop ?? base.drop, dupe: f.dupe ?? base.dupe, delay: f.delayMs ?? base.delay });
        }
      }
    }
    return { ...f, ...link } as Json;
  }

  /** Cuts every link between endpoints of different groups; endpoints in no group keep all their links. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    const groupOf = new Map<NodeId, number>();
    groups.forEach((g, gi) => {
      for (const id of g) {
        this.indexOf(id);
        if (groupOf.has(id)) throw new RangeError(`"${id}" is in two partition groups`);
        groupOf.set(id, gi);
      }
    });
    for (const [a, ga] of groupOf) {
      for (const [b, gb] of groupOf) if (ga !== gb) this.blocked.add(this.key(a, b));
    }
  }

  cut(from: NodeId, to: NodeId): void {
    this.blocked.add(this.key(from, to));
  }

  heal(): void {
    this.blocked.clear();
  }
}
