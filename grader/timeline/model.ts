// Turns a simulator trace (JSON lines, as written by harness/sim/trace.ts) into
// the compact model the timeline page draws: lanes, role bands, down/paused
// spans, network segments, message arrows and marks. The page itself does no
// parsing of its own beyond JSON.parse, so everything tolerant lives here, typed.
//
// Tolerance is the point: traces may come from a ring buffer (sends missing for
// late deliveries), from nodes whose inspect() has any shape, or from a future
// simulator with record kinds this file has never heard of. Unknown kinds are
// kept in the event list (the page shows them raw) and drawn nowhere.
import type { Json } from "../../harness/types.ts";

/** One trace line, parsed. Only `k` is required; everything else is read defensively. */
export type TraceRecord = { [key: string]: Json };

/** The grader's last line when a run failed (agreed with grader core). */
export interface TimelineFailure {
  /** Trace index of the event that exposed the violation. */
  i: number;
  t: number;
  rule: string;
  message: string;
  section: string;
  node: string;
  /** Position in `events` of that event (-1 when the trace no longer holds it). */
  pos: number;
}

/** A role band: a node in one role and term from t0 to t1. Role "" means up, role unknown. */
export interface RoleBand {
  lane: number;
  t0: number;
  t1: number;
  role: string;
  term: number | null;
  /** Position in `events` of the record that started the band. */
  pos: number;
}

/** A span when a node was down (crashed) or paused (stalled; timers and messages wait). */
export interface OutageSpan {
  lane: number;
  t0: number;
  t1: number;
  kind: "down" | "paused";
}

/** A stretch of time with one set of cut links. comp[lane] is the lane's side (-1: fully connected). */
export interface NetSegment {
  t0: number;
  t1: number;
  label: string;
  comp: number[];
  /** Lanes with a one-way cut touching them (hears but is not heard, or the reverse). */
  oneWay: number[];
  /** Position in `events` of the record that started the segment. */
  pos: number;
}

/** Marks drawn on a lane: timers, applies, syncs, log events, lifecycle events. */
export type MarkKind = "timer" | "apply" | "sync" | "log" | "crash" | "start" | "restart" | "wipe" | "clock" | "pause" | "resume" | "dupe";

/**
 * Messages and arrows are columnar (one array per field) so a 50k-event trace
 * stays a few arrays of numbers in the page rather than thousands of objects.
 */
export interface MessageColumns {
  from: number[];
  to: number[];
  /** Send time. */
  t: number[];
  /** Position of the send record in `events` (-1 when the send is not in the trace). */
  pos: number[];
  /** Index into `types`. */
  type: number[];
  id: number[];
}

/** Arrow flags. */
export const ARROW_DROPPED = 1;
export const ARROW_DUPLICATE = 2;
export const ARROW_IN_FLIGHT = 4;
export const ARROW_SEND_UNSEEN = 8;
/** A reply that says no (voteGranted or success false): drawn with a hollow head. */
export const ARROW_REJECTED = 16;

/** One arrow per delivery, drop, or message still in flight when the trace ends. */
export interface ArrowColumns {
  /** Index into the message columns. */
  msg: number[];
  /** Time of the delivery or drop (trace end for in-flight messages). */
  t: number[];
  /** Position of the deliver/drop record (-1 for in flight). */
  pos: number[];
  flags: number[];
}

export interface MarkColumns {
  lane: number[];
  t: number[];
  pos: number[];
  kind: number[];
}

export interface TimelineModel {
  title: string;
  /** Node ids, one lane each: started nodes in start order, then any other endpoint seen. */
  lanes: string[];
  tStart: number;
  tEnd: number;
  types: string[];
  /** Sends per message type, parallel to `types`. */
  typeCounts: number[];
  messages: MessageColumns;
  arrows: ArrowColumns;
  bands: RoleBand[];
  outages: OutageSpan[];
  net: NetSegment[];
  markKinds: MarkKind[];
  marks: MarkColumns;
  /** Per lane, positions in `events` of its state records, in order. */
  states: number[][];
  /** Every record except the failure line, in trace order. */
  events: TraceRecord[];
  failure: TimelineFailure | null;
  counts: { events: number; messages: number; delivered: number; dropped: number; duplicated: number; states: number; unknownKinds: number; badLines: number };
  /** Lines that were not JSON objects: line number and a short excerpt, for the page to show. */
  badLines: { line: number; text: string }[];
}

const MARK_KINDS: MarkKind[] = ["timer", "apply", "sync", "log", "crash", "start", "restart", "wipe", "clock", "pause", "resume", "dupe"];
const MAX_BAD_LINES_KEPT = 20;

/** Parses JSON lines into records; lines that are not JSON objects are reported, not fatal. */
export function parseJsonl(jsonl: string): { records: TraceRecord[]; badLines: { line: number; text: string }[]; badCount: number } {
  const records: TraceRecord[] = [];
  const badLines: { line: number; text: string }[] = [];
  let badCount = 0;
  const lines = jsonl.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value) && typeof (value as TraceRecord).k === "string") {
      records.push(value as TraceRecord);
    } else {
      badCount++;
      if (badLines.length < MAX_BAD_LINES_KEPT) badLines.push({ line: n + 1, text: line.length > 120 ? line.slice(0, 119) + "…" : line });
    }
  }
  return { records, badLines, badCount };
}

function num(v: Json | undefined, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

function str(v: Json | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function obj(v: Json | undefined): { [key: string]: Json } | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? v : undefined;
}

/** Reads a role and term out of a `role` log event's fields or a state view. */
function roleOf(fields: { [key: string]: Json } | undefined): { role: string; term: number | null } | undefined {
  if (fields === undefined) return undefined;
  const role = str(fields.role) ?? str(fields.state);
  if (role === undefined) return undefined;
  const term = fields.term ?? fields.currentTerm;
  return { role, term: typeof term === "number" ? term : null };
}

export function buildTimelineModel(jsonl: string, opts: { title?: string } = {}): TimelineModel {
  const { records, badLines, badCount } = parseJsonl(jsonl);
  let failureRecord: TraceRecord | undefined;
  const events: TraceRecord[] = [];
  for (const r of records) {
    if (r.k === "failure") failureRecord = r;
    else events.push(r);
  }

  // Lanes: started nodes first, in start order, then any other endpoint seen.
  const laneOf = new Map<string, number>();
  const lanes: string[] = [];
  const addLane = (id: string | undefined): number => {
    if (id === undefined) return -1;
    let lane = laneOf.get(id);
    if (lane === undefined) {
      lane = lanes.length;
      lanes.push(id);
      laneOf.set(id, lane);
    }
    return lane;
  };
  for (const r of events) if (r.k === "start") addLane(str(r.node));
  for (const r of events) {
    addLane(str(r.node));
    addLane(str(r.from));
    addLane(str(r.to));
    if (r.k === "partition" && Array.isArray(r.groups)) for (const g of r.groups) if (Array.isArray(g)) for (const id of g) addLane(str(id));
  }

  let tStart = Infinity;
  let tEnd = -Infinity;
  for (const r of events) {
    const t = num(r.t, NaN);
    if (Number.isNaN(t)) continue;
    if (t < tStart) tStart = t;
    if (t > tEnd) tEnd = t;
  }
  if (failureRecord !== undefined) tEnd = Math.max(tEnd, num(failureRecord.t, tEnd));
  if (!Number.isFinite(tStart)) tStart = 0;
  if (!Number.isFinite(tEnd)) tEnd = tStart;

  const types: string[] = [];
  const typeIndex = new Map<string, number>();
  const typeCounts: number[] = [];
  const typeOf = (msg: Json | undefined): number => {
    const o = obj(msg);
    let name = str(o?.type) ?? str(o?.kind) ?? "message";
    // Heartbeats swamp everything else in a Raft trace; a type of their own lets the page hide them.
    if (name === "AppendEntries" && Array.isArray(o?.entries) && o.entries.length === 0) name = "AppendEntries (heartbeat)";
    // PreVote rounds [thesis §9.6] are a different conversation from real elections.
    if ((name === "RequestVote" || name === "RequestVoteReply") && o?.preVote === true) name += " (pre-vote)";
    let i = typeIndex.get(name);
    if (i === undefined) {
      i = types.length;
      types.push(name);
      typeCounts.push(0);
      typeIndex.set(name, i);
    }
    return i;
  };

  const messages: MessageColumns = { from: [], to: [], t: [], pos: [], type: [], id: [] };
  const arrows: ArrowColumns = { msg: [], t: [], pos: [], flags: [] };
  const marks: MarkColumns = { lane: [], t: [], pos: [], kind: [] };
  const msgOf = new Map<number, number>();
  /** Outcomes seen per message (deliveries + drops): the second and later are duplicate copies. */
  const outcomes: number[] = [];
  const duped = new Set<number>();
  const rejected: number[] = [];
  const states: number[][] = lanes.map(() => []);
  // Trace events, as the simulator counts them: state records are views, not events.
  const eventCount = events.filter((r) => r.k !== "state").length;
  const counts = { events: eventCount, messages: 0, delivered: 0, dropped: 0, duplicated: 0, states: 0, unknownKinds: 0, badLines: badCount };

  const bands: RoleBand[] = [];
  const outages: OutageSpan[] = [];
  type Open = { t0: number; role: string; term: number | null; pos: number } | null;
  const openBand: Open[] = lanes.map(() => null);
  const downSince: (number | null)[] = lanes.map(() => null);
  const pausedSince: (number | null)[] = lanes.map(() => null);
  const pausedUntil: number[] = lanes.map(() => 0);

  const closeBand = (lane: number, t: number) => {
    const b = openBand[lane];
    if (b !== null && t >= b.t0) bands.push({ lane, t0: b.t0, t1: t, role: b.role, term: b.term, pos: b.pos });
    openBand[lane] = null;
  };
  const setRole = (lane: number, t: number, pos: number, role: string, term: number | null) => {
    if (downSince[lane] !== null) return; // a dead node has no role; ignore stale views
    const b = openBand[lane];
    if (b !== null && b.role === role && b.term === term) return;
    // Several changes at one instant leave only the last: a zero-width band shows nothing.
    if (b === null || b.t0 < t) closeBand(lane, t);
    openBand[lane] = { t0: t, role, term, pos };
  };
  const closePause = (lane: number, t: number) => {
    const since = pausedSince[lane];
    if (since !== null) outages.push({ lane, t0: since, t1: Math.max(since, t), kind: "paused" });
    pausedSince[lane] = null;
  };
  const mark = (lane: number, t: number, pos: number, kind: MarkKind) => {
    if (lane < 0) return;
    marks.lane.push(lane);
    marks.t.push(t);
    marks.pos.push(pos);
    marks.kind.push(MARK_KINDS.indexOf(kind));
  };

  // Network: the set of cut directed links, as the simulator keeps it (partition adds, heal clears).
  const net: NetSegment[] = [];
  const blocked = new Set<string>();
  let netOpen: { t0: number; pos: number; label: string; comp: number[]; oneWay: number[] } | null = null;
  const closeNet = (t: number) => {
    if (netOpen !== null) net.push({ ...netOpen, t1: Math.max(t, netOpen.t0) });
    netOpen = null;
  };
  const openNet = (t: number, pos: number) => {
    closeNet(t);
    if (blocked.size === 0) return;
    netOpen = { t0: t, pos, ...describeCuts(lanes.length, blocked, lanes) };
  };

  for (let pos = 0; pos < events.length; pos++) {
    const r = events[pos];
    const t = num(r.t, tStart);
    const node = laneOf.get(str(r.node) ?? "") ?? -1;
    switch (r.k) {
      case "send": {
        const from = laneOf.get(str(r.from) ?? "") ?? -1;
        const to = laneOf.get(str(r.to) ?? "") ?? -1;
        const type = typeOf(r.msg);
        typeCounts[type]++;
        const m = messages.from.length;
        messages.from.push(from);
        messages.to.push(to);
        messages.t.push(t);
        messages.pos.push(pos);
        messages.type.push(type);
        messages.id.push(num(r.id, -1));
        msgOf.set(num(r.id, -1), m);
        outcomes.push(0);
        const body = obj(r.msg);
        rejected.push(body !== undefined && (body.voteGranted === false || body.success === false) ? 1 : 0);
        counts.messages++;
        break;
      }
      case "deliver":
      case "drop": {
        const id = num(r.id ?? r.msgId, -1);
        let m = msgOf.get(id);
        let flags = r.k === "drop" ? ARROW_DROPPED : 0;
        if (m === undefined) {
          // The send fell out of a ring-buffer trace: a stub message starting here.
          m = messages.from.length;
          messages.from.push(laneOf.get(str(r.from) ?? "") ?? -1);
          messages.to.push(laneOf.get(str(r.to) ?? "") ?? -1);
          messages.t.push(t);
          messages.pos.push(-1);
          messages.type.push(typeOf(undefined));
          messages.id.push(id);
          msgOf.set(id, m);
          outcomes.push(0);
          rejected.push(0);
          flags |= ARROW_SEND_UNSEEN;
        }
        if (outcomes[m] > 0 && duped.has(m)) flags |= ARROW_DUPLICATE;
        if (rejected[m] === 1) flags |= ARROW_REJECTED;
        outcomes[m]++;
        if (r.k === "deliver") counts.delivered++;
        else counts.dropped++;
        arrows.msg.push(m);
        arrows.t.push(t);
        arrows.pos.push(pos);
        arrows.flags.push(flags);
        break;
      }
      case "dupe": {
        const m = msgOf.get(num(r.msgId ?? r.id, -1));
        if (m !== undefined) duped.add(m);
        counts.duplicated++;
        mark(laneOf.get(str(r.from) ?? "") ?? -1, t, pos, "dupe");
        break;
      }
      case "start":
      case "restart":
        if (node < 0) break;
        if (downSince[node] !== null) outages.push({ lane: node, t0: downSince[node]!, t1: t, kind: "down" });
        downSince[node] = null;
        closeBand(node, t);
        openBand[node] = { t0: t, role: "", term: null, pos };
        mark(node, t, pos, r.k);
        break;
      case "crash":
        if (node < 0) break;
        closeBand(node, t);
        closePause(node, t);
        if (downSince[node] === null) downSince[node] = t;
        mark(node, t, pos, "crash");
        break;
      case "pause":
        if (node < 0) break;
        if (pausedSince[node] === null) pausedSince[node] = t;
        pausedUntil[node] = Math.max(pausedUntil[node], num(r.untilMs, t));
        mark(node, t, pos, "pause");
        break;
      case "resume":
        if (node < 0) break;
        closePause(node, t);
        mark(node, t, pos, "resume");
        break;
      case "log": {
        if (node < 0) break;
        const fields = obj(r.fields);
        const role = r.event === "role" ? roleOf(fields) : undefined;
        if (role !== undefined) setRole(node, t, pos, role.role, role.term);
        else mark(node, t, pos, "log");
        break;
      }
      case "state": {
        if (node < 0) break;
        states[node].push(pos);
        counts.states++;
        const role = roleOf(obj(r.state));
        if (role !== undefined) setRole(node, t, pos, role.role, role.term);
        break;
      }
      case "timer":
      case "apply":
      case "sync":
      case "wipe":
      case "clock":
        mark(node, t, pos, r.k);
        break;
      case "partition":
        if (Array.isArray(r.groups)) {
          const groups = r.groups.map((g) => (Array.isArray(g) ? g.map((x) => String(x)) : []));
          for (let a = 0; a < groups.length; a++) {
            for (let b = 0; b < groups.length; b++) {
              if (a === b) continue;
              for (const x of groups[a]) for (const y of groups[b]) blocked.add(`${laneOf.get(x)}>${laneOf.get(y)}`);
            }
          }
        }
        openNet(t, pos);
        break;
      case "cut":
        blocked.add(`${laneOf.get(str(r.from) ?? "")}>${laneOf.get(str(r.to) ?? "")}`);
        openNet(t, pos);
        break;
      case "heal":
        blocked.clear();
        openNet(t, pos);
        break;
      case "faults":
      case "note":
        break;
      default:
        counts.unknownKinds++;
    }
  }

  // Messages never delivered nor dropped by the end of the trace: still in flight.
  for (let m = 0; m < messages.from.length; m++) {
    if (outcomes[m] === 0) {
      arrows.msg.push(m);
      arrows.t.push(tEnd);
      arrows.pos.push(-1);
      arrows.flags.push(ARROW_IN_FLIGHT);
    }
  }
  for (let lane = 0; lane < lanes.length; lane++) {
    closeBand(lane, tEnd);
    closePause(lane, Math.min(tEnd, pausedUntil[lane] || tEnd));
    if (downSince[lane] !== null) outages.push({ lane, t0: downSince[lane]!, t1: tEnd, kind: "down" });
  }
  closeNet(tEnd);
  bands.sort((a, b) => a.lane - b.lane || a.t0 - b.t0);

  let failure: TimelineFailure | null = null;
  if (failureRecord !== undefined) {
    const i = num(failureRecord.i, -1);
    let pos = -1;
    for (let p = events.length - 1; p >= 0; p--) {
      if (events[p].i === i && events[p].k !== "state") {
        pos = p;
        break;
      }
    }
    failure = {
      i,
      t: num(failureRecord.t, pos >= 0 ? num(events[pos].t, tEnd) : tEnd),
      rule: str(failureRecord.rule) ?? "failure",
      message: str(failureRecord.message) ?? "",
      section: str(failureRecord.section) ?? "",
      node: str(failureRecord.node) ?? "",
      pos,
    };
  }

  return {
    title: opts.title ?? "Raft Workbook trace",
    lanes,
    tStart,
    tEnd,
    types,
    typeCounts,
    messages,
    arrows,
    bands,
    outages,
    net,
    markKinds: MARK_KINDS,
    marks,
    states,
    events,
    failure,
    counts,
    badLines,
  };
}

/**
 * Groups lanes into sides that can talk both ways (connected components over
 * uncut two-way links) and names the cuts: "{n1} | {n2,n3}" plus one-way cuts.
 */
function describeCuts(laneCount: number, blocked: ReadonlySet<string>, lanes: readonly string[]): { label: string; comp: number[]; oneWay: number[] } {
  const cut = (a: number, b: number) => blocked.has(`${a}>${b}`);
  const comp = new Array<number>(laneCount).fill(-1);
  let next = 0;
  for (let s = 0; s < laneCount; s++) {
    if (comp[s] !== -1) continue;
    comp[s] = next;
    const stack = [s];
    while (stack.length > 0) {
      const a = stack.pop()!;
      for (let b = 0; b < laneCount; b++) {
        // Sides are what a two-way cut separates; a one-way cut is drawn apart.
        if (comp[b] === -1 && !(cut(a, b) && cut(b, a))) {
          comp[b] = next;
          stack.push(b);
        }
      }
    }
    next++;
  }
  const oneWay: number[] = [];
  const oneWayText: string[] = [];
  for (let a = 0; a < laneCount; a++) {
    for (let b = 0; b < laneCount; b++) {
      if (a !== b && cut(a, b) && !cut(b, a)) {
        oneWayText.push(`${lanes[a]}↛${lanes[b]}`);
        if (!oneWay.includes(a)) oneWay.push(a);
        if (!oneWay.includes(b)) oneWay.push(b);
      }
    }
  }
  const parts: string[] = [];
  if (next > 1) {
    const sides: string[][] = Array.from({ length: next }, () => []);
    for (let l = 0; l < laneCount; l++) sides[comp[l]].push(lanes[l]);
    parts.push(sides.map((s) => `{${s.join(",")}}`).join(" | "));
  } else {
    comp.fill(-1);
  }
  if (oneWayText.length > 0) parts.push(oneWayText.join(" "));
  if (next <= 1) {
    // Two-way cuts that leave everyone connected through someone (a bridge node): name the pairs.
    const pairs: string[] = [];
    for (let a = 0; a < laneCount; a++) for (let b = a + 1; b < laneCount; b++) if (cut(a, b) && cut(b, a)) pairs.push(`${lanes[a]}✕${lanes[b]}`);
    if (pairs.length > 0) parts.unshift(pairs.join(" "));
  }
  return { label: parts.join("  "), comp, oneWay };
}
