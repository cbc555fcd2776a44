// Lease reads [thesis §6.4.1] are linearizable only while clocks drift less
// than the bound the lease assumes (RaftConfig.maxClockDriftPpm). These runs
// isolate the leader from the other servers (clients still reach it) with its
// clock running slow and theirs fast, so an old leader's lease and a new
// leader's writes overlap in real time exactly when the bound is wrong.
import { describe, expect, it } from "vitest";
import { RaftCluster } from "../harness/raft/cluster.ts";
import type { ReadMode } from "../harness/raft/messages.ts";
import type { RaftNode } from "../labs/given/node.ts";
import { bugs, type ReferenceBug } from "./bugs.ts";
import { referenceNode } from "./node.ts";

interface LeaseRun {
  driftPpm: number;
  maxClockDriftPpm: number;
  readMode: ReadMode;
  bug?: ReferenceBug;
}

/** Returns the failure rule of the run, or null if it passed (history linearizable). */
function leaseRun(seed: number, o: LeaseRun): string | null {
  const servers = ["n1", "n2", "n3"];
  const cluster = new RaftCluster({
    seed,
    servers,
    server: referenceNode(servers, { maxClockDriftPpm: o.maxClockDriftPpm, bugs: o.bug === undefined ? bugs() : bugs(o.bug) }),
    clients: 4,
    workload: { keys: 1, opsPerClient: 250, mix: { get: 70, set: 30, append: 0, cas: 0, del: 0 } },
    client: { readMode: o.readMode, thinkTimeMs: 2, requestTimeoutMs: 60 },
  });
  // Readers that only read stay with the server that last answered them: the old leader, if it keeps answering.
  for (const id of ["r1", "r2"]) {
    cluster.addClient(id, { nextOp: (_random, _client, seq) => (seq <= 400 ? { op: "get", key: "k0" } : null) });
  }
  const sim = cluster.sim;
  const leader = () => servers.find((id) => (sim.node(id) as RaftNode | undefined)?.state.role === "leader");
  for (let t = 600; t < 6000; t += 900) {
    sim.schedule(t, () => {
      const l = leader();
      if (l === undefined) return;
      // Rates change, readings stay continuous: a lease needs a monotonic clock, drift it can bound.
      for (const id of servers) sim.setClock(id, { driftPpm: id === l ? -o.driftPpm : o.driftPpm, offsetMs: sim.localTimeOf(id) - sim.now() });
      sim.partition([[l], servers.filter((x) => x !== l)]);
    });
    sim.schedule(t + 700, () => sim.heal());
  }
  const failed = (): string | null => sim.failure?.rule ?? null;
  sim.runFor(7000);
  if (failed() !== null) return failed();
  cluster.stopClients();
  sim.runUntil(() => cluster.clientsIdle(), { maxMs: 10_000 });
  if (failed() !== null) return failed();
  return cluster.checkLinearizable().verdict === "ok" ? null : "linearizability";
}

function firstFailure(seeds: number, o: LeaseRun): { seed: number; rule: string } | null {
  for (let seed = 1; seed <= seeds; seed++) {
    const rule = leaseRun(seed, o);
    if (rule !== null) return { seed, rule };
  }
  return null;
}

describe("thesis §6.4.1 lease reads and clock drift", () => {
  it("lease reads stay linearizable while drift is within the assumed bound", () => {
    expect(firstFailure(8, { driftPpm: 800_000, maxClockDriftPpm: 850_000, readMode: "lease" })).toBeNull();
  });

  it('clock drift breaks a lease that ignores it (bug "lease-ignores-drift")', () => {
    expect(firstFailure(30, { driftPpm: 800_000, maxClockDriftPpm: 850_000, readMode: "lease", bug: "lease-ignores-drift" })).toMatchObject({
      rule: "linearizability",
    });
  });

  it("drift beyond the assumed bound breaks even the correct lease: the assumption is real", () => {
    expect(firstFailure(30, { driftPpm: 800_000, maxClockDriftPpm: 50_000, readMode: "lease" })).toMatchObject({ rule: "linearizability" });
  });

  it("ReadIndex reads do not depend on clocks at all", () => {
    expect(firstFailure(8, { driftPpm: 800_000, maxClockDriftPpm: 50_000, readMode: "linearizable" })).toBeNull();
  });
});
