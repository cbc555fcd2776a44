// The KV service's limits and client-facing behaviour [thesis §6]: typed
// errors instead of silent drops or hangs, redirect hints, stale reads labelled.
import { describe, expect, it } from "vitest";
import { Simulation } from "../harness/sim/index.ts";
import type { ClientReply, ClientRequest, KvOp, Msg, ReadMode } from "../harness/raft/messages.ts";
import { raftMonitors } from "../harness/raft/monitors.ts";
import type { Node } from "../harness/types.ts";
import type { RaftNode } from "../labs/given/node.ts";
import type { RaftConfig } from "../labs/given/config.ts";
import { referenceNode } from "./node.ts";

function cluster(overrides: Partial<Omit<RaftConfig, "members">> = {}) {
  const servers = ["n1", "n2", "n3"];
  const sim = new Simulation<Msg>({ seed: 3, nodes: servers, factory: referenceNode(servers, overrides), monitors: raftMonitors().all });
  const replies: ClientReply[] = [];
  const client: Node<Msg> = { onMessage: (_f, m) => void (m.type === "ClientReply" && replies.push(m)), onTimer: () => {} };
  sim.addNode("c", () => client);
  const role = (id: string) => (sim.node(id) as RaftNode | undefined)?.state.role;
  sim.runUntil(() => servers.some((id) => role(id) === "leader"), { maxMs: 5000 });
  sim.runFor(100);
  const leader = servers.find((id) => role(id) === "leader")!;
  const follower = servers.find((id) => id !== leader)!;
  let seq = 0;
  const send = (to: string, op: KvOp, readMode: ReadMode = "linearizable") => {
    const req: ClientRequest = { type: "ClientRequest", clientId: "c", seq: ++seq, op, readMode };
    sim.inject("c", to, req);
    return req.seq;
  };
  const reply = (s: number) => replies.find((r) => r.seq === s);
  return { sim, leader, follower, servers, send, reply };
}

describe("KV limits and errors", () => {
  it("a value over maxValueBytes is refused with too_large, and nothing is appended", () => {
    const c = cluster({ maxValueBytes: 100 });
    const before = (c.sim.node(c.leader) as RaftNode).state.log.lastIndex();
    const s = c.send(c.leader, { op: "set", key: "k", value: "x".repeat(101) });
    c.sim.runFor(50);
    expect(c.reply(s)).toMatchObject({ ok: false, error: "too_large" });
    expect((c.sim.node(c.leader) as RaftNode).state.log.lastIndex()).toBe(before);
  });

  it("a full proposal queue answers busy instead of queueing without bound", () => {
    const c = cluster({ maxUncommittedEntries: 2 });
    c.sim.partition([[c.leader], c.servers.filter((x) => x !== c.leader)]); // nothing can commit now
    const seqs = [1, 2, 3].map((i) => c.send(c.leader, { op: "set", key: `k${i}`, value: "v" }));
    c.sim.runFor(20);
    expect(c.reply(seqs[2])).toMatchObject({ ok: false, error: "busy" });
  });

  it("a follower redirects writes to the leader it knows (not_leader with a hint)", () => {
    const c = cluster();
    const s = c.send(c.follower, { op: "set", key: "k", value: "v" });
    c.sim.runFor(20);
    expect(c.reply(s)).toMatchObject({ ok: false, error: "not_leader", leaderHint: c.leader });
  });

  it("stale reads are served by any server and labelled stale", () => {
    const c = cluster();
    const w = c.send(c.leader, { op: "set", key: "k", value: "v1" });
    c.sim.runFor(200);
    expect(c.reply(w)).toMatchObject({ ok: true });
    const r = c.send(c.follower, { op: "get", key: "k" }, "stale");
    c.sim.runFor(20);
    expect(c.reply(r)).toMatchObject({ ok: true, stale: true, servedBy: c.follower, result: { value: "v1" } });
  });

  it("thesis §6.3 a retried write (same clientId and seq) is answered from the session table, not applied again", () => {
    const c = cluster();
    const s = c.send(c.leader, { op: "append", key: "k", value: "a" });
    c.sim.runFor(100);
    c.sim.inject("c", c.leader, { type: "ClientRequest", clientId: "c", seq: s, op: { op: "append", key: "k", value: "a" }, readMode: "linearizable" });
    c.sim.runFor(100);
    const g = c.send(c.leader, { op: "get", key: "k" });
    c.sim.runFor(100);
    expect(c.reply(g)).toMatchObject({ ok: true, result: { value: "a" } });
  });

  it("thesis §6.4 a partitioned leader does not answer linearizable reads (no quorum confirms it)", () => {
    const c = cluster();
    c.sim.partition([[c.leader], c.servers.filter((x) => x !== c.leader)]);
    const r = c.send(c.leader, { op: "get", key: "k" });
    c.sim.runFor(1000);
    const rep = c.reply(r);
    expect(rep?.ok ?? false).toBe(false); // unanswered until it steps down, then not_leader
  });
});
