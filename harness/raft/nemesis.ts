// Adapters for the chaos lab: a NemesisControl over the simulator, and the
// recorded client history in the lab's HistoryOp form.
import type { History } from "../check/history.ts";
import type { KvInput, KvOutput } from "../check/model.ts";
import { Prng, type Simulation } from "../sim/index.ts";
import type { NodeId } from "../types.ts";
import type { HistoryOp, NemesisControl } from "./lab7.ts";
import type { KvOp } from "./messages.ts";

export function simulatorNemesisControl<Msg>(sim: Simulation<Msg>, servers: readonly NodeId[], seed: number): NemesisControl {
  const rng = new Prng(seed, "student-nemesis");
  return {
    servers,
    now: () => sim.now(),
    random: () => rng.next(),
    at: (atMs, action) => sim.schedule(Math.max(atMs, sim.now()), action),
    partition: (groups) => sim.partition(groups),
    cutLink: (from, to) => sim.cutLink(from, to),
    heal: () => sim.heal(),
    crash: (id, opts = {}) => {
      if (opts.atSync !== undefined) sim.crashAtSync(id, { torn: opts.torn === true, nth: opts.atSync });
      else sim.crash(id, { torn: opts.torn === true });
    },
    restart: (id) => {
      if (!sim.isUp(id)) sim.restart(id);
    },
    isUp: (id) => sim.isUp(id),
    pause: (id, ms) => sim.pause(id, ms),
    setClockDrift: (id, driftPpm) => sim.setClock(id, { driftPpm, offsetMs: sim.localTimeOf(id) - sim.now() }),
    setLinkFaults: (f) => sim.setLinkFaults({ drop: f.drop, dupe: f.dupe }),
  };
}

function toKvOp(input: KvInput): KvOp {
  switch (input.op) {
    case "get":
      return { op: "get", key: input.key };
    case "put":
      return { op: "set", key: input.key, value: input.value };
    case "append":
      return { op: "append", key: input.key, value: input.value };
    case "delete":
      return { op: "del", key: input.key };
    case "cas":
      return { op: "cas", key: input.key, expected: input.expected, value: input.value };
  }
}

/** The harness history (harness/check) as the lab's HistoryOp list, in call order. */
export function toHistoryOps(h: History<KvInput, KvOutput>): HistoryOp[] {
  return h.operations.map((o) => {
    const out = o.output;
    const result = out === undefined ? undefined : "value" in out ? { value: out.value } : { applied: out.ok };
    return { client: o.clientId, op: toKvOp(o.input), status: o.status, ...(result !== undefined && o.status === "ok" ? { result } : {}), callMs: o.callMs, returnMs: o.returnMs };
  });
}
