// Rules of the Raft paper, one server at a time: a real server (n2) and two
// scripted stand-ins (n1, n3) that send crafted messages and record answers.
import { describe, expect, it } from "vitest";
import { Simulation } from "../harness/sim/index.ts";
import type { AppendEntries, AppendEntriesReply, Entry, Msg, RequestVoteReply } from "../harness/raft/messages.ts";
import { raftMonitors } from "../harness/raft/monitors.ts";
import type { Node } from "../harness/types.ts";
import type { RaftNode } from "../labs/given/node.ts";
import { referenceNode } from "./node.ts";

function oneServer() {
  const sim = new Simulation<Msg>({ seed: 2, nodes: ["n2"], factory: referenceNode(["n1", "n2", "n3"]), monitors: raftMonitors().all });
  const inbox: { from: string; to: string; msg: Msg }[] = [];
  const standIn = (id: string) => (): Node<Msg> => ({ onMessage: (from, msg) => void inbox.push({ from, to: id, msg }), onTimer: () => {} });
  sim.addNode("n1", standIn("n1"));
  sim.addNode("n3", standIn("n3"));
  const n2 = () => (sim.node("n2") as RaftNode).state;
  const entry = (index: number, term: number, v = `${index}`): Entry => ({ index, term, data: { kind: "command", command: v } });
  const append = (term: number, prevLogIndex: number, prevLogTerm: number, entries: Entry[], leaderCommit = 0) => {
    const m: AppendEntries = { type: "AppendEntries", term, leaderId: "n1", prevLogIndex, prevLogTerm, entries, leaderCommit, round: 1 };
    sim.inject("n1", "n2", m);
    sim.runFor(10);
    return inbox.filter((x) => x.msg.type === "AppendEntriesReply").at(-1)?.msg as AppendEntriesReply;
  };
  const vote = (from: string, term: number, lastLogIndex: number, lastLogTerm: number) => {
    sim.inject(from, "n2", { type: "RequestVote", term, candidateId: from, lastLogIndex, lastLogTerm, preVote: false, transfer: false });
    sim.runFor(10);
    return inbox.filter((x) => x.to === from && x.msg.type === "RequestVoteReply").at(-1)?.msg as RequestVoteReply | undefined;
  };
  return { sim, n2, entry, append, vote };
}

describe("§5.3 AppendEntries", () => {
  it("rejects when the log has no entry at prevLogIndex, hinting where its log ends", () => {
    const t = oneServer();
    const r = t.append(1, 5, 1, [t.entry(6, 1)]);
    expect(r).toMatchObject({ success: false, conflictTerm: 0, conflictIndex: 1 });
  });

  it("rejects a mismatching prevLogTerm, hinting the first index of the conflicting term", () => {
    const t = oneServer();
    t.append(1, 0, 0, [t.entry(1, 1), t.entry(2, 1), t.entry(3, 1)]);
    const r = t.append(2, 3, 2, []);
    expect(r).toMatchObject({ success: false, conflictTerm: 1, conflictIndex: 1 });
  });

  it("a stale AppendEntries whose entries already match truncates nothing", () => {
    const t = oneServer();
    t.append(1, 0, 0, [t.entry(1, 1), t.entry(2, 1), t.entry(3, 1)]);
    const r = t.append(1, 0, 0, [t.entry(1, 1)]);
    expect(r).toMatchObject({ success: true, matchIndex: 1 });
    expect(t.n2().log.lastIndex()).toBe(3);
  });

  it("a conflicting entry and everything after it are replaced", () => {
    const t = oneServer();
    t.append(1, 0, 0, [t.entry(1, 1), t.entry(2, 1), t.entry(3, 1)]);
    t.append(2, 1, 1, [t.entry(2, 2, "new")]);
    expect(t.n2().log.all().map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it("commitIndex = min(leaderCommit, index of last new entry)", () => {
    const t = oneServer();
    t.append(1, 0, 0, [t.entry(1, 1), t.entry(2, 1)], 0);
    t.append(1, 1, 1, [], 5); // a heartbeat that only vouches for index 1
    expect(t.n2().commitIndex).toBe(1);
  });
});

describe("§5.2, §5.4.1 RequestVote", () => {
  it("§5.4.1 a candidate whose log is less up-to-date does not get the vote; an up-to-date one does", () => {
    const t = oneServer();
    t.append(1, 0, 0, [t.entry(1, 1), t.entry(2, 1)]);
    t.sim.runFor(200); // past leader stickiness (thesis §4.2.3)
    expect(t.vote("n1", 2, 1, 1)?.voteGranted).toBe(false);
    expect(t.vote("n3", 2, 2, 1)?.voteGranted).toBe(true);
  });

  it("§5.2 one vote per term: a second candidate in the same term is refused", () => {
    const t = oneServer();
    t.sim.runFor(200);
    expect(t.vote("n1", 3, 0, 0)?.voteGranted).toBe(true);
    expect(t.vote("n3", 3, 0, 0)?.voteGranted).toBe(false);
  });

  it("thesis §4.2.3 within the minimum election timeout of hearing from a leader, a vote request is ignored", () => {
    const t = oneServer();
    t.append(1, 0, 0, []);
    expect(t.vote("n3", 2, 0, 0)).toBeUndefined();
    expect(t.n2().currentTerm).toBe(1);
  });
});
