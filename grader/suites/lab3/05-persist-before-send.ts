// Lab 3: persist before send [Figure 2: "updated on stable storage before
// responding to RPCs"]. A vote or an acknowledgement is a promise; the
// harness's persist-before-send monitor fails any Raft message sent while its
// sender has unsynced writes, and these scenarios crash a server the moment
// after it made a promise, then check it kept it.
import type { NodeId } from "../../../harness/types.ts";
import { defineScenario } from "../../api.ts";
import type { ScenarioContext } from "../../api.ts";
import type { RaftMessage } from "../../../harness/raft/messages.ts";
import { CORE, INTRUDER, Promises, code, crashAndRestart, expectApplied, fireElectionTimer, inject, onSend, propose, runFor, runUntil, stableLeader, stateOf } from "../_lib/raft.ts";

/** The next message matching `want`, as (sender); .hit is set right after it is sent. */
class NextSend {
  want: ((from: NodeId, to: NodeId, msg: RaftMessage) => boolean) | null = null;
  hit: NodeId | null = null;
  constructor(ctx: ScenarioContext) {
    onSend(ctx, (from, to, msg) => {
      if (this.want !== null && this.hit === null && this.want(from, to, msg)) this.hit = from;
      return undefined;
    });
  }
  wait(ctx: ScenarioContext, want: (from: NodeId, to: NodeId, msg: RaftMessage) => boolean, ms: number): NodeId | null {
    this.want = want;
    this.hit = null;
    runUntil(ctx, () => this.hit !== null, ms);
    this.want = null;
    return this.hit;
  }
}

export default [
  defineScenario({
    name: "Figure 2 persist before send: a server that crashes right after sending a vote, an acknowledgement or new entries still has what it promised",
    section: "Figure 2",
    tags: ["core", "persistence"],
    nodes: 3,
    config: CORE,
    steps: [
      code("nine rounds: wait for a vote, an ack or a leader's append to leave, crash its sender at once, restart it, check", (ctx) => {
        const promises = new Promises(ctx);
        const next = new NextSend(ctx);
        for (let round = 0; round < 9; round++) {
          const l = stableLeader(ctx, 5000);
          let victim: NodeId | null;
          if (round % 3 === 0) {
            // A vote: a follower campaigns, and the first voter to answer yes crashes right after.
            const c = ctx.rng.pick(ctx.cluster.servers.filter((id) => id !== l));
            fireElectionTimer(ctx, c, 1);
            victim = next.wait(ctx, (_from, to, msg) => to === c && msg.type === "RequestVoteReply" && msg.voteGranted && !msg.preVote, 500);
          } else if (round % 3 === 1) {
            // An acknowledgement of new entries.
            propose(ctx, l, 2);
            victim = next.wait(ctx, (_from, _to, msg) => msg.type === "AppendEntriesReply" && msg.success, 500);
          } else {
            // A leader sending entries it just appended.
            propose(ctx, l, 2);
            victim = next.wait(ctx, (from, _to, msg) => from === l && msg.type === "AppendEntries" && msg.entries.length > 0, 500);
          }
          if (victim === null) continue;
          ctx.sim.note(`round ${round + 1}: crash ${victim} right after it sent a promise`);
          crashAndRestart(ctx, promises, victim, { downMs: ctx.rng.int(100) });
        }
        runFor(ctx, 500);
        const l = stableLeader(ctx, 5000);
        expectApplied(ctx, propose(ctx, l, 1), ctx.cluster.servers, 3000);
      }),
    ],
  }),

  defineScenario({
    name: "§5.2 a server that voted, crashed and restarted does not vote again in the same term",
    section: "§5.2, Figure 2",
    tags: ["core", "persistence"],
    nodes: 5,
    config: CORE,
    steps: [
      code("three times: a voter grants a vote, crashes at once, restarts, and is asked again in that term by another candidate", (ctx) => {
        const next = new NextSend(ctx);
        const answers: { from: NodeId; msg: RaftMessage }[] = [];
        onSend(ctx, (from, to, msg) => {
          if (to === INTRUDER) answers.push({ from, msg });
          return undefined;
        });
        for (let round = 1; round <= 3; round++) {
          const l = stableLeader(ctx, 5000);
          expectApplied(ctx, propose(ctx, l, 2), ctx.cluster.servers, 2000);
          const c = ctx.rng.pick(ctx.cluster.servers.filter((id) => id !== l));
          fireElectionTimer(ctx, c, 1);
          let term = 0;
          const v = next.wait(
            ctx,
            (_from, to, msg) => {
              if (to !== c || msg.type !== "RequestVoteReply" || !msg.voteGranted || msg.preVote) return false;
              term = msg.term;
              return true;
            },
            500,
          );
          if (v === null) continue;
          ctx.sim.note(`round ${round}: ${v} voted for ${c} in term ${term}; it crashes now`);
          // (No check of the restored state here: what matters is the next vote on the wire,
          // which the harness's one-vote-per-term monitor judges.)
          ctx.sim.crash(v);
          ctx.sim.restart(v);
          runFor(ctx, 0);
          // Another candidate of the same term, with a log no one can beat, asks v.
          answers.length = 0;
          inject(ctx, v, { type: "RequestVote", term, candidateId: INTRUDER, lastLogIndex: 1_000_000, lastLogTerm: term, preVote: false, transfer: false });
          const yes = answers.find((a) => a.msg.type === "RequestVoteReply" && a.msg.voteGranted);
          if (yes !== undefined) {
            ctx.fail("vote-forgotten", `${v} voted for ${c} in term ${term}, crashed, restarted, and then voted for another candidate in term ${term}: votedFor (and currentTerm) must be synced before the vote is sent, and read back by restore() (§5.2, Figure 2). It restarted with term ${stateOf(ctx, v).currentTerm}, votedFor ${stateOf(ctx, v).votedFor}`);
          }
          runFor(ctx, 300);
        }
      }),
    ],
  }),
];
