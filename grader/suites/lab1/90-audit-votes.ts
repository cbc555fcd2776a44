// Lab 1: two rules about votes that the other lab 1 scenarios reach only by
// luck, found missing by the mutation audit (npm run audit: mutants
// "vote-keeps-timer" and "count-stale-votes" survived them). Both are scripted
// with crafted messages, so every seed tests the rule.
import type { RaftMessage } from "../../../harness/raft/messages.ts";
import type { NodeId } from "../../../harness/types.ts";
import { defineScenario } from "../../api.ts";
import type { ScenarioContext } from "../../api.ts";
import { CORE, INTRUDER, code, electLeader, fireElectionTimer, inject, injectAs, onSend, roles, runFor, runUntil, stateOf, violation } from "../_lib/raft.ts";

const MIN_MS = 200;
const MAX_MS = 300;

/** Fails the run the moment `who` asks for votes (a real election, not PreVote) while `active()` holds. */
function forbidCampaign(ctx: ScenarioContext, who: NodeId, active: () => boolean, rule: string, why: () => string, section: string): void {
  onSend(ctx, (from, _to, msg) => {
    if (from !== who || !active() || msg.type !== "RequestVote" || msg.preVote) return undefined;
    return violation(rule, why(), section, who);
  });
}

export default [
  defineScenario({
    name: "§5.2 granting a vote restarts the election timer: a voter does not campaign within electionTimeoutMinMs of its vote",
    section: "§5.2, Figure 2",
    tags: ["core", "election"],
    nodes: 3,
    config: { ...CORE, electionTimeoutMinMs: MIN_MS, electionTimeoutMaxMs: MAX_MS, heartbeatIntervalMs: 50 },
    steps: [
      code("cut a follower off, show it a newer term, let it vote late in that term, and watch its timer", (ctx) => {
        const l = electLeader(ctx, 3000);
        runFor(ctx, 300);
        const v = ctx.cluster.servers.find((id) => id !== l)!;
        ctx.sim.isolate(v);
        // A newer term in a reply: v becomes a follower of term t + 1 without
        // voting. Whether adopting a term restarts the election timer is left
        // open by Figure 2, so the script sets v's countdown itself, as if
        // MAX_MS had just been drawn.
        const t = stateOf(ctx, v).currentTerm;
        inject(ctx, v, { type: "RequestVoteReply", term: t + 1, voteGranted: false, preVote: false });
        fireElectionTimer(ctx, v, MAX_MS);
        runFor(ctx, MIN_MS - 20);
        const before = stateOf(ctx, v);
        if (before.role !== "follower" || before.currentTerm !== t + 1) {
          ctx.fail("scenario-setup", `${v} should be a follower of term ${t + 1}, ${MIN_MS - 20} ms after it saw that term, but it is ${before.role} in term ${before.currentTerm} (${roles(ctx)})`);
        }
        // Late in its timeout, a candidate of term t + 1 with a complete log asks for v's vote.
        let granted = false;
        let votedAt = -1;
        onSend(ctx, (from, to, msg) => {
          if (from === v && to === INTRUDER && msg.type === "RequestVoteReply" && msg.voteGranted) {
            granted = true;
            votedAt = ctx.sim.now();
          }
          return undefined;
        });
        forbidCampaign(
          ctx,
          v,
          () => granted && ctx.sim.now() < votedAt + MIN_MS,
          "vote-did-not-reset-timer",
          () =>
            `${v} granted its vote at t=${votedAt} ms and asked for votes itself at t=${ctx.sim.now()} ms, only ${ctx.sim.now() - votedAt} ms later; election timeouts here are ${MIN_MS}..${MAX_MS} ms. Granting a vote restarts the election timer (Figure 2, Followers), or a voter starts a competing election just as its candidate may be winning`,
          "§5.2, Figure 2",
        );
        inject(ctx, v, { type: "RequestVote", term: t + 1, candidateId: INTRUDER, lastLogIndex: 1_000_000, lastLogTerm: t + 1, preVote: false, transfer: false });
        if (!granted) ctx.fail("vote-refused", `${v} (term ${t + 1}, no vote yet) refused a RequestVote of term ${t + 1} from a candidate whose log is more up to date than its own (§5.2, §5.4.1: it must grant)`);
        runFor(ctx, MIN_MS + 10);
        ctx.sim.heal();
        electLeader(ctx, 3000);
      }),
    ],
  }),

  defineScenario({
    name: "§5.2 a vote from an earlier term does not count: a candidate that gets a late granted vote of its previous campaign does not become leader",
    section: "§5.2",
    tags: ["core", "election"],
    nodes: 3,
    config: CORE,
    steps: [
      code("a follower campaigns, its vote comes back only after it has started a new campaign", (ctx) => {
        const l = electLeader(ctx, 3000);
        runFor(ctx, 300);
        const [c, v] = ctx.rng.shuffled(ctx.cluster.servers.filter((id) => id !== l));
        // c hears no one and reaches only v; v's answer to c is held back.
        ctx.sim.isolate(c);
        ctx.sim.heal();
        for (const [a, b] of [[l, c], [c, l], [v, c]] as const) ctx.sim.cutLink(a, b);
        let held: RaftMessage | null = null;
        onSend(ctx, (from, to, msg) => {
          if (from === v && to === c && msg.type === "RequestVoteReply" && msg.voteGranted && !msg.preVote && held === null) held = msg;
          return undefined;
        });
        fireElectionTimer(ctx, c, 1);
        if (!runUntil(ctx, () => held !== null, 100)) {
          ctx.fail("vote-refused", `${c} campaigned with a log as up to date as ${v}'s, but ${v} granted no vote within 100 ms (§5.2): ${roles(ctx)}`);
        }
        const first = stateOf(ctx, c).currentTerm;
        // c campaigns again, reaching no one, and only then gets v's vote of its first campaign.
        ctx.sim.cutLink(c, v);
        fireElectionTimer(ctx, c, 1);
        runFor(ctx, 2);
        const now = stateOf(ctx, c).currentTerm;
        if (stateOf(ctx, c).role !== "candidate" || now <= first) {
          ctx.fail("scenario-setup", `${c} should be a candidate of a term after ${first}, but it is ${stateOf(ctx, c).role} in term ${now}`);
        }
        let late = true;
        onSend(ctx, (from, _to, msg) => {
          if (!late || from !== c || msg.type !== "AppendEntries") return undefined;
          return violation(
            "stale-vote-counted",
            `${c}, a candidate of term ${now} with only its own vote, received ${v}'s vote granted in term ${first} and then acted as leader of term ${msg.term}. A reply of an older term is stale: it is ignored, never counted (§5.2: a candidate wins with votes from a majority for the same term)`,
            "§5.2",
            c,
          );
        });
        injectAs(ctx, v, c, held!);
        runFor(ctx, 20);
        if (stateOf(ctx, c).role === "leader") {
          ctx.fail("stale-vote-counted", `${c} became leader of term ${now} with its own vote and ${v}'s vote of term ${first}: a reply of an older term must be ignored (§5.2)`);
        }
        late = false;
        ctx.sim.heal();
        electLeader(ctx, 3000);
      }),
    ],
  }),
];
