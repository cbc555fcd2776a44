// Lab 2: Figure 7 of the paper. A leader comes to power in term 8 over seven
// servers whose logs are the figure's: the leader's own, and followers (a)-(f)
// that miss entries (a, b), hold extra uncommitted entries (c, d), or both
// (e, f). The logs are set up directly, through each server's own persist()
// and restore(); then the leader must make every log equal to its own [§5.3].
import { defineScenario } from "../../api.ts";
import { AppliedEntries, CORE, code, expectApplied, expectAppliedIndex, fireElectionTimer, injectAs, logTerms, propose, roles, runFor, runUntil, setupLog, stateOf } from "../_lib/raft.ts";

/** Figure 7, top to bottom: the leader, then (a)..(f), as the terms of entries 1, 2, 3... */
const FIGURE_7: readonly { who: string; terms: number[] }[] = [
  { who: "the leader", terms: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6] },
  { who: "(a) misses one entry", terms: [1, 1, 1, 4, 4, 5, 5, 6, 6] },
  { who: "(b) misses many entries", terms: [1, 1, 1, 4] },
  { who: "(c) has one extra uncommitted entry", terms: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6] },
  { who: "(d) has two extra entries of term 7", terms: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7] },
  { who: "(e) misses entries and has extra ones of term 4", terms: [1, 1, 1, 4, 4, 4, 4] },
  { who: "(f) has eight entries of terms 2 and 3 no one else has", terms: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3] },
];

export default [
  defineScenario({
    name: "Figure 7 a new leader brings each of the six follower logs (a)-(f) in line with its own, and no follower commits past what matches",
    section: "§5.3, Figure 7",
    tags: ["core", "replication", "figure7"],
    nodes: 7,
    config: CORE,
    steps: [
      code("set up the seven logs of Figure 7, elect n1 in term 8, and check every log ends up equal to n1's", (ctx) => {
        const ids = ctx.cluster.servers;
        FIGURE_7.forEach((row, i) => {
          const last = row.terms[row.terms.length - 1];
          // Each server has at least seen the term of its last entry; the leader has seen term 7 and campaigns in 8.
          setupLog(ctx, ids[i], row.terms, i === 0 ? 7 : last);
        });
        const applied = new AppliedEntries(ctx);
        const l = ids[0];
        // n1 times out first. (a), (b), (e) and (f) vote for it: 5 of 7. (c) and (d) refuse, their logs are more up-to-date [§5.4.1].
        fireElectionTimer(ctx, l, 1);
        if (!runUntil(ctx, () => stateOf(ctx, l).role === "leader", 500)) {
          ctx.fail("scenario-setup", `n1 (the Figure 7 leader) campaigned in term 8 but did not win within 500 ms; (a), (b), (e) and (f) should have voted for it: ${roles(ctx)}`);
        }
        const term = stateOf(ctx, l).currentTerm;
        // Hold (d) back for a moment: the leader commits its no-op (index 11) with the others first.
        const d = ids[4];
        ctx.sim.cutLink(l, d);
        expectAppliedIndex(ctx, applied, 11, [l], 2000, `n1 leads term ${term}; its no-op at index 11 should commit with (a), (b), (e) and (f)`);
        // A heartbeat that matches (d)'s log only up to index 10, with leaderCommit 11: (d) holds an entry 11
        // of its own (term 7), which the leader never sent it. Figure 2: commitIndex = min(leaderCommit, index
        // of the last new entry), so (d) may commit up to 10 only.
        const s = stateOf(ctx, l);
        injectAs(ctx, l, d, { type: "AppendEntries", term, leaderId: l, prevLogIndex: 10, prevLogTerm: 6, entries: [], leaderCommit: s.commitIndex, round: s.round });
        runFor(ctx, 10);
        if (stateOf(ctx, d).commitIndex > 10) {
          ctx.fail("commit-past-match", `${d} (Figure 7's (d)) got a heartbeat that matched its log up to index 10, with leaderCommit ${s.commitIndex}, and set its commitIndex to ${stateOf(ctx, d).commitIndex}: its entry 11 is of term 7 and not the leader's. Commit only up to the last entry the message proved to match (Figure 2, AppendEntries step 5)`);
        }
        ctx.sim.heal();
        // Everything before the no-op is committed with it.
        expectAppliedIndex(ctx, applied, 11, ids, 3000, `after n1 became leader of term ${term}, every follower's log should match its own, up to its no-op at index 11`);
        expectApplied(ctx, propose(ctx, l, 2), ids, 2000);
        const want = logTerms(ctx, l);
        FIGURE_7.forEach((row, i) => {
          if (i === 0) return;
          const got = logTerms(ctx, ids[i]);
          if (got.join(",") !== want.join(",")) {
            ctx.fail(
              "logs-differ",
              `${ids[i]}, Figure 7's follower ${row.who}, started with log terms [${row.terms.join(" ")}]; it should now hold the leader's log [${want.join(" ")}] but holds [${got.join(" ")}]. The follower deletes a conflicting entry and all that follow it, then appends the leader's (§5.3)`,
            );
          }
          for (let index = 1; index <= want.length; index++) {
            if (applied.termAt(ids[i], index) !== want[index - 1]) {
              ctx.fail("applied-differs", `${ids[i]} (${row.who}) applied the entry of term ${applied.termAt(ids[i], index)} at index ${index}; the leader's log has term ${want[index - 1]} there`);
            }
          }
        });
      }),
    ],
  }),
];
