// The search at the heart of the checker, for one partition (one key): Wing &
// Gong's backtracking over the order of operations, with Lowe's refinements as
// Porcupine uses them. The history is a doubly linked list of call and return
// entries in time order. Walking it from the front, any call met before the
// first return belongs to an operation that may come next in the linearization:
// we apply it to the model, take its call and return out of the list, and start
// again from the front. Meeting a return whose operation is still in the list
// means the current prefix cannot be extended: undo the last choice and try the
// entry after it. A memo of (set of operations linearized, model state) cuts
// every branch that reaches a configuration already explored.
//
// `info` operations have no return entry: they can be linearized any time after
// their call, and when the walk runs off the end of the list with only such
// calls left, they are taken as never having happened. The history is
// linearizable iff the walk gets there.

import type { Model } from "./model.ts";

/** One partition's operations in the columnar form the search reads. */
export interface SearchOps<I, O> {
  readonly inputs: readonly I[];
  /** undefined: the result is unknown. */
  readonly outputs: readonly (O | undefined)[];
  readonly callMs: Float64Array;
  /** Infinity: open to the end (an `info` operation). */
  readonly returnMs: Float64Array;
  /**
   * 1: the operation may also have had no effect at all. Used when explaining a
   * violation, to relax an operation while keeping it within its own interval.
   */
  readonly optional?: Uint8Array;
}

export interface SearchLimits {
  /** Absolute deadline on performance.now(); Infinity for none. */
  readonly deadline: number;
  /** When the memo grows past this, it is emptied and the search goes on (slower, still exact). */
  readonly maxMemoBytes: number;
  /** Give up (as a timeout) after this many model steps; Infinity for none. */
  readonly maxSteps?: number;
}

export interface SearchStats {
  /** Model steps tried. */
  steps: number;
  /** Configurations in the memo at the end (or at its last reset). */
  memoEntries: number;
  /** How many times the memo hit maxMemoBytes and was emptied. */
  memoResets: number;
}

export type SearchOutcome<S> =
  | { readonly kind: "ok"; readonly order: readonly number[]; readonly stats: SearchStats }
  | {
      readonly kind: "illegal" | "timeout";
      /** The longest linearizable prefix found (indices into the partition), and the state after it. */
      readonly longest: readonly number[];
      readonly stateAfterLongest: S;
      readonly stats: SearchStats;
    };

/** How many steps between looks at the clock; a look costs about as much as 100 steps. */
const DEADLINE_CHECK_STEPS = 4096;

/** Deterministic 32-bit values per operation for Zobrist hashing of the linearized set. */
function zobristKeys(n: number): Uint32Array {
  const keys = new Uint32Array(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    // splitmix32: a fixed sequence, so the memo (and the step counts) are reproducible.
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    keys[i] = (z ^ (z >>> 16)) >>> 0;
  }
  return keys;
}

/**
 * The set of configurations already explored. Open addressing over 32-bit
 * hashes; the configurations live side by side in one Uint32Array arena, so an
 * insert allocates nothing unless a table has to grow.
 *
 * A linearized set is stored as a window, not a full bitset: operations are
 * numbered by return time, and every operation that returned before the first
 * pending return is linearized, so the set is "all below `low`" plus a few bits
 * above it. An entry holds low's word index, the words from there to the
 * highest determinate bit, then the info words. That keeps a memo entry (and
 * its compare) the size of the concurrency, not of the history.
 *
 * Open-ended (info) operations get special treatment: a configuration is also
 * "explored" when one with the same state, the same other operations and a
 * subset of its info operations was. Info operations are never forced, so
 * leaving one pending can only widen the futures: whatever works after taking
 * it works without it (take it later, or never). The hash therefore covers only
 * the other operations and the state.
 */
class Memo<S> {
  private arena: Uint32Array;
  private used = 0;
  private offsets: Int32Array;
  /** Per entry: the hash of everything, and of everything but the info bits. */
  private fullHashes: Uint32Array;
  private baseHashes: Uint32Array;
  private infoCounts: Uint16Array;
  private states: S[] = [];
  /** Exact lookups, by full hash. */
  private slots: Int32Array;
  /**
   * Covering lookups, by base hash: for each (determinate set, state), the entry
   * with the fewest info operations seen so far. Checking that one alone finds
   * most covers at the cost of one probe.
   */
  private repSlots: Int32Array;
  private mask: number;
  count = 0;
  resets = 0;

  constructor(
    /** Words of determinate bits, followed by infoWords words of info bits. */
    private readonly detWords: number,
    private readonly infoWords: number,
    private readonly equal: (a: S, b: S) => boolean,
    private readonly maxBytes: number,
  ) {
    const initial = 1024;
    this.arena = new Uint32Array(initial * (2 + infoWords + 4));
    this.offsets = new Int32Array(initial);
    this.fullHashes = new Uint32Array(initial);
    this.baseHashes = new Uint32Array(initial);
    this.infoCounts = new Uint16Array(initial);
    this.slots = new Int32Array(initial * 2);
    this.repSlots = new Int32Array(initial * 2);
    this.mask = initial * 2 - 1;
  }

  /**
   * Adds the configuration (bits, state) unless it is covered; true iff it was new.
   * lowWord..highWord is the span of determinate words past the all-ones prefix.
   */
  add(bits: Uint32Array, lowWord: number, highWord: number, baseHash: number, infoHash: number, state: S): boolean {
    const span = highWord >= lowWord ? highWord - lowWord + 1 : 0;
    const fullHash = (baseHash ^ infoHash) >>> 0;
    let slot = fullHash & this.mask;
    for (let at = this.slots[slot]; at !== 0; at = this.slots[slot]) {
      const e = at - 1;
      if (this.fullHashes[e] === fullHash && this.covers(e, bits, lowWord, span, state, true)) return false;
      slot = (slot + 1) & this.mask;
    }
    let infoCount = 0;
    if (this.infoWords > 0) {
      for (let w = 0; w < this.infoWords; w++) infoCount += popcount(bits[this.detWords + w]);
    }
    let repSlot = -1;
    let rep = -1;
    if (this.infoWords > 0) {
      repSlot = baseHash & this.mask;
      for (let at = this.repSlots[repSlot]; at !== 0; at = this.repSlots[repSlot]) {
        const e = at - 1;
        if (this.baseHashes[e] === baseHash && this.covers(e, bits, lowWord, span, state, false)) {
          rep = e;
          break;
        }
        repSlot = (repSlot + 1) & this.mask;
      }
      if (rep >= 0 && this.infoSubset(rep, bits, span)) return false;
    }

    const size = 2 + span + this.infoWords;
    if (this.count > 0 && (this.used + size) * 4 + (this.count + 1) * 32 > this.maxBytes) {
      this.clear();
      return this.add(bits, lowWord, highWord, baseHash, infoHash, state);
    }
    if (this.count + 1 > this.slots.length >>> 1) {
      this.grow();
      return this.add(bits, lowWord, highWord, baseHash, infoHash, state);
    }
    if (this.used + size > this.arena.length) {
      const bigger = new Uint32Array(Math.max(this.arena.length * 2, this.used + size));
      bigger.set(this.arena.subarray(0, this.used));
      this.arena = bigger;
    }
    const e = this.count++;
    if (e >= this.offsets.length) this.growEntries();
    const base = this.used;
    this.arena[base] = lowWord;
    this.arena[base + 1] = span;
    for (let w = 0; w < span; w++) this.arena[base + 2 + w] = bits[lowWord + w];
    for (let w = 0; w < this.infoWords; w++) this.arena[base + 2 + span + w] = bits[this.detWords + w];
    this.used += size;
    this.offsets[e] = base;
    this.fullHashes[e] = fullHash;
    this.baseHashes[e] = baseHash;
    this.infoCounts[e] = Math.min(infoCount, 0xffff);
    this.states[e] = state;
    this.slots[slot] = e + 1;
    if (repSlot >= 0 && (rep < 0 || infoCount < this.infoCounts[rep])) this.repSlots[repSlot] = e + 1;
    return true;
  }

  /** Same determinate set and state (and, if exact, the same info set) as entry e. */
  private covers(e: number, bits: Uint32Array, lowWord: number, span: number, state: S, exact: boolean): boolean {
    const arena = this.arena;
    const base = this.offsets[e];
    if (arena[base] !== lowWord || arena[base + 1] !== span) return false;
    for (let w = 0; w < span; w++) if (arena[base + 2 + w] !== bits[lowWord + w]) return false;
    if (exact) {
      for (let w = 0; w < this.infoWords; w++) if (arena[base + 2 + span + w] !== bits[this.detWords + w]) return false;
    }
    return this.equal(this.states[e], state);
  }

  /** Entry e's info operations are a subset of ours. */
  private infoSubset(e: number, bits: Uint32Array, span: number): boolean {
    const base = this.offsets[e] + 2 + span;
    for (let w = 0; w < this.infoWords; w++) if ((this.arena[base + w] & ~bits[this.detWords + w]) !== 0) return false;
    return true;
  }

  private clear(): void {
    this.resets++;
    this.count = 0;
    this.used = 0;
    this.states = [];
    this.slots.fill(0);
    this.repSlots.fill(0);
  }

  private growEntries(): void {
    const capacity = this.offsets.length * 2;
    const widen = <T extends Int32Array | Uint32Array | Uint16Array>(old: T, make: (n: number) => T): T => {
      const bigger = make(capacity);
      bigger.set(old);
      return bigger;
    };
    this.offsets = widen(this.offsets, (k) => new Int32Array(k));
    this.fullHashes = widen(this.fullHashes, (k) => new Uint32Array(k));
    this.baseHashes = widen(this.baseHashes, (k) => new Uint32Array(k));
    this.infoCounts = widen(this.infoCounts, (k) => new Uint16Array(k));
  }

  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const repSlots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let e = 0; e < this.count; e++) {
      let slot = this.fullHashes[e] & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = e + 1;
    }
    // Re-elect the representative of each (determinate set, state) group.
    for (let e = 0; e < this.count; e++) {
      let slot = this.baseHashes[e] & mask;
      for (;;) {
        const at = repSlots[slot];
        if (at === 0) {
          repSlots[slot] = e + 1;
          break;
        }
        const r = at - 1;
        if (this.baseHashes[r] === this.baseHashes[e] && this.sameBase(r, e)) {
          if (this.infoCounts[e] < this.infoCounts[r]) repSlots[slot] = e + 1;
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
    this.slots = slots;
    this.repSlots = repSlots;
    this.mask = mask;
  }

  private sameBase(a: number, b: number): boolean {
    const arena = this.arena;
    const pa = this.offsets[a];
    const pb = this.offsets[b];
    if (arena[pa] !== arena[pb] || arena[pa + 1] !== arena[pb + 1]) return false;
    for (let w = 0; w < arena[pa + 1]; w++) if (arena[pa + 2 + w] !== arena[pb + 2 + w]) return false;
    return this.equal(this.states[a], this.states[b]);
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Decides whether one partition's operations are linearizable under the model. */
export function searchPartition<S, I, O>(model: Model<S, I, O>, all: SearchOps<I, O>, limits: SearchLimits): SearchOutcome<S> {
  // An operation with an unknown result that cannot change the state (a read that
  // timed out) constrains nothing and can always be left out: leave it out.
  const kept: number[] = [];
  for (let op = 0; op < all.inputs.length; op++) {
    const idle = all.outputs[op] === undefined && model.readOnly !== undefined && model.readOnly(all.inputs[op], undefined);
    if (!idle) kept.push(op);
  }
  // Number operations by return time (open-ended ones last, by call time): see Memo.
  kept.sort((a, b) => all.returnMs[a] - all.returnMs[b] || all.callMs[a] - all.callMs[b] || a - b);
  const ops = pick(all, kept);
  const outcome = searchKept(model, ops, limits);
  const back = (order: readonly number[]): number[] => order.map((i) => kept[i]);
  return outcome.kind === "ok" ? { ...outcome, order: back(outcome.order) } : { ...outcome, longest: back(outcome.longest) };
}

function pick<I, O>(ops: SearchOps<I, O>, kept: readonly number[]): SearchOps<I, O> {
  const optional = ops.optional;
  return {
    inputs: kept.map((i) => ops.inputs[i]),
    outputs: kept.map((i) => ops.outputs[i]),
    callMs: Float64Array.from(kept, (i) => ops.callMs[i]),
    returnMs: Float64Array.from(kept, (i) => ops.returnMs[i]),
    ...(optional === undefined ? {} : { optional: Uint8Array.from(kept, (i) => optional[i]) }),
  };
}

function searchKept<S, I, O>(model: Model<S, I, O>, ops: SearchOps<I, O>, limits: SearchLimits): SearchOutcome<S> {
  const n = ops.inputs.length;
  const { callMs, returnMs, inputs, outputs } = ops;
  const optional = ops.optional;

  // Entry codes: 2*op for a call, 2*op+1 for a return. Sorted by time; at equal
  // times calls come first, so operations that touch in time count as concurrent.
  const codes: number[] = [];
  for (let op = 0; op < n; op++) {
    codes.push(2 * op);
    if (returnMs[op] !== Infinity) codes.push(2 * op + 1);
  }
  const timeOf = (code: number): number => ((code & 1) === 0 ? callMs[code >> 1] : returnMs[code >> 1]);
  codes.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || a - b);

  // The list: position 0 is the head; positions 1..E hold the entries in time
  // order; -1 ends it. Positions never move, so comparing positions compares
  // times. Open-ended (info) calls are also threaded on a second list.
  const size = codes.length + 1;
  const next = new Int32Array(size);
  const prev = new Int32Array(size);
  const infoNext = new Int32Array(size).fill(-1);
  const infoPrev = new Int32Array(size);
  let lastInfo = 0;
  const entryOp = new Int32Array(size);
  const kind = new Uint8Array(size); // RETURN, CALL or INFO_CALL
  const returnAt = new Int32Array(size).fill(-1);
  const callPos = new Int32Array(n);
  let lastMain = 0;
  for (let p = 1; p < size; p++) {
    const code = codes[p - 1];
    const op = code >> 1;
    entryOp[p] = op;
    if ((code & 1) === 0 && returnMs[op] === Infinity) {
      // Open-ended calls live only on the info list: the main list holds what a return can force.
      kind[p] = INFO_CALL;
      infoNext[lastInfo] = p;
      infoPrev[p] = lastInfo;
      lastInfo = p;
      continue;
    }
    if ((code & 1) === 1) {
      kind[p] = RETURN;
      returnAt[callPos[op]] = p;
    } else {
      kind[p] = CALL;
      callPos[op] = p;
    }
    prev[p] = lastMain;
    next[lastMain] = p;
    lastMain = p;
  }
  next[lastMain] = -1;

  // Open-ended operations with identical inputs are interchangeable once both are
  // called, so of each such group only the earliest still pending is tried.
  const twinBefore = new Int32Array(n).fill(-1);
  const lastOfInput = new Map<string, number>();
  for (let p = infoNext[0]; p >= 0; p = infoNext[p]) {
    const op = entryOp[p];
    const key = inputKey(inputs[op]);
    if (key === undefined) continue;
    twinBefore[op] = lastOfInput.get(key) ?? -1;
    lastOfInput.set(key, op);
  }

  // Read-only operations are taken greedily: if a configuration fails after one
  // was taken, the configuration before it fails too (the operation could have
  // been moved to the front of any completion), so we backtrack past it at once.
  const readOnly = new Uint8Array(n);
  if (model.readOnly !== undefined) for (let op = 0; op < n; op++) readOnly[op] = model.readOnly(inputs[op], outputs[op]) ? 1 : 0;

  // Operations come numbered by return time, open-ended ones last (see Memo).
  // Bits: determinate operations from 0, info operations from a fresh word.
  let nDet = 0;
  while (nDet < n && returnMs[nDet] !== Infinity) nDet++;
  const detWords = Math.ceil(nDet / 32);
  const infoWords = Math.ceil((n - nDet) / 32);
  const bitOf = new Int32Array(n);
  for (let op = 0; op < n; op++) bitOf[op] = op < nDet ? op : detWords * 32 + (op - nDet);
  const bits = new Uint32Array(detWords + infoWords);
  const zobrist = zobristKeys(n);
  const memo = new Memo<S>(detWords, infoWords, model.equal, limits.maxMemoBytes);
  // low: the first determinate operation not linearized; high: the highest one
  // linearized. Both are kept per depth so undoing a step restores them at once.
  const stackLow = new Int32Array(n + 1);
  const stackHigh = new Int32Array(n + 1).fill(-1);
  let low = 0;
  let high = -1;
  const stackPos = new Int32Array(n);
  const stackState: S[] = new Array<S>(n);
  const stackWay = new Uint8Array(n);
  const stackLimit = new Int32Array(n);
  const stackPhase = new Uint8Array(n);
  let depth = 0;
  // Zobrist hashes of the linearized determinate and info operations.
  let setHash = 0;
  let infoHash = 0;
  let state = model.init();

  // The deepest stack seen, for explaining a failure. Copied incrementally: only
  // the part above `lowWater` (the lowest depth since the last copy) can differ.
  let bestDepth = 0;
  const bestPos = new Int32Array(n);
  const bestWay = new Uint8Array(n);
  let lowWater = 0;
  let bestState = state;
  const bestOrder = (): number[] => {
    const order: number[] = [];
    for (let d = 0; d < bestDepth; d++) if (bestWay[d] === 0) order.push(entryOp[bestPos[d]]);
    return order;
  };

  const stats: SearchStats = { steps: 0, memoEntries: 0, memoResets: 0 };
  const maxSteps = limits.maxSteps ?? Infinity;
  let untilClock = DEADLINE_CHECK_STEPS;
  const finish = (outcome: "illegal" | "timeout"): SearchOutcome<S> => {
    stats.memoEntries = memo.count;
    stats.memoResets = memo.resets;
    return { kind: outcome, longest: bestOrder(), stateAfterLongest: bestState, stats };
  };

  // The scan of one configuration goes in three phases. FORCED: the operation
  // whose return comes first must be linearized before it, so try it first: in
  // a linearizable history it often is next (Lowe's just-in-time idea, used as
  // an ordering). ORDINARY: the other calls before that return, in call order.
  // INFO: open-ended calls before that return, last, because no return forces
  // them and the memo counts a configuration that left them pending as covering
  // one that took them (see Memo), which only pays if the pending one comes first.
  // `limit` is the position of that first return (-1 before it is found).
  let phase = FORCED;
  let limit = -1;
  let entry = -1;
  // Which way to apply the entry's operation: 0 through the model, 1 as a no-op
  // (only for optional operations, tried after the model's way is exhausted).
  let way = 0;
  for (;;) {
    if (limit < 0) {
      // A new configuration: find its first return.
      let r = next[0];
      while (r >= 0 && kind[r] !== RETURN) r = next[r];
      if (r < 0) {
        // Every operation that returned is linearized; info operations left over never happened.
        stats.memoEntries = memo.count;
        stats.memoResets = memo.resets;
        const order: number[] = [];
        for (let d = 0; d < depth; d++) if (stackWay[d] === 0) order.push(entryOp[stackPos[d]]);
        return { kind: "ok", order, stats };
      }
      limit = r;
      phase = FORCED;
      entry = callPos[entryOp[r]];
      way = 0;
    }

    let dead = false;
    if (phase === ORDINARY) {
      if (returnAt[entry] === limit) entry = next[entry];
      if (entry === limit) {
        phase = INFO;
        entry = infoNext[0];
      }
    }
    if (phase === INFO) {
      for (;;) {
        if (entry < 0 || entry > limit) {
          dead = true;
          break;
        }
        const twin = twinBefore[entryOp[entry]];
        if (twin < 0 || (bits[bitOf[twin] >>> 5] & (1 << (bitOf[twin] & 31))) !== 0) break;
        entry = infoNext[entry];
      }
    }

    if (!dead) {
      const op = entryOp[entry];
      const greedy = readOnly[op];
      const ways = greedy === 0 && optional !== undefined && optional[op] === 1 ? 2 : 1;
      let taken = false;
      let seen = false;
      for (; way < ways; way++) {
        stats.steps++;
        if (--untilClock === 0) {
          untilClock = DEADLINE_CHECK_STEPS;
          if (performance.now() > limits.deadline) return finish("timeout");
        }
        if (stats.steps > maxSteps) return finish("timeout");
        const after = way === 0 ? model.step(state, inputs[op], outputs[op]) : state;
        if (after === undefined) continue;
        // An open-ended operation that would change nothing now is better left
        // open: it can still take effect later, or never.
        if (kind[entry] === INFO_CALL && model.equal(after, state)) continue;
        const bit = bitOf[op];
        const word = bit >>> 5;
        const mask = 1 << (bit & 31);
        bits[word] |= mask;
        let nextLow = low;
        if (op === low) while (nextLow < nDet && (bits[nextLow >>> 5] & (1 << (nextLow & 31))) !== 0) nextLow++;
        const nextHigh = op < nDet && op > high ? op : high;
        const isInfo = op >= nDet;
        const candidateSetHash = isInfo ? setHash : (setHash ^ zobrist[op]) >>> 0;
        const candidateInfoHash = isInfo ? (infoHash ^ zobrist[op]) >>> 0 : infoHash;
        const sh = model.hash(after);
        const key = (candidateSetHash ^ Math.imul(sh ^ (sh >>> 15), 0x2c1b3c6d)) >>> 0;
        if (memo.add(bits, nextLow >>> 5, nextHigh >> 5, key, candidateInfoHash, after)) {
          stackLow[depth] = low;
          stackHigh[depth] = high;
          low = nextLow;
          high = nextHigh;
          stackPos[depth] = entry;
          stackState[depth] = state;
          stackWay[depth] = way;
          stackPhase[depth] = phase;
          stackLimit[depth] = limit;
          depth++;
          setHash = candidateSetHash;
          infoHash = candidateInfoHash;
          state = after;
          unlink(entry);
          if (depth > bestDepth) {
            for (let d = lowWater; d < depth; d++) {
              bestPos[d] = stackPos[d];
              bestWay[d] = stackWay[d];
            }
            bestDepth = depth;
            lowWater = depth;
            bestState = state;
          }
          taken = true;
          break;
        }
        bits[word] &= ~mask;
        seen = true;
      }
      way = 0;
      if (taken) {
        limit = -1;
        continue;
      }
      // A legal read-only step into an explored configuration means this one fails too.
      if (!(greedy === 1 && seen)) {
        advance();
        continue;
      }
    }

    // A dead end: undo the last step and try what comes after it.
    for (;;) {
      if (depth === 0) return finish("illegal");
      depth--;
      if (depth < lowWater) lowWater = depth;
      entry = stackPos[depth];
      state = stackState[depth];
      phase = stackPhase[depth];
      limit = stackLimit[depth];
      const op = entryOp[entry];
      bits[bitOf[op] >>> 5] &= ~(1 << (bitOf[op] & 31));
      low = stackLow[depth];
      high = stackHigh[depth];
      if (op >= nDet) infoHash = (infoHash ^ zobrist[op]) >>> 0;
      else setHash = (setHash ^ zobrist[op]) >>> 0;
      relink(entry);
      // Everything after a greedy read-only step failed, so the configuration it
      // was taken from fails too: keep undoing.
      if (readOnly[op] === 1) continue;
      way = stackWay[depth] + 1;
      if (way >= (optional !== undefined && optional[op] === 1 ? 2 : 1)) {
        way = 0;
        advance();
      }
      break;
    }
  }

  /** Moves the scan past `entry`. */
  function advance(): void {
    if (phase === FORCED) {
      phase = ORDINARY;
      entry = next[0];
    } else if (phase === ORDINARY) {
      entry = next[entry];
    } else {
      entry = infoNext[entry];
    }
  }

  /** Takes a call (and its return, if any) out of the lists. */
  function unlink(at: number): void {
    let p: number;
    let q: number;
    if (kind[at] === INFO_CALL) {
      p = infoPrev[at];
      q = infoNext[at];
      infoNext[p] = q;
      if (q >= 0) infoPrev[q] = p;
      return;
    }
    p = prev[at];
    q = next[at];
    next[p] = q;
    if (q >= 0) prev[q] = p;
    const r = returnAt[at];
    if (r >= 0) {
      p = prev[r];
      q = next[r];
      next[p] = q;
      if (q >= 0) prev[q] = p;
    }
  }

  /** Puts back what unlink took out, in reverse order (the lists still hold the links). */
  function relink(at: number): void {
    if (kind[at] === INFO_CALL) {
      infoNext[infoPrev[at]] = at;
      if (infoNext[at] >= 0) infoPrev[infoNext[at]] = at;
      return;
    }
    const r = returnAt[at];
    if (r >= 0) {
      next[prev[r]] = r;
      if (next[r] >= 0) prev[next[r]] = r;
    }
    next[prev[at]] = at;
    if (next[at] >= 0) prev[next[at]] = at;
  }
}

/** A key equal for equal inputs (plain data), or undefined if the input cannot be serialized. */
function inputKey(input: unknown): string | undefined {
  try {
    return JSON.stringify(input);
  } catch {
    return undefined;
  }
}

const FORCED = 0;
const ORDINARY = 1;
const INFO = 2;

const RETURN = 0;
const CALL = 1;
const INFO_CALL = 2;
