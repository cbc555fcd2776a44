// Lab 1: randomized election timeouts [§5.2], and what elections and
// heartbeats cost on the wire.
import type { NodeId } from "../../../harness/types.ts";
import { defineScenario } from "../../api.ts";
import { CORE, MessageCounter, code, electLeader, onSend, roles, runFor } from "../_lib/raft.ts";

const MIN_MS = 200;
const MAX_MS = 400;
const WATCH_MS = 8000;
/** Elections each isolated server must start in WATCH_MS (one per MAX_MS at least, with slack). */
const MIN_ELECTIONS = Math.floor(WATCH_MS / MAX_MS) - 2;

/** Budgets, measured on the reference over thousands of seeds and then doubled or so (see the scenario names). */
const FIRST_ELECTION_BUDGET = 60;
const IDLE_WINDOW_MS = 10_000;
const IDLE_BUDGET = 2000;

export default [
  defineScenario({
    name: `§5.2 election timeouts are random, drawn from [electionTimeoutMinMs, electionTimeoutMaxMs] (${MIN_MS}..${MAX_MS} ms here)`,
    section: "§5.2",
    tags: ["core", "election"],
    nodes: 3,
    config: { ...CORE, electionTimeoutMinMs: MIN_MS, electionTimeoutMaxMs: MAX_MS },
    steps: [
      code(`cut every server off from the others at boot and time its elections for ${WATCH_MS / 1000} s`, (ctx) => {
        // Alone, a server can never win: it times out, campaigns (term + 1),
        // times out again... The gaps between its campaigns are its timeouts.
        ctx.sim.partition(ctx.cluster.servers.map((id) => [id]));
        const starts = new Map<NodeId, { term: number; at: number }[]>(ctx.cluster.servers.map((id) => [id, []]));
        const bootMs = ctx.sim.now();
        onSend(ctx, (from, _to, msg, ev) => {
          if (msg.type !== "RequestVote" || msg.preVote) return undefined;
          const list = starts.get(from);
          if (list !== undefined && (list.length === 0 || list[list.length - 1].term < msg.term)) list.push({ term: msg.term, at: ev.timeMs });
          return undefined;
        });
        runFor(ctx, WATCH_MS);
        const gaps: number[] = [];
        for (const [id, list] of starts) {
          if (list.length < MIN_ELECTIONS) {
            ctx.fail(
              "election-timeout-range",
              `${id}, cut off from every other server, started ${list.length} election${list.length === 1 ? "" : "s"} in ${WATCH_MS} ms (RequestVote with a new term). With timeouts drawn from ${MIN_MS}..${MAX_MS} ms it should start one every ${MIN_MS}-${MAX_MS} ms, about ${Math.round(WATCH_MS / ((MIN_MS + MAX_MS) / 2))}: is the election timer re-armed when a candidate's election times out? (${roles(ctx)})`,
            );
          }
          let prev = bootMs;
          for (const s of list) {
            const gap = s.at - prev;
            if (gap < MIN_MS || gap > MAX_MS + 1) {
              ctx.fail(
                "election-timeout-range",
                `${id} started its election of term ${s.term} at t=${s.at} ms, ${gap} ms after ${prev === bootMs ? "booting" : "its previous one"}: outside the configured range ${MIN_MS}..${MAX_MS} ms. Draw every timeout with s.randomElectionTimeoutMs() (it reads config.electionTimeoutMinMs/MaxMs)`,
              );
            }
            gaps.push(gap);
            prev = s.at;
          }
        }
        const distinct = new Set(gaps).size;
        const spread = Math.max(...gaps) - Math.min(...gaps);
        if (distinct < 15 || spread < (MAX_MS - MIN_MS) / 2) {
          ctx.fail(
            "election-timeout-random",
            `the ${gaps.length} election timeouts seen took only ${distinct} distinct values, spread over ${spread} ms of the ${MAX_MS - MIN_MS} ms range: they are not drawn at random each time. Without fresh random timeouts, servers that time out together split the vote again and again (§5.2)`,
          );
        }
      }),
    ],
  }),

  defineScenario({
    name: `§5.2 message budget: the first election of 5 servers costs at most ${FIRST_ELECTION_BUDGET} messages`,
    section: "§5.2",
    tags: ["core", "election", "budget"],
    nodes: 5,
    config: CORE,
    steps: [
      code("count every Raft message from boot until a leader is elected", (ctx) => {
        const counter = new MessageCounter(ctx);
        const l = electLeader(ctx, 3000);
        if (counter.total > FIRST_ELECTION_BUDGET) {
          ctx.fail(
            "message-budget",
            `electing ${l} took ${counter.total} messages (${counter.describe()}), over the budget of ${FIRST_ELECTION_BUDGET}. An election costs one RequestVote and one reply per other server; more means requests are resent, or elections start more often than the timeouts say`,
          );
        }
      }),
    ],
  }),

  defineScenario({
    name: `§5.2 message budget: an idle leader of 5 servers sends heartbeats every heartbeatIntervalMs, no more (at most ${IDLE_BUDGET} messages in ${IDLE_WINDOW_MS / 1000} s)`,
    section: "§5.2",
    tags: ["core", "election", "budget"],
    nodes: 5,
    config: CORE,
    steps: [
      code(`elect a leader, let it settle, then count messages for ${IDLE_WINDOW_MS / 1000} s`, (ctx) => {
        electLeader(ctx, 3000);
        runFor(ctx, 1000);
        const counter = new MessageCounter(ctx);
        const heartbeats = new MessageCounter(ctx, (_from, _to, msg) => msg.type === "AppendEntries");
        runFor(ctx, IDLE_WINDOW_MS);
        if (heartbeats.total === 0) {
          ctx.fail("no-heartbeats", `in ${IDLE_WINDOW_MS} ms the cluster sent no AppendEntries at all (${counter.describe() || "nothing"}): a leader must send heartbeats every heartbeatIntervalMs (§5.2): ${roles(ctx)}`);
        }
        if (counter.total > IDLE_BUDGET) {
          ctx.fail(
            "message-budget",
            `with nothing to do, the cluster sent ${counter.total} messages in ${IDLE_WINDOW_MS} ms (${counter.describe()}), over the budget of ${IDLE_BUDGET}. A leader of 5 sends one heartbeat per follower every heartbeatIntervalMs (50 ms): 4 AppendEntries and 4 replies per 50 ms, 1600 in 10 s: ${roles(ctx)}`,
          );
        }
      }),
    ],
  }),
];
