// The trace: every simulator event as a compact structured record, a running
// 64-bit hash over the canonical trace, and either every record (full) or the
// last N (ring) kept for reports. The hash is computed the same way in both
// modes, so "same seed, same hash" holds whatever is kept.
import type { Applied, Json, NodeId } from "../types.ts";

/** Kinds of trace records. Messages are recorded once, at send; later records name them by msgId. */
export type SimEvent =
  | { kind: "send"; index: number; timeMs: number; from: NodeId; to: NodeId; msgId: number; bytes: number; dirty: boolean; readonly msg: Json; text: string }
  | { kind: "deliver"; index: number; timeMs: number; from: NodeId; to: NodeId; msgId: number; readonly msg: Json; text: string }
  | { kind: "drop"; index: number; timeMs: number; from: NodeId; to: NodeId; msgId: number; reason: DropReason }
  | { kind: "dupe"; index: number; timeMs: number; from: NodeId; to: NodeId; msgId: number }
  | { kind: "timer"; index: number; timeMs: number; node: NodeId; name: string; timerId: number }
  | { kind: "crash"; index: number; timeMs: number; node: NodeId; torn: readonly string[] }
  | { kind: "start"; index: number; timeMs: number; node: NodeId }
  | { kind: "restart"; index: number; timeMs: number; node: NodeId }
  | { kind: "wipe"; index: number; timeMs: number; node: NodeId }
  | { kind: "pause"; index: number; timeMs: number; node: NodeId; untilMs: number }
  | { kind: "resume"; index: number; timeMs: number; node: NodeId }
  | { kind: "partition"; index: number; timeMs: number; groups: NodeId[][] }
  | { kind: "cut"; index: number; timeMs: number; from: NodeId; to: NodeId }
  | { kind: "heal"; index: number; timeMs: number }
  | { kind: "faults"; index: number; timeMs: number; spec: Json }
  | { kind: "clock"; index: number; timeMs: number; node: NodeId; driftPpm: number; offsetMs: number }
  | { kind: "log"; index: number; timeMs: number; node: NodeId; event: string; fields: { [key: string]: Json } }
  | { kind: "apply"; index: number; timeMs: number; node: NodeId; entry: Applied }
  | { kind: "sync"; index: number; timeMs: number; node: NodeId }
  | { kind: "note"; index: number; timeMs: number; text: string }
  /** A node's inspect() view after a handler (only with recordStates; never hashed, never sent to monitors). */
  | { kind: "state"; index: number; timeMs: number; node: NodeId; state: Json };

export type DropReason = "loss" | "partition" | "crashed" | "paused-crash" | "unknown-node";
export type SimEventKind = SimEvent["kind"];

/** FNV-1a with a 64-bit state, fed with UTF-16 code units (equal to byte FNV-1a on ASCII). */
export class Fnv64 {
  // four 16-bit limbs, lowest first; starts at the FNV offset basis 0xcbf29ce484222325
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;

  private mixUnit(unit: number): void {
    const h0 = this.h0 ^ unit;
    // multiply by the FNV prime 2^40 + 0x1b3, modulo 2^64
    const t0 = h0 * 0x1b3;
    const t1 = this.h1 * 0x1b3 + (t0 >>> 16);
    const t2 = this.h2 * 0x1b3 + (h0 << 8) + (t1 >>> 16);
    const t3 = this.h3 * 0x1b3 + (this.h1 << 8) + (t2 >>> 16);
    this.h0 = t0 & 0xffff;
    this.h1 = t1 & 0xffff;
    this.h2 = t2 & 0xffff;
    this.h3 = t3 & 0xffff;
  }

  string(s: string): void {
    for (let i = 0; i < s.length; i++) this.mixUnit(s.charCodeAt(i));
    this.mixUnit(0xffff); // separator, so ("ab","c") and ("a","bc") differ
  }

  /** Integers are mixed exactly; other numbers through their shortest decimal form. */
  number(n: number): void {
    if (Number.isSafeInteger(n) && n >= 0 && n < 0x100000000) {
      this.mixUnit(n & 0xffff);
      this.mixUnit(n >>> 16);
      this.mixUnit(0xfffe);
    } else {
      this.string(String(n));
    }
  }

  hex(): string {
    return [this.h3, this.h2, this.h1, this.h0].map((x) => x.toString(16).padStart(4, "0")).join("");
  }
}

export type TraceMode = "full" | "ring";

export class Trace {
  private readonly hasher = new Fnv64();
  private records: SimEvent[] = [];
  private ringStart = 0;
  /** Total records ever added (the ring may keep fewer). */
  count = 0;

  constructor(
    readonly mode: TraceMode = "ring",
    readonly ringSize = 2000,
  ) {
    if (!(ringSize >= 1)) throw new RangeError("ringSize must be >= 1");
  }

  add(ev: SimEvent): void {
    this.hashEvent(ev);
    this.count++;
    if (this.mode === "full" || this.records.length < this.ringSize) {
      this.records.push(ev);
    } else {
      this.records[this.ringStart] = ev;
      this.ringStart = (this.ringStart + 1) % this.ringSize;
    }
  }

  /** Keeps a record without hashing it: views that must not change the hash (node states). */
  addUnhashed(ev: SimEvent): void {
    // It takes the index of the last hashed record, so indices (and failure
    // reports that cite them) are the same with or without state records.
    ev.index = this.count - 1;
    if (this.mode === "full" || this.records.length < this.ringSize) {
      this.records.push(ev);
    } else {
      this.records[this.ringStart] = ev;
      this.ringStart = (this.ringStart + 1) % this.ringSize;
    }
  }

  /** The trace hash so far: 16 hex digits. */
  hash(): string {
    return this.hasher.hex();
  }

  /** The kept records, oldest first. */
  events(): SimEvent[] {
    if (this.ringStart === 0) return this.records.slice();
    return this.records.slice(this.ringStart).concat(this.records.slice(0, this.ringStart));
  }

  /** The last n kept records that concern a node (sent by, delivered to, or about it). */
  lastFor(node: NodeId, n: number): SimEvent[] {
    const out: SimEvent[] = [];
    const all = this.events();
    for (let i = all.length - 1; i >= 0 && out.length < n; i--) {
      if (concerns(all[i], node)) out.push(all[i]);
    }
    return out.reverse();
  }

  /** JSON lines, one record per line, messages inlined at send. */
  toJsonl(): string {
    return this.events().map(recordToJson).join("\n") + (this.records.length > 0 ? "\n" : "");
  }

  private hashEvent(ev: SimEvent): void {
    const h = this.hasher;
    h.string(ev.kind);
    h.number(ev.timeMs);
    switch (ev.kind) {
      case "send":
        h.string(ev.from);
        h.string(ev.to);
        h.number(ev.msgId);
        h.string(ev.text);
        break;
      case "deliver":
      case "drop":
      case "dupe":
        h.string(ev.from);
        h.string(ev.to);
        h.number(ev.msgId);
        break;
      case "timer":
        h.string(ev.node);
        h.string(ev.name);
        break;
      case "crash":
        h.string(ev.node);
        for (const f of ev.torn) h.string(f);
        break;
      case "start":
      case "restart":
      case "wipe":
      case "resume":
      case "sync":
        h.string(ev.node);
        break;
      case "pause":
        h.string(ev.node);
        h.number(ev.untilMs);
        break;
      case "partition":
        h.string(JSON.stringify(ev.groups));
        break;
      case "cut":
        h.string(ev.from);
        h.string(ev.to);
        break;
      case "heal":
        break;
      case "faults":
        h.string(JSON.stringify(ev.spec));
        break;
      case "clock":
        h.string(ev.node);
        h.number(ev.driftPpm);
        h.number(ev.offsetMs);
        break;
      case "log":
        h.string(ev.node);
        h.string(ev.event);
        h.string(JSON.stringify(ev.fields));
        break;
      case "apply":
        h.string(ev.node);
        h.string(JSON.stringify(ev.entry));
        break;
      case "note":
        h.string(ev.text);
        break;
      case "state":
        break;
      default: {
        const never: never = ev;
        throw new Error(`unhashed event ${JSON.stringify(never)}`);
      }
    }
  }
}

function concerns(ev: SimEvent, node: NodeId): boolean {
  if ("node" in ev) return ev.node === node;
  if ("from" in ev) return ev.from === node || ev.to === node;
  return ev.kind === "partition" || ev.kind === "heal";
}

/** One record as a JSON line; msg text is spliced in raw (it is already JSON). */
export function recordToJson(ev: SimEvent): string {
  if (ev.kind === "send") {
    return `{"i":${ev.index},"t":${ev.timeMs},"k":"send","from":${JSON.stringify(ev.from)},"to":${JSON.stringify(ev.to)},"id":${ev.msgId},"bytes":${ev.bytes},"dirty":${ev.dirty},"msg":${ev.text}}`;
  }
  if (ev.kind === "deliver") {
    return `{"i":${ev.index},"t":${ev.timeMs},"k":"deliver","from":${JSON.stringify(ev.from)},"to":${JSON.stringify(ev.to)},"id":${ev.msgId}}`;
  }
  const { kind, index, timeMs, ...rest } = ev;
  return JSON.stringify({ i: index, t: timeMs, k: kind, ...rest });
}

/** A short human line for failure reports: "t=1203 n2 <- n1 AppendEntries{...}". */
export function describeEvent(ev: SimEvent, maxChars = 120): string {
  const cut = (s: string) => (s.length > maxChars ? s.slice(0, maxChars - 1) + "…" : s);
  const t = `t=${ev.timeMs}`.padEnd(8);
  switch (ev.kind) {
    case "send":
      return `${t} ${ev.from} -> ${ev.to} #${ev.msgId} ${cut(ev.text)}${ev.dirty ? "  (sent with unsynced writes)" : ""}`;
    case "deliver":
      return `${t} ${ev.to} <- ${ev.from} #${ev.msgId} ${cut(ev.text)}`;
    case "drop":
      return `${t} ${ev.from} -> ${ev.to} #${ev.msgId} dropped (${ev.reason})`;
    case "dupe":
      return `${t} ${ev.from} -> ${ev.to} #${ev.msgId} duplicated`;
    case "timer":
      return `${t} ${ev.node} timer ${ev.name}`;
    case "crash":
      return `${t} ${ev.node} CRASHED${ev.torn.length > 0 ? ` (torn: ${ev.torn.join(", ")})` : ""}`;
    case "start":
      return `${t} ${ev.node} started`;
    case "restart":
      return `${t} ${ev.node} restarted`;
    case "wipe":
      return `${t} ${ev.node} disk wiped`;
    case "pause":
      return `${t} ${ev.node} paused until t=${ev.untilMs}`;
    case "resume":
      return `${t} ${ev.node} resumed`;
    case "partition":
      return `${t} partition ${ev.groups.map((g) => `{${g.join(",")}}`).join(" | ")}`;
    case "cut":
      return `${t} link ${ev.from} -> ${ev.to} cut`;
    case "heal":
      return `${t} network healed`;
    case "faults":
      return `${t} link faults ${cut(JSON.stringify(ev.spec))}`;
    case "clock":
      return `${t} ${ev.node} clock drift ${ev.driftPpm} ppm, offset ${ev.offsetMs} ms`;
    case "log":
      return `${t} ${ev.node} ${ev.event} ${cut(JSON.stringify(ev.fields))}`;
    case "apply":
      return `${t} ${ev.node} applied ${cut(JSON.stringify(ev.entry))}`;
    case "sync":
      return `${t} ${ev.node} sync`;
    case "note":
      return `${t} note: ${ev.text}`;
    case "state":
      return `${t} ${ev.node} state ${cut(JSON.stringify(ev.state))}`;
  }
}
