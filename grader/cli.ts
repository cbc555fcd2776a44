// `npm run grade <lab|all> [-- flags]`: the grader's entry point.
// Exit status: 0 iff every selected core scenario passed; 1 if one failed;
// 2 for bad arguments or a broken scenario file.
import { runMain, usageFailure } from "./main.ts";
import { type CliOptions, helpText, parseArgs } from "./args.ts";
import { EXIT_FAIL, EXIT_PASS, EXIT_USAGE, gradeOnce } from "./once.ts";
import { loadScenarios } from "./load.ts";
import { finalReport, wantsColor } from "./report/console.ts";
import { writeReports } from "./report/files.ts";

async function listScenarios(opts: CliOptions): Promise<void> {
  const loaded = await loadScenarios(opts.labs, opts.scenarioDirs);
  for (const lab of opts.labs) {
    console.log(`${lab.name} (${lab.alias}): ${lab.title} — ${lab.lesson}`);
    for (const l of loaded.filter((x) => x.lab === lab)) {
      const s = l.scenario;
      console.log(`  ${s.name}  [${s.tags.join(", ")}; ${s.points} pt; ${s.seeds} seeds; ${s.source.file}:${s.source.line}]`);
    }
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv, process.env);
  } catch (err) {
    return usageFailure("grade", err);
  }
  if (opts.help) {
    console.log(helpText());
    return EXIT_PASS;
  }
  try {
    if (opts.list) {
      await listScenarios(opts);
      return EXIT_PASS;
    }
    if (opts.ui) {
      const { openUi } = await import("./ui.ts");
      return await openUi(argv);
    }
    if (opts.watch) {
      const { watchLoop } = await import("./watch.ts");
      return await watchLoop(opts);
    }
    const result = await gradeOnce(opts);
    const st = { color: wantsColor(process.stdout, process.env) };
    console.log(finalReport(result, opts, st));
    for (const file of writeReports(result, opts)) console.log(`wrote ${file}`);
    if (opts.traceAll) console.log(`traces of every seed (.jsonl, and .html timelines): ${opts.traceDir}/<lab>/<scenario>/seed-<seed>.*`);
    return result.passed ? EXIT_PASS : EXIT_FAIL;
  } catch (err) {
    return usageFailure("grade", err);
  }
}

runMain("grade", "your code", () => main(process.argv.slice(2)));
