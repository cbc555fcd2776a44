// Lab 7 — Chaos (reference solution): a nemesis that injects the faults Raft
// claims to survive, and a linearizability checker for the KV history.
//
// The nemesis works in phases: each phase turns on one fault, the next one
// undoes it, and the last phase heals everything, so a run both hurts the
// cluster and gives it the chance to show it recovers. It never takes down a
// majority at once: Raft promises nothing then (§5.6, "available as long as
// any majority of the servers are operational").
//
// The checker decides linearizability (Herlihy & Wing, 1990) key by key —
// a history is linearizable iff each key's sub-history is — with the
// Wing & Gong search and the memoization of Lowe's "Testing for
// linearizability" (2017): a state is the set of operations already placed
// plus the key's value, and a state seen before is not searched again.
import type { ChaosModule, HistoryOp, LinearizabilityVerdict, NemesisControl } from "../labs/given/chaos.ts";

// ------------------------------------------------------------------ nemesis

/** How long one fault phase lasts, at most. */
const PHASE_MS = 600;

export function nemesis(ctl: NemesisControl, durationMs: number): void {
  const servers = ctl.servers;
  const maxDown = Math.floor((servers.length - 1) / 2);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(ctl.random() * xs.length)];
  const down = () => servers.filter((id) => !ctl.isUp(id));
  const faults: (() => void)[] = [
    // Majority/minority split: the minority's leader must step down, the majority elects.
    () => {
      const shuffled = [...servers].sort(() => ctl.random() - 0.5);
      const cut = 1 + Math.floor(ctl.random() * (servers.length - 1));
      ctl.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
    },
    // Asymmetric: one server hears others but is not heard (or the reverse).
    () => {
      const a = pick(servers);
      for (const b of servers) if (b !== a) ctl.cutLink(a, b);
    },
    // Crash, possibly tearing the last record, possibly mid-handler at a sync.
    () => {
      if (down().length >= maxDown) return ctl.restart(pick(down()));
      const victim = pick(servers.filter((id) => ctl.isUp(id)));
      if (ctl.random() < 0.5) ctl.crash(victim, { torn: ctl.random() < 0.5 });
      else ctl.crash(victim, { torn: true, atSync: 1 + Math.floor(ctl.random() * 5) });
    },
    // A long GC pause: the server wakes up believing it still leads.
    () => ctl.pause(pick(servers), 100 + Math.floor(ctl.random() * 600)),
    // Clocks that run fast or slow (bounded: leases assume bounded drift).
    () => ctl.setClockDrift(pick(servers), Math.round((ctl.random() * 2 - 1) * 20_000)),
    // A lossy, duplicating network.
    () => ctl.setLinkFaults({ drop: 0.1 * ctl.random(), dupe: 0.05 * ctl.random() }),
  ];
  const start = ctl.now();
  const end = start + durationMs;
  for (let t = start + PHASE_MS * ctl.random(); t < end - PHASE_MS; t += PHASE_MS) {
    const fault = pick(faults);
    ctl.at(t, fault);
    ctl.at(t + PHASE_MS * (0.5 + 0.4 * ctl.random()), () => undoSome(ctl));
  }
  ctl.at(end, () => healEverything(ctl));
}

function undoSome(ctl: NemesisControl): void {
  ctl.heal();
  ctl.setLinkFaults({ drop: 0, dupe: 0 });
  const down = ctl.servers.filter((id) => !ctl.isUp(id));
  if (down.length > 0) ctl.restart(down[0]);
}

function healEverything(ctl: NemesisControl): void {
  ctl.heal();
  ctl.setLinkFaults({ drop: 0, dupe: 0 });
  for (const id of ctl.servers) {
    ctl.setClockDrift(id, 0);
    if (!ctl.isUp(id)) ctl.restart(id);
  }
}

// ------------------------------------------------------------------ checker

type Value = string | null;

/** The search budget: model steps over the whole history. */
const MAX_STEPS = 5_000_000;

/** The value after op, or undefined if op cannot return what it returned from `value`. */
function step(value: Value, h: HistoryOp): Value | undefined {
  const op = h.op;
  const known = h.status === "ok" ? h.result : undefined;
  switch (op.op) {
    case "get":
      if (known === undefined || known.value === undefined) return value;
      return known.value === value ? value : undefined;
    case "set":
      return op.value;
    case "append":
      return (value ?? "") + op.value;
    case "del":
      return null;
    case "cas": {
      const matches = value === op.expected;
      if (known === undefined || known.applied === undefined) return matches ? op.value : value;
      if (known.applied !== matches) return undefined;
      return matches ? op.value : value;
    }
  }
}

function describe(h: HistoryOp): string {
  const o = h.op;
  const args = o.op === "get" || o.op === "del" ? o.key : o.op === "cas" ? `${o.key} ${String(o.expected)} ${o.value}` : `${o.key} ${o.value}`;
  const res = h.status !== "ok" ? ` (${h.status})` : h.result?.value !== undefined ? ` -> ${String(h.result.value)}` : h.result?.applied !== undefined ? ` -> ${h.result.applied}` : "";
  return `${h.client}: ${o.op.toUpperCase()} ${args}${res} [${h.callMs} .. ${h.returnMs ?? "∞"}]`;
}

/** Decides one key's sub-history. ops: ok and info operations. */
function checkKey(ops: HistoryOp[], budget: { steps: number }): { verdict: "ok" | "illegal" | "unknown"; stuckAt: number } {
  ops.sort((a, b) => a.callMs - b.callMs);
  const n = ops.length;
  const ret = ops.map((o) => (o.status === "ok" && o.returnMs !== null ? o.returnMs : Infinity));
  const mustPlace = ops.filter((o) => o.status === "ok").length;
  const done = new Uint8Array(n);
  const seen = new Set<string>();
  let deepest = 0;
  // Explicit stack of (value, placed count, next candidate to try, chosen op).
  type Frame = { value: Value; okPlaced: number; next: number; chosen: number };
  const stack: Frame[] = [{ value: null, okPlaced: 0, next: 0, chosen: -1 }];
  const keyOf = (f: Frame) => {
    let first = 0;
    while (first < n && done[first] === 1) first++;
    let extra = "";
    for (let i = first; i < n; i++) if (done[i] === 1) extra += `,${i}`;
    return `${first}${extra}|${f.value === null ? "\u0000" : f.value}`;
  };
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    if (f.okPlaced === mustPlace) return { verdict: "ok", stuckAt: -1 };
    if (f.next === 0) {
      const key = keyOf(f);
      if (seen.has(key)) {
        backtrack();
        continue;
      }
      seen.add(key);
    }
    // An op may go next only if it was called before every unplaced ok op returned.
    let minRet = Infinity;
    for (let i = 0; i < n; i++) if (done[i] === 0 && ret[i] < minRet) minRet = ret[i];
    let advanced = false;
    while (f.next < n) {
      const i = f.next++;
      if (done[i] === 1 || ops[i].callMs > minRet) continue;
      if (--budget.steps < 0) return { verdict: "unknown", stuckAt: deepest };
      const value = step(f.value, ops[i]);
      if (value === undefined) continue;
      done[i] = 1;
      const okPlaced = f.okPlaced + (ops[i].status === "ok" ? 1 : 0);
      if (okPlaced > deepest) deepest = okPlaced;
      stack.push({ value, okPlaced, next: 0, chosen: i });
      advanced = true;
      break;
    }
    if (!advanced) backtrack();
  }
  return { verdict: "illegal", stuckAt: deepest };

  function backtrack(): void {
    const f = stack.pop()!;
    if (f.chosen >= 0) done[f.chosen] = 0;
  }
}

export function checkLinearizable(history: readonly HistoryOp[]): LinearizabilityVerdict {
  const byKey = new Map<string, HistoryOp[]>();
  for (const h of history) {
    if (h.status === "fail") continue; // it surely had no effect
    const list = byKey.get(h.op.key) ?? [];
    list.push(h);
    byKey.set(h.op.key, list);
  }
  const budget = { steps: MAX_STEPS };
  for (const key of [...byKey.keys()].sort()) {
    const ops = byKey.get(key)!;
    const r = checkKey(ops, budget);
    if (r.verdict === "unknown") return { verdict: "unknown", explanation: `gave up on key "${key}" after ${MAX_STEPS} search steps` };
    if (r.verdict === "illegal") {
      const okOps = ops.filter((o) => o.status === "ok").sort((a, b) => (a.returnMs ?? 0) - (b.returnMs ?? 0));
      const near = okOps.slice(Math.max(0, r.stuckAt - 3), r.stuckAt + 3).map(describe);
      return {
        verdict: "illegal",
        explanation: `key "${key}": no order of its ${ops.length} operations respects real time and the results; at most ${r.stuckAt} of the ${okOps.length} completed ones fit. Around there:\n  ${near.join("\n  ")}`,
      };
    }
  }
  return { verdict: "ok", explanation: `linearizable: ${history.length} operations on ${byKey.size} keys` };
}

export const chaos: ChaosModule = { nemesis, checkLinearizable };
