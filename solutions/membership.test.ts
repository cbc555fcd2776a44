// Membership changes [§6; thesis §3.10, §4]: learners caught up then promoted,
// removed servers that cannot disrupt, joint consensus, leadership transfer.
import { describe, expect, it } from "vitest";
import { RaftCluster } from "../harness/raft/cluster.ts";
import type { AdminReply, MembershipChange, Msg } from "../harness/raft/messages.ts";
import type { Node } from "../harness/types.ts";
import type { RaftNode } from "../labs/given/node.ts";
import { referenceNode } from "./node.ts";

function setup() {
  const servers = ["n1", "n2", "n3"];
  const c = new RaftCluster({ seed: 11, servers, server: referenceNode(servers), clients: 2 });
  const sim = c.sim;
  const replies: AdminReply[] = [];
  const admin: Node<Msg> = { onMessage: (_f, m) => void (m.type === "AdminReply" && replies.push(m)), onTimer: () => {} };
  sim.addNode("admin", () => admin);
  const state = (id: string) => (sim.node(id) as RaftNode | undefined)?.state;
  const leader = () => c.serverIds.find((id) => sim.isUp(id) && state(id)?.role === "leader");
  let requestId = 0;
  /** Sends a change to the leader and waits for its answer. */
  const change = (request: MembershipChange): AdminReply | undefined => {
    const id = ++requestId;
    sim.runUntil(() => leader() !== undefined, { maxMs: 5000 });
    sim.inject("admin", leader()!, { type: "AdminRequest", requestId: id, request });
    sim.runUntil(() => replies.some((r) => r.requestId === id), { maxMs: 3000 });
    return replies.find((r) => r.requestId === id);
  };
  sim.runUntil(() => leader() !== undefined, { maxMs: 5000 });
  sim.runFor(300);
  return { c, sim, state, leader, change };
}

describe("§6 membership", () => {
  it("thesis §4.2.1 a new server joins as a learner and is promoted to voter once caught up", () => {
    const t = setup();
    t.c.bootServer("n4");
    expect(t.change({ change: "addServer", server: "n4" })).toMatchObject({ ok: true });
    t.sim.runFor(1000);
    const l = t.state(t.leader()!)!;
    expect(l.cluster.voters).toContain("n4");
    expect(t.sim.failure).toBeNull();
  });

  it("thesis §4.2.3 a removed server that keeps running does not disrupt the cluster", () => {
    const t = setup();
    const victim = ["n1", "n2", "n3"].find((id) => id !== t.leader())!;
    expect(t.change({ change: "removeServer", server: victim })).toMatchObject({ ok: true });
    const term = t.state(t.leader()!)!.currentTerm;
    t.sim.runFor(5000); // the removed server times out again and again
    expect(t.state(t.leader()!)!.currentTerm).toBe(term);
    expect(t.sim.failure).toBeNull();
  });

  it("§6 joint consensus moves the voter set through C_old,new to C_new, and a removed leader steps down", () => {
    const t = setup();
    const old = t.leader()!;
    t.c.bootServer("n4");
    t.c.bootServer("n5");
    t.change({ change: "addServer", server: "n4" });
    t.sim.runFor(500);
    t.change({ change: "addServer", server: "n5" });
    t.sim.runFor(500);
    const next = ["n4", "n5", ...["n1", "n2", "n3"].filter((x) => x !== old)].slice(0, 3);
    expect(t.change({ change: "joint", voters: next })).toMatchObject({ ok: true });
    t.sim.runFor(1500);
    const l = t.leader()!;
    expect(next).toContain(l);
    expect(t.state(l)!.cluster).toMatchObject({ voters: [...next].sort(), votersOutgoing: [] });
    expect(t.sim.failure).toBeNull();
  });

  it("thesis §3.10 leadership transfer hands over to the named voter at once", () => {
    const t = setup();
    const target = ["n1", "n2", "n3"].find((id) => id !== t.leader())!;
    const before = t.sim.now();
    expect(t.change({ change: "transferLeadership", server: target })).toMatchObject({ ok: true });
    t.sim.runUntil(() => t.leader() === target, { maxMs: 1000 });
    expect(t.leader()).toBe(target);
    expect(t.sim.now() - before).toBeLessThan(150); // well under an election timeout
  });
});
