// Lab 1: terms as a logical clock [§5.1, Figure 2 "All Servers"]. Crafted
// messages come from an endpoint "x" that is not a server.
import type { RaftMessage } from "../../../harness/raft/messages.ts";
import type { NodeId } from "../../../harness/types.ts";
import { defineScenario } from "../../api.ts";
import type { ScenarioContext } from "../../api.ts";
import { CORE, INTRUDER, code, electLeader, inject, onSend, roles, runFor, runUntil, stateOf } from "../_lib/raft.ts";

/** What servers send to the intruder, newest last. */
function repliesToIntruder(ctx: ScenarioContext): { from: NodeId; msg: RaftMessage }[] {
  const got: { from: NodeId; msg: RaftMessage }[] = [];
  onSend(ctx, (from, to, msg) => {
    if (to === INTRUDER) got.push({ from, msg });
    return undefined;
  });
  return got;
}

export default [
  defineScenario({
    name: "§5.1 an older term loses: a stale RequestVote or AppendEntries is refused and answered with the current term",
    section: "§5.1",
    tags: ["core", "election"],
    nodes: 3,
    config: CORE,
    steps: [
      code("send a follower a stale AppendEntries and a stale RequestVote", (ctx) => {
        const replies = repliesToIntruder(ctx);
        const l = electLeader(ctx, 3000);
        runFor(ctx, 300); // every follower has heard the leader: its term is at least 1
        const f = ctx.cluster.servers.find((id) => id !== l)!;
        const before = stateOf(ctx, f);
        const term = before.currentTerm;
        const votedFor = before.votedFor;

        inject(ctx, f, { type: "AppendEntries", term: 0, leaderId: INTRUDER, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0, round: 0 });
        const ae = replies.find((r) => r.msg.type === "AppendEntriesReply");
        if (ae === undefined || ae.msg.type !== "AppendEntriesReply" || ae.msg.success || ae.msg.term !== term) {
          ctx.fail(
            "stale-term-accepted",
            `${f} (term ${term}) got an AppendEntries of term 0 and answered ${ae === undefined ? "nothing" : JSON.stringify(ae.msg)}; it must refuse (success: false) and send its term ${term}, so a deposed leader learns it is behind (Figure 2, AppendEntries step 1)`,
          );
        }
        inject(ctx, f, { type: "RequestVote", term: Math.max(0, term - 1), candidateId: INTRUDER, lastLogIndex: 1000, lastLogTerm: 1000, preVote: false, transfer: false });
        const rv = replies.find((r) => r.msg.type === "RequestVoteReply");
        if (rv === undefined || rv.msg.type !== "RequestVoteReply" || rv.msg.voteGranted || rv.msg.term !== term) {
          ctx.fail(
            "stale-term-accepted",
            `${f} (term ${term}) got a RequestVote of term ${Math.max(0, term - 1)} and answered ${rv === undefined ? "nothing" : JSON.stringify(rv.msg)}; it must refuse the vote and send its term ${term} (Figure 2, RequestVote step 1)`,
          );
        }
        const after = stateOf(ctx, f);
        if (after.currentTerm !== term || after.votedFor !== votedFor || after.role !== "follower") {
          ctx.fail("stale-term-accepted", `stale messages changed ${f}: it was a follower in term ${term} (votedFor ${votedFor}), now it is ${after.role} in term ${after.currentTerm} (votedFor ${after.votedFor})`);
        }
      }),
    ],
  }),

  defineScenario({
    name: "§5.1 a newer term wins: a leader and a candidate that see one step down at once",
    section: "§5.1",
    tags: ["core", "election"],
    nodes: 3,
    config: CORE,
    steps: [
      code("show the leader, then a candidate, a reply with a newer term", (ctx) => {
        const l = electLeader(ctx, 3000);
        const t = stateOf(ctx, l).currentTerm;
        inject(ctx, l, { type: "RequestVoteReply", term: t + 2, voteGranted: false, preVote: false });
        const s = stateOf(ctx, l);
        if (s.role !== "follower" || s.currentTerm !== t + 2) {
          ctx.fail("newer-term-ignored", `${l} led term ${t} and received a RequestVoteReply of term ${t + 2}; right after, it is ${s.role} in term ${s.currentTerm}. Any message with a newer term makes a server adopt it and become a follower (Figure 2, All Servers)`);
        }

        const l2 = electLeader(ctx, 3000);
        const c = ctx.cluster.servers.find((id) => id !== l2)!;
        ctx.sim.isolate(c);
        if (!runUntil(ctx, () => stateOf(ctx, c).role === "candidate", 2000)) {
          ctx.fail("no-election", `${c} was cut off from the leader for 2 s and never became a candidate: ${roles(ctx)}`);
        }
        const ct = stateOf(ctx, c).currentTerm;
        inject(ctx, c, { type: "RequestVoteReply", term: ct + 2, voteGranted: false, preVote: false });
        const cs = stateOf(ctx, c);
        if (cs.role !== "follower" || cs.currentTerm !== ct + 2) {
          ctx.fail("newer-term-ignored", `${c} was a candidate of term ${ct} and received a RequestVoteReply of term ${ct + 2}; right after, it is ${cs.role} in term ${cs.currentTerm}. A candidate that sees a newer term steps down too (Figure 2, All Servers)`);
        }
        ctx.sim.heal();
        electLeader(ctx, 3000);
      }),
    ],
  }),
];
