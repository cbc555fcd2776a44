import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventHeap } from "../heap.ts";
import { Fnv64 } from "../trace.ts";
import { parseSeed, Prng, Streams } from "../prng.ts";

describe("event heap", () => {
  it("pops in (time, seq) order whatever the insertion order", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (times) => {
        const heap = new EventHeap<{ timeMs: number; seq: number }>();
        times.forEach((timeMs, seq) => heap.push({ timeMs, seq }));
        const out: { timeMs: number; seq: number }[] = [];
        for (let e = heap.pop(); e !== undefined; e = heap.pop()) out.push(e);
        const expected = times.map((timeMs, seq) => ({ timeMs, seq })).sort((a, b) => a.timeMs - b.timeMs || a.seq - b.seq);
        expect(out).toEqual(expected);
      }),
    );
  });
});

describe("seeded streams", () => {
  it("the same (seed, name) gives the same numbers; streams are independent", () => {
    const a = new Streams(7);
    const b = new Streams(7);
    for (let i = 0; i < 1000; i++) b.network.next(); // draining one stream...
    expect(b.node("n1").next()).toBe(a.node("n1").next()); // ...does not move another
    expect(new Prng(7, "x").nextUint32()).toBe(new Prng(7, "x").nextUint32());
    expect(new Prng(7, "x").nextUint32()).not.toBe(new Prng(8, "x").nextUint32());
  });

  it("is roughly uniform", () => {
    const rng = new Prng(1, "u");
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[Math.floor(rng.next() * 10)]++;
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
  });

  it("parses seeds and rejects bad ones with a clear message", () => {
    expect(parseSeed("42")).toBe(42);
    expect(parseSeed("0xff")).toBe(255);
    expect(() => parseSeed("abc")).toThrow(/not a seed/);
    expect(() => parseSeed("4294967296")).toThrow(/0 to 4294967295/);
    expect(() => parseSeed("-1")).toThrow();
  });
});

describe("FNV-1a 64", () => {
  it("matches the reference values for ASCII input", () => {
    // standard FNV-1a 64 test vectors (empty string and "a"), computed with BigInt here
    const ref = (s: string) => {
      let h = 0xcbf29ce484222325n;
      for (const ch of s) h = ((h ^ BigInt(ch.charCodeAt(0))) * 0x100000001b3n) & 0xffffffffffffffffn;
      return h;
    };
    for (const s of ["", "a", "foobar", "the quick brown fox"]) {
      const f = new Fnv64();
      let h = ref(s);
      h = ((h ^ 0xffffn) * 0x100000001b3n) & 0xffffffffffffffffn; // string() appends a 0xffff separator
      f.string(s);
      expect(f.hex()).toBe(h.toString(16).padStart(16, "0"));
    }
  });
});
