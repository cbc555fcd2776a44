// Lab 2: Figure 8 of the paper, step by step, with S1..S5 as n1..n5.
//
// (a)-(b), set up directly: S1 led term 2 and got entry 2 (term 2) onto S2
// only; S5 then led term 3 with the votes of S3, S4 and itself, and put a
// different entry 2 (term 3) into its own log only.
// (c) S5 is down; S1 is elected in term 4 and copies its old entry 2 onto S3:
// entry 2 is now on a majority (S1, S2, S3), but S1's entry of term 4 is not.
// (d) S1 crashes; S5 can win term 5 with S2, S3, S4, and overwrites entry 2.
// So S1 must not count replicas of entry 2 to commit it (§5.4.2): the first
// scenario checks that, and the second plays (e), where S1's term-4 entry
// reaches a majority first and entry 2 is then safe.
import type { NodeId } from "../../../harness/types.ts";
import { defineScenario } from "../../api.ts";
import type { ScenarioContext } from "../../api.ts";
import {
  AppliedEntries,
  CORE,
  appendEntriesCopy,
  code,
  expectApplied,
  expectAppliedIndex,
  fireElectionTimer,
  injectAs,
  logTerms,
  onSend,
  propose,
  roles,
  runFor,
  runUntil,
  setupLog,
  stableLeader,
  stateOf,
  violation,
} from "../_lib/raft.ts";

const [S1, S2, S3, S4, S5] = ["n1", "n2", "n3", "n4", "n5"];

/** Figure 8 (b): the logs and terms after S5 led term 3. S1 has heard of term 3 too, so it campaigns in term 4. */
function setupFigure8b(ctx: ScenarioContext): void {
  setupLog(ctx, S1, [1, 2], 3);
  setupLog(ctx, S2, [1, 2], 2);
  setupLog(ctx, S3, [1], 3, S5);
  setupLog(ctx, S4, [1], 3, S5);
  setupLog(ctx, S5, [1, 3], 3, S5);
  ctx.sim.crash(S5);
}

/** (c): S1 times out first and wins term 4 with S2, S3, S4 (its last entry, term 2, beats theirs). Then `cut` hears nothing from it. */
function electS1(ctx: ScenarioContext, cut: readonly NodeId[]): number {
  fireElectionTimer(ctx, S1, 1);
  if (!runUntil(ctx, () => stateOf(ctx, S1).role === "leader", 500)) {
    ctx.fail("scenario-setup", `S1 (n1) campaigned in term 4 and did not win within 500 ms; S2, S3 and S4 should have voted for it: ${roles(ctx)}`);
  }
  for (const to of cut) ctx.sim.cutLink(S1, to);
  return stateOf(ctx, S1).currentTerm;
}

export default [
  defineScenario({
    name: "§5.4.2 Figure 8: a leader never commits an entry of an earlier term by counting replicas",
    section: "§5.4.2, Figure 8",
    tags: ["core", "replication", "figure8"],
    nodes: 5,
    config: CORE,
    steps: [
      code("play Figure 8 (a)-(d): S1 must not commit entry 2, and S5 then replaces it", (ctx) => {
        setupFigure8b(ctx);
        const applied = new AppliedEntries(ctx);
        // (c) S1 leads term 4, but none of its own messages get through.
        const term = electS1(ctx, [S2, S3, S4]);
        // S1 copies its entry 2 onto S3 (and S2 confirms it has it): entry 2 is on S1, S2, S3.
        const copy = appendEntriesCopy(stateOf(ctx, S1), 2, 2, stateOf(ctx, S1).commitIndex);
        if (copy.entries.length !== 1 || copy.entries[0].term !== 2) ctx.fail("scenario-setup", `S1's log should hold entry 2 of term 2, it holds [${logTerms(ctx, S1).join(" ")}]`);
        ctx.sim.note("Figure 8 (c): entry 2 (term 2) reaches S2 and S3; S1's own entry of term 4 reaches no one");
        injectAs(ctx, S1, S2, copy);
        injectAs(ctx, S1, S3, copy);
        runFor(ctx, 30); // the acknowledgements reach S1
        // Entry 2 is on a majority, but it is of term 2: S1 (term ${term}) must not commit it.
        const c = stateOf(ctx, S1).commitIndex;
        if (c >= 2) {
          ctx.fail(
            "commit-old-term",
            `S1, leader of term ${term}, set its commitIndex to ${c} because entry 2 (term 2) is on S1, S2 and S3. A leader commits only entries of its own term by counting replicas (§5.4.2): S5 can still win term 5 and overwrite entry 2, as Figure 8 (d) shows`,
          );
        }
        // (d) S1 crashes; S5 comes back and wins with S2, S3, S4 (its last entry, term 3, beats their term 2).
        ctx.sim.note("Figure 8 (d): S1 crashes, S5 campaigns");
        ctx.sim.crash(S1);
        ctx.sim.heal();
        ctx.sim.restart(S5);
        for (let i = 0; i < 3 && stateOf(ctx, S5).role !== "leader"; i++) {
          fireElectionTimer(ctx, S5, 1);
          runUntil(ctx, () => stateOf(ctx, S5).role === "leader", 20);
        }
        if (stateOf(ctx, S5).role !== "leader") {
          ctx.fail("scenario-setup", `S5 campaigned three times and did not win; S2, S3 and S4 should vote for it, since its last entry (term 3) is more up-to-date than theirs (term 2) (§5.4.1): ${roles(ctx)}`);
        }
        const up = [S2, S3, S4, S5];
        expectAppliedIndex(ctx, applied, 3, up, 2000, "S5 leads term 5; once its no-op (index 3) is on a majority, entries 1-3 are committed");
        for (const id of up) {
          if (applied.termAt(id, 2) !== 3) ctx.fail("figure-8", `${id} applied the entry of term ${applied.termAt(id, 2)} at index 2; S5's entry there has term 3`);
        }
        // S1 returns and its entries 2 and 3 are replaced.
        ctx.sim.restart(S1);
        expectAppliedIndex(ctx, applied, 3, ctx.cluster.servers, 2000, "S1 rejoined: its entries 2 (term 2) and 3 (term 4) conflict with S5's and must be replaced");
        expectApplied(ctx, propose(ctx, S5, 1), ctx.cluster.servers, 2000);
        const want = logTerms(ctx, S5).join(" ");
        for (const id of ctx.cluster.servers) {
          if (logTerms(ctx, id).join(" ") !== want) ctx.fail("logs-differ", `${id}'s log has terms [${logTerms(ctx, id).join(" ")}], the leader S5's [${want}]`);
        }
      }),
    ],
  }),

  defineScenario({
    name: "§5.4.2 Figure 8 (e): once the leader's own entry is on a majority, the older entry before it is committed and S5 cannot win",
    section: "§5.4.2, Figure 8",
    tags: ["core", "replication", "figure8"],
    nodes: 5,
    config: CORE,
    steps: [
      code("play Figure 8 (a)-(c) and (e): S1's term-4 entry reaches S2 and S3 before S1 crashes", (ctx) => {
        setupFigure8b(ctx);
        const applied = new AppliedEntries(ctx);
        electS1(ctx, [S4]);
        expectAppliedIndex(ctx, applied, 3, [S1, S2, S3], 2000, "S1 leads term 4 and reaches S2 and S3: its no-op at index 3 is on a majority, so entries 1-3 are committed");
        ctx.sim.note("Figure 8 (e): S1 crashes after committing; S5 campaigns and must lose");
        ctx.sim.crash(S1);
        ctx.sim.heal();
        ctx.sim.restart(S5);
        onSend(ctx, (from, _to, msg) =>
          from === S5 && msg.type === "AppendEntries"
            ? violation("figure-8", `S5 leads term ${msg.term}, but entries 2 (term 2) and 3 (term 4) were committed and S5 lacks them; S2 and S3 hold them and must refuse S5 their votes (§5.4.1)`, "§5.4.2, Figure 8", S5)
            : undefined,
        );
        for (let i = 0; i < 3; i++) {
          fireElectionTimer(ctx, S5, 1);
          runFor(ctx, 30);
        }
        const up = [S2, S3, S4, S5];
        const l = stableLeader(ctx, 3000, up);
        expectAppliedIndex(ctx, applied, 3, up, 2000, `${l} leads; every server should apply the committed entries 1-3`);
        for (const id of up) {
          if (applied.termAt(id, 2) !== 2) ctx.fail("figure-8", `${id} applied the entry of term ${applied.termAt(id, 2)} at index 2; the committed entry there has term 2`);
        }
        ctx.sim.restart(S1);
        expectApplied(ctx, propose(ctx, stableLeader(ctx, 3000), 1), ctx.cluster.servers, 2000);
      }),
    ],
  }),
];
