// Seeded pseudo-random streams. sfc32 (Chris Doty-Humphrey's Small Fast Counter,
// from PractRand) is tiny, fast in 32-bit JavaScript arithmetic and passes
// standard statistical test batteries. Each stream is seeded through splitmix32
// from (seed, stream name), so the streams are independent: drawing more numbers
// from one (say, the network) never shifts another (say, a node's timeouts).

/** Mixes a 32-bit value into a well-spread 32-bit value (the splitmix32 finalizer). */
export function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A 32-bit hash of a stream name, so "node:n1" and "network" land far apart. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A stream for (seed, name); the same pair always gives the same numbers. */
  constructor(seed: number, name: string) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`seed must be a 32-bit unsigned integer, got ${seed}`);
    }
    const h = nameHash(name);
    this.a = splitmix32(seed ^ h);
    this.b = splitmix32(this.a ^ 0x6a09e667);
    this.c = splitmix32(this.b ^ h);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32(); // warm-up: spread the seed through the state
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1)) throw new RangeError(`int(n) needs n >= 1, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [min, max], both ends included. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.int(items.length)];
  }

  /** A new array with the items in a random order (Fisher-Yates). */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

/** The independent streams of one simulation run. */
export class Streams {
  readonly network: Prng;
  readonly faults: Prng;
  readonly workload: Prng;
  private readonly nodeStreams = new Map<string, Prng>();

  constructor(readonly seed: number) {
    this.network = new Prng(seed, "network");
    this.faults = new Prng(seed, "faults");
    this.workload = new Prng(seed, "workload");
  }

  /** A node's own stream; it survives restarts, so a restarted node does not replay old numbers. */
  node(id: string): Prng {
    let stream = this.nodeStreams.get(id);
    if (stream === undefined) {
      stream = new Prng(this.seed, `node:${id}`);
      this.nodeStreams.set(id, stream);
    }
    return stream;
  }
}

/** Parses a seed from user input: a decimal or 0x-hex 32-bit unsigned integer. */
export function parseSeed(text: string): number {
  const trimmed = text.trim();
  const value = /^0x[0-9a-f]+$/i.test(trimmed) ? Number.parseInt(trimmed, 16) : /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`"${text}" is not a seed: use an integer from 0 to 4294967295`);
  }
  return value;
}
