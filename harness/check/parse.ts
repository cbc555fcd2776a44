// Parsers for the two public history formats we benchmark on, and a writer for
// the KV one. Neither format has timestamps: the order of lines is real-time
// order, so an event's time is its line number.

import { HistoryBuilder, HistoryError, type History } from "./history.ts";
import type { KvInput, KvOutput, RegisterInput, RegisterOutput } from "./model.ts";

/** Bad input, with where it is: `file:line: what is wrong`. */
export class ParseError extends Error {
  override readonly name = "ParseError";
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

/** Tracks each process's operation in flight, as Jepsen does: one at a time per process. */
class Processes<I, O> {
  readonly builder = new HistoryBuilder<I, O>();
  private readonly inFlight = new Map<string, { id: number; f: string; line: number }>();

  constructor(private readonly file: string) {}

  invoke(process: string, f: string, input: I, line: number): void {
    const open = this.inFlight.get(process);
    if (open !== undefined) {
      throw new ParseError(this.file, line, `process ${process} invokes :${f} while its :${open.f} from line ${open.line} is still open`);
    }
    this.inFlight.set(process, { id: this.builder.invoke(process, input, line), f, line });
  }

  /** Removes and returns the open call of a process, checking that the completion matches it. */
  complete(process: string, f: string, type: string, line: number): number {
    const open = this.inFlight.get(process);
    if (open === undefined) {
      throw new ParseError(this.file, line, `:${type} :${f} for process ${process}, which has no open :invoke`);
    }
    if (open.f !== f) {
      throw new ParseError(this.file, line, `:${type} :${f} for process ${process}, but its open call (line ${open.line}) is :${open.f}`);
    }
    this.inFlight.delete(process);
    return open.id;
  }

  build(): History<I, O> {
    return { ...this.builder.build(), timeUnit: "line" };
  }
}

function lines(text: string): string[] {
  const all = text.split("\n");
  if (all.length > 0 && all[all.length - 1] === "") all.pop();
  return all.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

// ---------------------------------------------------------------------------
// Jepsen etcd logs: `INFO  jepsen.util - <proc> <type> <f> <value>`.

const JEPSEN_LINE = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s+(.*?)\s*$/;
const CAS_VALUE = /^\[(-?\d+)\s+(-?\d+)\]$/;
const INT_VALUE = /^-?\d+$/;

/**
 * Parses a Jepsen etcd log (the format of Porcupine's test_data/jepsen) into a
 * register history. `:fail :cas` is a compare that failed (a definite result);
 * `:fail :read` had no effect; `:info` leaves the call open to the end. Every
 * line must be one of these shapes: anything else is a ParseError with its line.
 */
export function parseJepsenEtcdLog(text: string, file = "<input>"): History<RegisterInput, RegisterOutput> {
  const procs = new Processes<RegisterInput, RegisterOutput>(file);
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const lineNo = i + 1;
    const raw = all[i];
    if (raw.trim() === "") continue;
    const m = JEPSEN_LINE.exec(raw);
    if (m === null) throw new ParseError(file, lineNo, `not a Jepsen etcd event: ${JSON.stringify(raw.slice(0, 120))}`);
    const [, proc, type, f, value] = m;
    const bad = (why: string): ParseError => new ParseError(file, lineNo, `:${type} :${f} ${value}: ${why}`);
    if (type === "invoke") {
      procs.invoke(proc, f, registerInput(f, value, bad), lineNo);
      continue;
    }
    const id = procs.complete(proc, f, type, lineNo);
    if (type === "info") {
      procs.builder.info(id);
    } else if (type === "fail") {
      if (f === "cas") {
        if (!CAS_VALUE.test(value)) throw bad("expected [A B]");
        procs.builder.ok(id, { ok: false }, lineNo);
      } else {
        procs.builder.fail(id, lineNo);
      }
    } else if (f === "read") {
      if (value !== "nil" && !INT_VALUE.test(value)) throw bad("expected nil or an integer");
      procs.builder.ok(id, { value: value === "nil" ? null : Number(value) }, lineNo);
    } else if (f === "write") {
      if (!INT_VALUE.test(value)) throw bad("expected an integer");
      procs.builder.ok(id, { ok: true }, lineNo);
    } else {
      if (!CAS_VALUE.test(value)) throw bad("expected [A B]");
      procs.builder.ok(id, { ok: true }, lineNo);
    }
  }
  return procs.build();
}

function registerInput(f: string, value: string, bad: (why: string) => ParseError): RegisterInput {
  if (f === "read") {
    if (value !== "nil") throw bad("a read is invoked with nil");
    return { f: "read" };
  }
  if (f === "write") {
    if (!INT_VALUE.test(value)) throw bad("expected an integer");
    return { f: "write", value: Number(value) };
  }
  const m = CAS_VALUE.exec(value);
  if (m === null) throw bad("expected [A B]");
  return { f: "cas", from: Number(m[1]), to: Number(m[2]) };
}

// ---------------------------------------------------------------------------
// KV logs: one EDN map per line, as in Porcupine's test_data/kv:
//   {:process 0, :type :invoke, :f :put, :key "x", :value "1"}
// We also accept :fail and :info, :f :delete, :f :cas with :value ["expected" "new"]
// (expected may be nil), and on a write's completion `:previous V` (the value it
// overwrote, nil if missing). `:fail` on a cas is a compare that failed, unless
// the line has an `:error` (then, as on any other operation, it had no effect).

type Edn = null | number | string | { readonly keyword: string } | readonly Edn[];

/** A small reader for the flat EDN maps of a KV log: keywords, strings, integers, nil, vectors. */
class EdnLine {
  private at = 0;
  constructor(
    private readonly text: string,
    private readonly fail: (why: string) => ParseError,
  ) {}

  readMap(): Map<string, Edn> {
    this.skip();
    this.expect("{");
    const map = new Map<string, Edn>();
    for (;;) {
      this.skip();
      if (this.peek() === "}") {
        this.at++;
        break;
      }
      const key = this.readValue();
      if (key === null || typeof key !== "object" || !("keyword" in key)) throw this.fail("map keys must be keywords");
      map.set(key.keyword, this.readValue());
    }
    this.skip();
    if (this.at !== this.text.length) throw this.fail(`unexpected text after the map at column ${this.at + 1}`);
    return map;
  }

  private readValue(): Edn {
    this.skip();
    const c = this.peek();
    if (c === ":") {
      const m = /^:([A-Za-z0-9_\-?!*+./]+)/.exec(this.text.slice(this.at));
      if (m === null) throw this.fail(`bad keyword at column ${this.at + 1}`);
      this.at += m[0].length;
      return { keyword: m[1] };
    }
    if (c === '"') return this.readString();
    if (c === "[") {
      this.at++;
      const items: Edn[] = [];
      for (;;) {
        this.skip();
        if (this.peek() === "]") {
          this.at++;
          return items;
        }
        items.push(this.readValue());
      }
    }
    const m = /^(nil|-?\d+)(?=[\s,\]}]|$)/.exec(this.text.slice(this.at));
    if (m === null) throw this.fail(`unexpected ${c === "" ? "end of line" : JSON.stringify(c)} at column ${this.at + 1}`);
    this.at += m[0].length;
    return m[1] === "nil" ? null : Number(m[1]);
  }

  private readString(): string {
    this.at++;
    let out = "";
    for (;;) {
      const c = this.text[this.at++];
      if (c === undefined) throw this.fail("unterminated string");
      if (c === '"') return out;
      if (c === "\\") {
        const e = this.text[this.at++];
        const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };
        const decoded = e === undefined ? undefined : escapes[e];
        if (decoded === undefined) throw this.fail(`bad escape \\${e ?? ""} in a string`);
        out += decoded;
      } else {
        out += c;
      }
    }
  }

  private skip(): void {
    while (this.at < this.text.length && /[\s,]/.test(this.text[this.at])) this.at++;
  }

  private peek(): string {
    return this.text[this.at] ?? "";
  }

  private expect(c: string): void {
    if (this.peek() !== c) throw this.fail(`expected ${JSON.stringify(c)} at column ${this.at + 1}`);
    this.at++;
  }
}

function keyword(v: Edn | undefined): string | undefined {
  return v !== null && typeof v === "object" && "keyword" in v ? v.keyword : undefined;
}

/** Parses a KV log (Porcupine's test_data/kv format, extended as above) into a KV history. */
export function parseKvLog(text: string, file = "<input>"): History<KvInput, KvOutput> {
  const procs = new Processes<KvInput, KvOutput>(file);
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const lineNo = i + 1;
    const raw = all[i];
    if (raw.trim() === "") continue;
    const fail = (why: string): ParseError => new ParseError(file, lineNo, why);
    const map = new EdnLine(raw, fail).readMap();
    const process = map.get("process");
    if (typeof process !== "number" && typeof process !== "string") throw fail(":process must be a number or a string");
    const type = keyword(map.get("type"));
    const f = keyword(map.get("f"));
    const key = map.get("key");
    const value = map.get("value");
    if (type === undefined || !["invoke", "ok", "fail", "info"].includes(type)) throw fail(":type must be :invoke, :ok, :fail or :info");
    if (f === undefined || !["get", "put", "append", "delete", "cas"].includes(f)) throw fail(":f must be :get, :put, :append, :delete or :cas");
    if (typeof key !== "string") throw fail(":key must be a string");
    const proc = String(process);
    if (type === "invoke") {
      procs.invoke(proc, f, kvInput(f, key, value, fail), lineNo);
      continue;
    }
    const id = procs.complete(proc, f, type, lineNo);
    if (type === "info") {
      procs.builder.info(id);
    } else if (f === "get") {
      if (type === "fail") {
        procs.builder.fail(id, lineNo);
        continue;
      }
      if (value !== null && typeof value !== "string") throw fail("a :get returns nil or a string");
      procs.builder.ok(id, { value }, lineNo);
    } else if (type === "fail" && (f !== "cas" || map.has("error"))) {
      procs.builder.fail(id, lineNo);
    } else {
      const previous = map.get("previous");
      if (previous !== undefined && previous !== null && typeof previous !== "string") throw fail(":previous must be nil or a string");
      const ok = type === "ok";
      procs.builder.ok(id, previous === undefined ? { ok } : { ok, previous }, lineNo);
    }
  }
  return procs.build();
}

function kvInput(f: string, key: string, value: Edn | undefined, fail: (why: string) => ParseError): KvInput {
  switch (f) {
    case "get":
      return { op: "get", key };
    case "delete":
      return { op: "delete", key };
    case "put":
    case "append":
      if (typeof value !== "string") throw fail(`:${f} needs a string :value`);
      return { op: f, key, value };
    default: {
      if (!Array.isArray(value) || value.length !== 2) throw fail(':cas needs :value ["expected" "new"]');
      const [expected, next] = value as readonly Edn[];
      if ((expected !== null && typeof expected !== "string") || typeof next !== "string") {
        throw fail(':cas needs :value ["expected" "new"] with expected a string or nil');
      }
      return { op: "cas", key, expected, value: next };
    }
  }
}

function ednString(s: string | null): string {
  return s === null ? "nil" : JSON.stringify(s);
}

/**
 * Writes a KV history in the format parseKvLog reads. Events are ordered by time,
 * `info` operations get an `:info` line after the last event. Times are lost:
 * only their order survives.
 */
export function formatKvLog(history: History<KvInput, KvOutput>): string {
  // At equal times calls come first (so the operations stay concurrent), except
  // that a client's next call must follow its own return: it goes right after it.
  type Event = { timeMs: number; phase: number; id: number; line: string; clientId: string };
  const events: Event[] = [];
  for (const op of history.operations) {
    const i = op.input;
    const f = i.op;
    const invokeValue = i.op === "put" || i.op === "append" ? ednString(i.value) : i.op === "cas" ? `[${ednString(i.expected)} ${ednString(i.value)}]` : "nil";
    const head = `{:process ${JSON.stringify(op.clientId)}, :type`;
    const tail = (value: string): string => `, :f :${f}, :key ${JSON.stringify(i.key)}, :value ${value}}`;
    const clientId = op.clientId;
    events.push({ timeMs: op.callMs, phase: 0, id: op.id, line: `${head} :invoke${tail(invokeValue)}`, clientId });
    if (op.status === "info") {
      events.push({ timeMs: Infinity, phase: 1, id: op.id, line: `${head} :info${tail(invokeValue)}`, clientId });
      continue;
    }
    let type: string = op.status;
    let value = invokeValue;
    // A cas that had no effect at all must not read as a compare that failed.
    let extra = op.status === "fail" && i.op === "cas" ? ", :error :no-effect" : "";
    if (op.status === "ok" && op.output !== undefined) {
      if ("value" in op.output) {
        value = ednString(op.output.value);
      } else {
        if (i.op === "cas" && !op.output.ok) type = "fail";
        if (op.output.previous !== undefined) extra = `, :previous ${ednString(op.output.previous)}`;
      }
    }
    if (op.status === "ok" && op.output === undefined) {
      throw new HistoryError(`operation ${op.id}: an ok operation with an unknown output cannot be written as a KV log`);
    }
    events.push({ timeMs: op.returnMs ?? Infinity, phase: 1, id: op.id, line: `${head} :${type}${tail(value).slice(0, -1)}${extra}}`, clientId });
  }
  const returnsAt = new Map<string, number[]>();
  for (const e of events) {
    if (e.phase !== 1) continue;
    const at = `${e.timeMs}\u0000${e.clientId}`;
    returnsAt.set(at, [...(returnsAt.get(at) ?? []), e.id]);
  }
  const sortKey = (e: Event): [number, number, number] => {
    if (e.phase === 1) return [1, e.id, 0];
    // The client's latest earlier operation returning at this instant, if any.
    const earlier = (returnsAt.get(`${e.timeMs}\u0000${e.clientId}`) ?? []).filter((id) => id < e.id);
    return earlier.length === 0 ? [0, e.id, 0] : [1, Math.max(...earlier), 1];
  };
  const keys = new Map(events.map((e) => [e, sortKey(e)]));
  events.sort((a, b) => {
    const ka = keys.get(a) as [number, number, number];
    const kb = keys.get(b) as [number, number, number];
    return a.timeMs - b.timeMs || ka[0] - kb[0] || ka[1] - kb[1] || ka[2] - kb[2];
  });
  return events.map((e) => e.line + "\n").join("");
}
