// Figure 2 persistence: what survives a crash, and a torn last record.
import { describe, expect, it } from "vitest";
import { sealRecord } from "../harness/checksum.ts";
import { Simulation } from "../harness/sim/index.ts";
import type { Msg } from "../harness/raft/messages.ts";
import { raftMonitors } from "../harness/raft/monitors.ts";
import type { RaftNode } from "../labs/given/node.ts";
import { WAL_FILE } from "./persistence.ts";
import { referenceNode } from "./node.ts";

function threeNodes() {
  const servers = ["n1", "n2", "n3"];
  const sim = new Simulation<Msg>({ seed: 5, nodes: servers, factory: referenceNode(servers), monitors: raftMonitors().all, traceMode: "full" });
  const state = (id: string) => (sim.node(id) as RaftNode).state;
  sim.runUntil(() => servers.some((id) => sim.isUp(id) && state(id).role === "leader"), { maxMs: 5000 });
  const leader = servers.find((id) => state(id).role === "leader")!;
  sim.addNode("c", () => ({ onMessage: () => {}, onTimer: () => {} }));
  for (let i = 1; i <= 5; i++) {
    sim.inject("c", leader, { type: "ClientRequest", clientId: "c", seq: i, op: { op: "set", key: "k", value: `v${i}` }, readMode: "linearizable" });
    sim.runFor(30);
  }
  sim.runFor(200);
  return { sim, servers, state, leader };
}

describe("Figure 2: persistent state survives a crash", () => {
  it("a restarted follower recovers currentTerm, votedFor and its whole log from disk", () => {
    const { sim, servers, state, leader } = threeNodes();
    const f = servers.find((id) => id !== leader)!;
    const before = { term: state(f).currentTerm, votedFor: state(f).votedFor, last: state(f).log.lastIndex() };
    sim.crash(f);
    sim.restart(f);
    expect({ term: state(f).currentTerm, votedFor: state(f).votedFor, last: state(f).log.lastIndex() }).toEqual(before);
    sim.runFor(300);
    expect(sim.failure).toBeNull();
  });

  it("a torn last WAL record is detected by its checksum, dropped, and the log rewritten so later appends are readable", () => {
    const { sim, servers, state, leader } = threeNodes();
    const f = servers.find((id) => id !== leader)!;
    const last = state(f).log.lastIndex();
    sim.crash(f);
    // What a power cut in the middle of an append leaves: a prefix of a sealed record.
    const disk = sim.storageOf(f);
    const record = sealRecord(JSON.stringify({ index: last + 1, term: 99, data: { kind: "noop" } }));
    disk.append(WAL_FILE, record.slice(0, record.length - 7));
    disk.sync();
    sim.restart(f);
    expect(state(f).log.lastIndex()).toBe(last);
    expect(sim.trace.events().some((e) => e.kind === "log" && e.event === "restore" && e.fields.droppedRecords === 1)).toBe(true);
    sim.runFor(500);
    sim.crash(f);
    sim.restart(f);
    expect(state(f).log.lastIndex()).toBeGreaterThanOrEqual(last);
    sim.runFor(300);
    expect(sim.failure).toBeNull();
  });

  it('persist-before-send catches bug "no-sync" (state written, never synced)', () => {
    const servers = ["n1", "n2", "n3"];
    const sim = new Simulation<Msg>({ seed: 5, nodes: servers, factory: referenceNode(servers, { bugs: new Set(["no-sync"]) }), monitors: raftMonitors().all });
    sim.runFor(2000);
    expect(sim.failure?.rule).toBe("persist-before-send");
  });
});
