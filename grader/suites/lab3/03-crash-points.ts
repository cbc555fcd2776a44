// Lab 3: a crash at every kind of step a server takes. The simulator runs a
// handler to its end, so a crash comes right after one: whatever the handler
// wrote but did not sync is lost (and the first such record may be torn). A
// server that syncs before it sends loses nothing it promised; one that defers
// a sync, or sends first, is caught here or by the persist-before-send check.
import type { NodeId } from "../../../harness/types.ts";
import { defineScenario } from "../../api.ts";
import type { ScenarioContext } from "../../api.ts";
import { CORE, Promises, code, crashAndRestart, expectApplied, fireElectionTimer, propose, raftMsg, runFor, runUntil, stableLeader } from "../_lib/raft.ts";

/** The kinds of step a server takes, as seen in the trace: a message delivered to it, or one of its timers. */
type Step = "RequestVote" | "RequestVoteReply" | "AppendEntries with entries" | "heartbeat AppendEntries" | "AppendEntriesReply" | "ClientRequest" | "election timer" | "heartbeat timer";

const CYCLE: readonly Step[] = [
  "ClientRequest",
  "AppendEntries with entries",
  "AppendEntriesReply",
  "heartbeat timer",
  "heartbeat AppendEntries",
  "election timer",
  "RequestVote",
  "RequestVoteReply",
];

/** Watches for the next step of kind `want` on any server; .hit is set to that server right after the event is recorded. */
class NextStep {
  want: Step | null = null;
  hit: NodeId | null = null;
  constructor(ctx: ScenarioContext) {
    ctx.cluster.observer.watch((ev) => {
      if (this.want === null || this.hit !== null) return undefined;
      let kind: Step | null = null;
      let node: NodeId | null = null;
      if (ev.kind === "timer") {
        node = ev.node;
        kind = ev.name === "election" ? "election timer" : ev.name === "heartbeat" ? "heartbeat timer" : null;
      } else if (ev.kind === "deliver" && ctx.cluster.servers.includes(ev.to)) {
        node = ev.to;
        const m = raftMsg(ev);
        const t = (ev.msg as { type?: unknown } | null)?.type;
        if (m?.type === "AppendEntries") kind = m.entries.length > 0 ? "AppendEntries with entries" : "heartbeat AppendEntries";
        else if (m?.type === "RequestVote" && !m.preVote) kind = "RequestVote";
        else if (m?.type === "RequestVoteReply" && !m.preVote) kind = "RequestVoteReply";
        else if (m?.type === "AppendEntriesReply") kind = "AppendEntriesReply";
        else if (t === "ClientRequest") kind = "ClientRequest";
      }
      if (kind === this.want && node !== null) this.hit = node;
      return undefined;
    });
  }
}

export default [
  defineScenario({
    name: "Figure 2 a crash right after any kind of step (vote, reply, append, timer, client request), torn tail included, loses nothing promised",
    section: "Figure 2",
    tags: ["core", "persistence"],
    nodes: 3,
    config: CORE,
    steps: [
      code("cycle through the kinds of step twice: wait for the next one, crash that server right after it, restart it, check", (ctx) => {
        const promises = new Promises(ctx);
        const next = new NextStep(ctx);
        // Commands keep arriving, so there are always entries to append and acknowledge.
        let stop = false;
        const feed = (): void => {
          if (stop) return;
          const l = ctx.cluster.leaders()[0]?.id;
          if (l !== undefined) ctx.cluster.propose([l], 1);
          ctx.sim.schedule(ctx.sim.now() + 20 + ctx.rng.int(40), feed);
        };
        stableLeader(ctx, 3000);
        feed();
        const missed: Step[] = [];
        for (const kind of [...CYCLE, ...CYCLE]) {
          next.want = kind;
          next.hit = null;
          let seen = runUntil(ctx, () => next.hit !== null, 400);
          if (!seen && (kind === "election timer" || kind === "RequestVote" || kind === "RequestVoteReply")) {
            // A healthy cluster holds no elections: make a follower's election timer run out now.
            const l = ctx.cluster.leader();
            const f = ctx.rng.pick(ctx.cluster.servers.filter((id) => id !== l && ctx.sim.isUp(id)));
            fireElectionTimer(ctx, f, 1);
          }
          seen = seen || runUntil(ctx, () => next.hit !== null, 2600);
          if (!seen) {
            missed.push(kind);
            continue;
          }
          const victim = next.hit!;
          ctx.sim.note(`crash ${victim} right after its ${kind} step`);
          crashAndRestart(ctx, promises, victim, { torn: true, downMs: ctx.rng.int(200) });
        }
        next.want = null;
        stop = true;
        if (missed.length > 0) ctx.sim.note(`never saw a step of kind: ${missed.join(", ")}`);
        runFor(ctx, 500);
        const l = stableLeader(ctx, 5000);
        expectApplied(ctx, propose(ctx, l, 1), ctx.cluster.servers, 3000);
      }),
    ],
  }),
];
