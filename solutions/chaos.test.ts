// Lab 7 reference: the checker agrees with the harness checker on real
// histories (linearizable ones and ones broken by a bug switch), and the
// nemesis hurts the reference without breaking it.
import { describe, expect, it } from "vitest";
import { checkHistory } from "../harness/check/check.ts";
import { kvModel } from "../harness/check/model.ts";
import { RaftCluster } from "../harness/raft/cluster.ts";
import { runChaos } from "../harness/raft/chaos.ts";
import { simulatorNemesisControl, toHistoryOps } from "../harness/raft/nemesis.ts";
import type { HistoryOp } from "../labs/given/chaos.ts";
import { bugs, type ReferenceBug } from "./bugs.ts";
import { checkLinearizable, nemesis } from "./chaos.ts";
import { referenceNode } from "./node.ts";

function history(seed: number, bug: ReferenceBug | null) {
  let cluster: RaftCluster | null = null;
  runChaos({
    seed,
    server: (m, c) => referenceNode(m, { ...c, bugs: bug === null ? bugs() : bugs(bug) }),
    monitorNames: [],
    onCluster: (c) => (cluster = c),
  });
  return (cluster as unknown as RaftCluster).history.build();
}

describe("lab 7 checker", () => {
  it("agrees with the harness checker on reference histories and on histories broken by no-dedup", () => {
    let illegal = 0;
    const runs: [number, ReferenceBug | null][] = [1, 2, 3].map((seed) => [seed, null]);
    for (let seed = 1; seed <= 20; seed++) runs.push([seed, "no-dedup"]);
    for (const [seed, bug] of runs) {
      const h = history(seed, bug);
      const harness = checkHistory(kvModel, h).verdict;
      const ours = checkLinearizable(toHistoryOps(h)).verdict;
      expect(ours, `seed ${seed} ${bug ?? ""}`).toBe(harness);
      if (ours === "illegal") illegal++;
    }
    expect(illegal).toBeGreaterThan(0);
  });

  it("a stale read after a completed write is not linearizable; the same read during the write is", () => {
    const w: HistoryOp = { client: "a", op: { op: "set", key: "x", value: "1" }, status: "ok", callMs: 0, returnMs: 10 };
    const staleAfter: HistoryOp = { client: "b", op: { op: "get", key: "x" }, status: "ok", result: { value: null }, callMs: 11, returnMs: 12 };
    const during: HistoryOp = { client: "b", op: { op: "get", key: "x" }, status: "ok", result: { value: null }, callMs: 5, returnMs: 12 };
    expect(checkLinearizable([w, staleAfter]).verdict).toBe("illegal");
    expect(checkLinearizable([w, during]).verdict).toBe("ok");
  });

  it("an unfinished write (info) may take effect later, or never", () => {
    const w: HistoryOp = { client: "a", op: { op: "append", key: "x", value: "a" }, status: "info", callMs: 0, returnMs: null };
    const r1: HistoryOp = { client: "b", op: { op: "get", key: "x" }, status: "ok", result: { value: null }, callMs: 1, returnMs: 2 };
    const r2: HistoryOp = { client: "b", op: { op: "get", key: "x" }, status: "ok", result: { value: "a" }, callMs: 50, returnMs: 51 };
    const r3: HistoryOp = { client: "b", op: { op: "get", key: "x" }, status: "ok", result: { value: null }, callMs: 60, returnMs: 61 };
    expect(checkLinearizable([w, r1, r2]).verdict).toBe("ok");
    expect(checkLinearizable([w, r1, r2, r3]).verdict).toBe("illegal");
  });
});

describe("lab 7 nemesis", () => {
  it("the reference stays safe and linearizable under the reference nemesis (seeds 1..10)", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const servers = ["n1", "n2", "n3", "n4", "n5"];
      const cluster = new RaftCluster({ seed, servers, server: referenceNode(servers), clients: 3 });
      nemesis(simulatorNemesisControl(cluster.sim, servers, seed), 4000);
      cluster.sim.runFor(5000);
      cluster.stopClients();
      cluster.sim.runUntil(() => cluster.clientsIdle(), { maxMs: 20_000 });
      expect(cluster.sim.failure, `seed ${seed}`).toBeNull();
      expect(checkLinearizable(toHistoryOps(cluster.history.build())).verdict, `seed ${seed}`).toBe("ok");
      expect(cluster.history.build().operations.filter((o) => o.status === "ok").length).toBeGreaterThan(20);
    }
  });
});
