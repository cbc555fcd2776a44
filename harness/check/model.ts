// A model is the sequential specification an operation history is judged
// against. Add one to check a new kind of service (a queue, a lock, a counter):
// implement this interface and pass it to checkHistory.

/**
 * The sequential specification of a service.
 *
 * S is the state. It must never be `undefined` (step uses undefined to say "illegal"),
 * and the checker never mutates it: step returns a new state or the same one.
 */
export interface Model<S, I, O> {
  /** Short name for reports, e.g. "kv". */
  readonly name: string;
  /** The state before any operation. */
  init(): S;
  /**
   * Applies one operation. Returns the state after it, or undefined if `output` is
   * not a result this operation could have returned in `state`.
   *
   * `output` is undefined when the result is unknown (an `info` operation, or an
   * operation relaxed while explaining a violation): then return the state the
   * operation leaves behind whatever it returned. Keep this fast and allocation-free:
   * the search calls it millions of times.
   */
  step(state: S, input: I, output: O | undefined): S | undefined;
  /** Whether two states are the same, for the search's memo. */
  equal(a: S, b: S): boolean;
  /** A 32-bit hash of a state, consistent with equal. */
  hash(state: S): number;
  /**
   * Which independent part of the service an operation touches (P-compositionality:
   * a history is linearizable iff each part is). Omit to check the history as one piece.
   * The model's state then describes one part, e.g. one key's value.
   */
  partition?(input: I): string;
  /**
   * Optional speed-up: true if this operation, with this output, leaves every state in
   * which it is legal unchanged (a read; a compare-and-set that reported failure). The
   * search then takes such an operation as soon as it is legal and never tries it later,
   * which is safe because moving it earlier cannot break anything. Answer false when unsure.
   */
  readOnly?(input: I, output: O | undefined): boolean;
  /** One operation for humans, e.g. `put("x", "1") -> ok`; output undefined means unknown. */
  describeOperation(input: I, output: O | undefined): string;
  describeState(state: S): string;
}

/** FNV-1a over UTF-16 code units: cheap and good enough for a memo keyed with exact compare. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mixes a number into 32 bits; integers (the common case) avoid any float work. */
export function hashNumber(n: number): number {
  if (Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff) {
    let h = Math.imul(n ^ (n >>> 16), 0x45d9f3b);
    h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
    return (h ^ (h >>> 16)) >>> 0;
  }
  return hashString(String(n));
}

const NULL_HASH = 0x6b43a9b5;

// ---------------------------------------------------------------------------
// Single register (Jepsen etcd): read / write / compare-and-set on one key.

export type RegisterValue = number | string;

export type RegisterInput =
  | { readonly f: "read" }
  | { readonly f: "write"; readonly value: RegisterValue }
  | { readonly f: "cas"; readonly from: RegisterValue; readonly to: RegisterValue };

/**
 * read -> `{ value }` (null: the register was never written);
 * write -> `{ ok: true }` (not checked); cas -> `{ ok }`: whether the compare succeeded.
 */
export type RegisterOutput = { readonly value: RegisterValue | null } | { readonly ok: boolean };

/** The register's value; null until the first write. */
export type RegisterState = RegisterValue | null;

function showValue(v: string | number | null): string {
  return v === null ? "nil" : typeof v === "string" ? JSON.stringify(v) : String(v);
}

/**
 * One register, initially empty (nil), as in Jepsen's etcd test and Porcupine's etcdModel:
 * read() -> v is legal iff the register holds v; write(v) always; cas(a, b) -> ok iff it
 * holds a (then it holds b); cas -> fail iff it does not. An unknown outcome is always
 * legal: a write or successful-if-matching cas takes effect, a read changes nothing.
 */
export const registerModel: Model<RegisterState, RegisterInput, RegisterOutput> = {
  name: "register",
  init: () => null,
  step(state, input, output) {
    switch (input.f) {
      case "read":
        if (output === undefined) return state;
        return "value" in output && output.value === state ? state : undefined;
      case "write":
        return input.value;
      case "cas": {
        const matches = state === input.from;
        if (output === undefined) return matches ? input.to : state;
        if (!("ok" in output)) return undefined;
        if (output.ok) return matches ? input.to : undefined;
        return matches ? undefined : state;
      }
      default: {
        const unreachable: never = input;
        throw new Error(`register: unknown input ${JSON.stringify(unreachable)}`);
      }
    }
  },
  equal: (a, b) => a === b,
  hash: (s) => (s === null ? NULL_HASH : typeof s === "number" ? hashNumber(s) : hashString(s)),
  readOnly: (input, output) => input.f === "read" || (input.f === "cas" && output !== undefined && "ok" in output && !output.ok),
  describeOperation(input, output) {
    const result =
      output === undefined ? "?" : "value" in output ? showValue(output.value) : output.ok ? "ok" : "fail";
    switch (input.f) {
      case "read":
        return `read() -> ${result}`;
      case "write":
        return `write(${showValue(input.value)})${output === undefined ? " -> ?" : ""}`;
      case "cas":
        return `cas(${showValue(input.from)}, ${showValue(input.to)}) -> ${result}`;
    }
  },
  describeState: (s) => showValue(s),
};

// ---------------------------------------------------------------------------
// Key/value store: each key is an independent register with get/put/append/delete/cas.

/**
 * One request to the KV store. Keys and values are strings.
 * - `get`: read the key's value.
 * - `put`: set it (what the Raft KV calls SET).
 * - `append`: add `value` to the end of the current value (a missing key counts as "").
 * - `delete`: remove the key (DEL); it then reads as null.
 * - `cas`: set the key to `value` iff it currently holds `expected`;
 *   `expected: null` means "iff the key is missing" (create-if-absent).
 */
export type KvInput =
  | { readonly op: "get"; readonly key: string }
  | { readonly op: "put"; readonly key: string; readonly value: string }
  | { readonly op: "append"; readonly key: string; readonly value: string }
  | { readonly op: "delete"; readonly key: string }
  | { readonly op: "cas"; readonly key: string; readonly expected: string | null; readonly value: string };

/**
 * The observed result.
 * - `get` -> `{ value }`, null when the key is missing.
 * - `cas` -> `{ ok }`: true iff the compare succeeded and the value was set.
 * - `put`, `append`, `delete` -> `{ ok: true }`; they always succeed once applied.
 * - Any of the four may add `previous`: the value the key held just before the
 *   operation (null: missing), as a KV that answers SET/DEL with the old value does.
 *   When present it is checked, and it makes the search much faster, because a write
 *   that reports what it overwrote pins down where it can go.
 * An operation the store rejected before applying it is recorded with
 * HistoryBuilder.fail, not as an output.
 */
export type KvOutput = { readonly value: string | null } | { readonly ok: boolean; readonly previous?: string | null };

/** One key's value; null while the key is missing. */
export type KvState = string | null;

/**
 * The KV store, checked key by key (a history is linearizable iff every key's
 * sub-history is). Keys are checked in a fixed order, so the verdict and the
 * explanation never depend on the order keys first appear.
 */
export const kvModel: Model<KvState, KvInput, KvOutput> = {
  name: "kv",
  init: () => null,
  step(state, input, output) {
    if (input.op === "get") {
      if (output === undefined) return state;
      return "value" in output && output.value === state ? state : undefined;
    }
    if (output !== undefined) {
      // A write's output must be { ok } and, when it says so, agree on what it overwrote.
      if (!("ok" in output)) return undefined;
      if (output.previous !== undefined && output.previous !== state) return undefined;
    }
    switch (input.op) {
      case "put":
        return input.value;
      case "append":
        return state === null ? input.value : state + input.value;
      case "delete":
        return null;
      case "cas": {
        const matches = state === input.expected;
        if (output === undefined) return matches ? input.value : state;
        if ((output as { ok: boolean }).ok) return matches ? input.value : undefined;
        return matches ? undefined : state;
      }
      default: {
        const unreachable: never = input;
        throw new Error(`kv: unknown input ${JSON.stringify(unreachable)}`);
      }
    }
  },
  equal: (a, b) => a === b,
  hash: (s) => (s === null ? NULL_HASH : hashString(s)),
  partition: (input) => input.key,
  readOnly: (input, output) => {
    if (input.op === "get") return true;
    if (output === undefined || !("ok" in output)) return false;
    if (input.op === "cas") return !output.ok || input.expected === input.value;
    // A write that reports it overwrote the very value it wrote (or a delete of a missing key).
    if (input.op === "put") return output.previous === input.value;
    if (input.op === "delete") return output.previous === null;
    return false;
  },
  describeOperation(input, output) {
    let result = output === undefined ? "?" : "value" in output ? showValue(output.value) : output.ok ? "ok" : "fail";
    if (output !== undefined && "ok" in output && output.previous !== undefined) {
      result = input.op === "cas" ? `${result} (was ${showValue(output.previous)})` : `was ${showValue(output.previous)}`;
    }
    const shown = output !== undefined && "ok" in output && output.previous !== undefined;
    const k = JSON.stringify(input.key);
    switch (input.op) {
      case "get":
        return `get(${k}) -> ${result}`;
      case "put":
        return `put(${k}, ${showValue(input.value)})${output === undefined || shown ? ` -> ${result}` : ""}`;
      case "append":
        return `append(${k}, ${showValue(input.value)})${output === undefined || shown ? ` -> ${result}` : ""}`;
      case "delete":
        return `delete(${k})${output === undefined || shown ? ` -> ${result}` : ""}`;
      case "cas":
        return `cas(${k}, ${showValue(input.expected)}, ${showValue(input.value)}) -> ${result}`;
    }
  },
  describeState: (s) => showValue(s),
};
