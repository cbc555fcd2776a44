// Linearizable-by-construction histories for tests and benchmarks: clients
// issue operations with random latencies, each operation takes effect at one
// random instant inside its interval, and a sequential run of the service in
// the order of those instants gives every output. Some operations crash (the
// client never learns the outcome; the effect happens or not) and some fail
// (no effect). Seeded, so a seed names a history.
//
// These stand in for histories from the simulator's Raft KV until it exists;
// any History<KvInput, KvOutput> from real runs can be swapped in.

import { HistoryBuilder, type History } from "./history.ts";
import type { KvInput, KvOutput, RegisterInput, RegisterOutput, RegisterState } from "./model.ts";

/** A small seeded generator (splitmix32): fast, fine for workloads, same numbers on every platform. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0;
  }
  /** A 32-bit unsigned integer. */
  nextU32(): number {
    this.s = (this.s + 0x9e3779b9) | 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The service run one operation at a time: the truth the generated history is cut from. */
export interface SequentialSpec<S, I, O> {
  init(): S;
  apply(state: S, input: I): { readonly state: S; readonly output: O };
}

/** The whole store, one map of key to value; apply updates it in place (a generator never looks back). */
export type KvStore = Map<string, string>;

/**
 * The KV store. With `reportPrevious`, writes answer with the value they overwrote,
 * as the course's Raft KV does; without, they answer only `{ ok }` (blind writes).
 */
export function kvSpec(reportPrevious = false): SequentialSpec<KvStore, KvInput, KvOutput> {
  return {
    init: () => new Map(),
    apply(store, input) {
      const current = store.get(input.key) ?? null;
      const set = (value: string | null): void => {
        if (value === null) store.delete(input.key);
        else store.set(input.key, value);
      };
      const done = (ok: boolean): KvOutput => (reportPrevious ? { ok, previous: current } : { ok });
      switch (input.op) {
        case "get":
          return { state: store, output: { value: current } };
        case "put":
          set(input.value);
          return { state: store, output: done(true) };
        case "append":
          set((current ?? "") + input.value);
          return { state: store, output: done(true) };
        case "delete":
          set(null);
          return { state: store, output: done(true) };
        case "cas":
          if (current !== input.expected) return { state: store, output: done(false) };
          set(input.value);
          return { state: store, output: done(true) };
      }
    },
  };
}

export const registerSpec: SequentialSpec<RegisterState, RegisterInput, RegisterOutput> = {
  init: () => null,
  apply(state, input) {
    switch (input.f) {
      case "read":
        return { state, output: { value: state } };
      case "write":
        return { state: input.value, output: { ok: true } };
      case "cas":
        return state === input.from ? { state: input.to, output: { ok: true } } : { state, output: { ok: false } };
    }
  },
};

export interface WorkloadOptions {
  readonly seed: number;
  readonly clients: number;
  readonly operations: number;
  /** Each half of an operation (invoke to effect, effect to return) takes up to this long. Default 20. */
  readonly maxLatencyMs?: number;
  /** Pause between a client's operations, up to. Default 5. */
  readonly maxThinkMs?: number;
  /** Chance an operation crashes (`info`); its effect then happens with probability 1/2. Default 0.02. */
  readonly infoProbability?: number;
  /** Chance an operation fails with no effect. Default 0.01. */
  readonly failProbability?: number;
}

interface Planned<I> {
  readonly seq: number;
  readonly clientId: string;
  readonly input: I;
  readonly callMs: number;
  readonly effectMs: number | null;
  readonly returnMs: number;
  readonly status: "ok" | "info" | "fail";
}

/** Runs a workload against a spec and records what the clients saw. */
export function generateHistory<S, I, O>(
  spec: SequentialSpec<S, I, O>,
  nextInput: (rng: Prng) => I,
  options: WorkloadOptions,
): History<I, O> {
  const rng = new Prng(options.seed);
  const maxLatencyMs = options.maxLatencyMs ?? 20;
  const maxThinkMs = options.maxThinkMs ?? 5;
  const pInfo = options.infoProbability ?? 0.02;
  const pFail = options.failProbability ?? 0.01;
  const clockMs = Array.from({ length: options.clients }, () => rng.int(maxThinkMs + 1));
  const generation = new Array<number>(options.clients).fill(0);
  const planned: Planned<I>[] = [];

  for (let seq = 0; seq < options.operations; seq++) {
    // The client that is free first goes next (lowest index on ties): a fair, seeded interleaving.
    let c = 0;
    for (let i = 1; i < options.clients; i++) if (clockMs[i] < clockMs[c]) c = i;
    const clientId = generation[c] === 0 ? `c${c}` : `c${c}.${generation[c]}`;
    const callMs = clockMs[c];
    const effectMs = callMs + rng.int(maxLatencyMs + 1);
    const returnMs = effectMs + rng.int(maxLatencyMs + 1);
    const input = nextInput(rng);
    const roll = rng.next();
    if (roll < pInfo) {
      // Like a Jepsen process, a client that lost track of a call carries on under a new name.
      const lateMs = callMs + rng.int(3 * maxLatencyMs + 1);
      planned.push({ seq, clientId, input, callMs, effectMs: rng.chance(0.5) ? lateMs : null, returnMs, status: "info" });
      generation[c]++;
    } else if (roll < pInfo + pFail) {
      planned.push({ seq, clientId, input, callMs, effectMs: null, returnMs, status: "fail" });
    } else {
      planned.push({ seq, clientId, input, callMs, effectMs, returnMs, status: "ok" });
    }
    clockMs[c] = returnMs + rng.int(maxThinkMs + 1);
  }

  const outputs = new Map<number, O>();
  let state = spec.init();
  const effects = planned.filter((p) => p.effectMs !== null);
  effects.sort((a, b) => (a.effectMs as number) - (b.effectMs as number) || a.seq - b.seq);
  for (const p of effects) {
    const r = spec.apply(state, p.input);
    state = r.state;
    outputs.set(p.seq, r.output);
  }

  // Replay the clients' view in time order: calls before returns at the same instant.
  type Event = { timeMs: number; phase: 0 | 1; p: Planned<I> };
  const events: Event[] = [];
  for (const p of planned) {
    events.push({ timeMs: p.callMs, phase: 0, p });
    if (p.status !== "info") events.push({ timeMs: p.returnMs, phase: 1, p });
  }
  events.sort((a, b) => a.timeMs - b.timeMs || a.phase - b.phase || a.p.seq - b.p.seq);
  const builder = new HistoryBuilder<I, O>();
  const ids = new Map<number, number>();
  for (const e of events) {
    if (e.phase === 0) {
      ids.set(e.p.seq, builder.invoke(e.p.clientId, e.p.input, e.timeMs));
      continue;
    }
    const id = ids.get(e.p.seq) as number;
    if (e.p.status === "fail") builder.fail(id, e.timeMs);
    else builder.ok(id, outputs.get(e.p.seq) as O, e.timeMs);
  }
  return builder.build();
}

export interface KvWorkloadOptions extends WorkloadOptions {
  /** Number of distinct keys, named k0, k1, ... Default 8. */
  readonly keys?: number;
  /** Allow append (values grow; reads get longer). Default false. */
  readonly appends?: boolean;
  /** Writes report the value they overwrote (see KvOutput). Default false: blind writes, the harder case. */
  readonly reportPrevious?: boolean;
  /** How many distinct values writes use. Default 5, like Jepsen's register tests. */
  readonly values?: number;
}

/** A KV workload: about half reads, the rest put / delete / cas (and append if asked). */
export function generateKvHistory(options: KvWorkloadOptions): History<KvInput, KvOutput> {
  const keys = options.keys ?? 8;
  const values = options.values ?? 5;
  let nextValue = 0;
  return generateHistory(
    kvSpec(options.reportPrevious ?? false),
    (rng): KvInput => {
      const key = `k${rng.int(keys)}`;
      const roll = rng.next();
      // Small value space for cas, so compares succeed often enough to matter.
      const value = `v${nextValue++ % values}`;
      if (roll < 0.5) return { op: "get", key };
      if (roll < 0.75) return { op: "put", key, value };
      if (roll < 0.82) return { op: "delete", key };
      if (options.appends === true && roll < 0.9) return { op: "append", key, value };
      return { op: "cas", key, expected: rng.chance(0.2) ? null : `v${rng.int(Math.min(values, 5))}`, value };
    },
    options,
  );
}

/** A register workload like Jepsen's etcd test: read, write and cas over values 0..4. */
export function generateRegisterHistory(options: WorkloadOptions): History<RegisterInput, RegisterOutput> {
  return generateHistory(
    registerSpec,
    (rng): RegisterInput => {
      const roll = rng.next();
      if (roll < 0.4) return { f: "read" };
      if (roll < 0.7) return { f: "write", value: rng.int(5) };
      return { f: "cas", from: rng.int(5), to: rng.int(5) };
    },
    options,
  );
}
