// Lab 3: a torn last record. Power can fail while a record is being written,
// leaving a prefix of it at the end of a file. restore() must notice (a
// checksum, harness/checksum.ts), drop it, and make sure later appends do not
// land after the garbage, or the next restart would lose them.
import { defineScenario } from "../../api.ts";
import { CORE, Promises, code, expectApplied, propose, roles, runFor, stableLeader, stateOf, tearLastRecord } from "../_lib/raft.ts";

export default [
  defineScenario({
    name: "Figure 2 a torn last record is dropped on restart, and what is written after it survives the next restart",
    section: "Figure 2",
    tags: ["core", "persistence"],
    nodes: 3,
    config: CORE,
    steps: [
      code("four times: crash a server, tear the end of its largest file, restart it, commit more, crash and restart it again", (ctx) => {
        const promises = new Promises(ctx);
        for (let round = 1; round <= 4; round++) {
          const l = stableLeader(ctx, 5000);
          expectApplied(ctx, propose(ctx, l, 3), ctx.cluster.servers, 2000);
          const victim = ctx.rng.pick(ctx.cluster.servers);
          const s = stateOf(ctx, victim);
          const pre = { term: s.currentTerm, log: s.log.all().map((e) => e.term) };
          ctx.sim.crash(victim);
          const file = tearLastRecord(ctx, victim);
          ctx.sim.restart(victim);
          runFor(ctx, 0);
          if (file === undefined) ctx.fail("nothing-on-disk", `${victim} crashed after acknowledging entries, and its disk holds no file with a record in it: persist() must write the state to s.env.storage and sync it`);
          promises.checkRestored(ctx, victim, pre);
          // Append after the repair, then restart again: the new entries must come back too.
          const l2 = stableLeader(ctx, 5000);
          expectApplied(ctx, propose(ctx, l2, 3), ctx.cluster.servers, 3000);
          const s2 = stateOf(ctx, victim);
          const pre2 = { term: s2.currentTerm, log: s2.log.all().map((e) => e.term) };
          ctx.sim.crash(victim);
          ctx.sim.restart(victim);
          runFor(ctx, 0);
          if (stateOf(ctx, victim).log.lastIndex() < pre2.log.length) {
            ctx.fail(
              "torn-tail",
              `${victim} had a torn record at the end of "${file}" after a crash; it then appended ${pre2.log.length - pre.log.length} more entries and restarted again with only ${stateOf(ctx, victim).log.lastIndex()} of its ${pre2.log.length}: the new records were written after the torn one, where restore() stops reading. Rewrite the file without the torn record when you find one (${roles(ctx)})`,
            );
          }
          promises.checkRestored(ctx, victim, pre2);
        }
      }),
    ],
  }),
];
