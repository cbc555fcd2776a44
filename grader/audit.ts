// `npm run audit [-- --lab N] [--json FILE]`: the mutation audit. The clean
// reference must pass every scenario; each mutant (the reference with one bug
// switch of solutions/bugs.ts on) must fail a core scenario. Prints the kill
// matrix: mutant × the first scenario and seed that caught it, the rule, the time.
// Exit status: 0 iff the clean reference passed and every mutant whose lab has
// a suite was killed; 1 otherwise; 2 for bad arguments or a broken scenario file.
import { runMain, usageFailure } from "./main.ts";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type AuditCliOptions, auditHelp, parseAuditArgs } from "./audit/args.ts";
import { runAudit } from "./audit/engine.ts";
import { auditJson, cleanLine, header, matrixHeader, mutantLine, summary } from "./audit/report.ts";

const EXIT_PASS = 0;
const EXIT_FAIL = 1;
const EXIT_USAGE = 2;

function listMutants(opts: AuditCliOptions): string {
  return opts.mutants.map((m) => `  lab ${m.lab}  ${m.id.padEnd(26)} ${m.description}${m.extraFeature ? " [extra feature]" : ""}`).join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  let opts: AuditCliOptions;
  try {
    opts = parseAuditArgs(argv, process.env);
  } catch (err) {
    return usageFailure("audit", err);
  }
  if (opts.help) {
    console.log(auditHelp());
    return EXIT_PASS;
  }
  if (opts.list) {
    console.log(listMutants(opts));
    return EXIT_PASS;
  }
  try {
    const result = await runAudit({
      mutants: opts.mutants,
      clean: opts.clean,
      workers: opts.workers,
      heapMb: opts.heapMb,
      scenarioDirs: opts.scenarioDirs,
      traceDir: opts.traceDir,
      ...(opts.suites !== null ? { labs: opts.suites } : {}),
      onPlan: (p) => {
        console.log(header(opts.mutants, p.labs, p.scenarios, opts.workers));
        if (opts.clean) console.log("running the clean reference on every scenario and seed...");
        else console.log(matrixHeader());
      },
      onClean: (c) => {
        console.log(cleanLine(c));
        console.log(matrixHeader());
      },
      onMutant: (r) => console.log(mutantLine(r)),
    });
    if (opts.json !== null) {
      mkdirSync(dirname(opts.json), { recursive: true });
      writeFileSync(opts.json, JSON.stringify(auditJson(result), null, 2) + "\n");
    }
    console.log(summary(result, { json: opts.json }));
    return result.passed ? EXIT_PASS : EXIT_FAIL;
  } catch (err) {
    return usageFailure("audit", err);
  }
}

runMain("audit", "the suite", () => main(process.argv.slice(2)));
