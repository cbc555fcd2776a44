// --watch: grade, then grade again whenever a file the grade depends on changes
// (labs/, plus solutions/ with --solution or --use-reference, plus --scenarios
// folders). Each round prints the score, the first failure and the next step.
import { existsSync, type FSWatcher, watch } from "node:fs";
import { join, resolve } from "node:path";
import type { CliOptions } from "./args.ts";
import { REPO_DIR, SUITES_DIR } from "./labs.ts";
import { clearScenarioCache } from "./load.ts";
import { EXIT_PASS, gradeOnce } from "./once.ts";
import { watchReport, wantsColor } from "./report/console.ts";
import { UsageError } from "./run/grade.ts";
import { ScenarioError } from "./scenario.ts";

/** Changes closer together than this start one round, not several. */
const DEBOUNCE_MS = 250;

export function watchedDirs(opts: CliOptions): string[] {
  const dirs = [join(REPO_DIR, "labs"), SUITES_DIR, ...opts.scenarioDirs.map((d) => resolve(d))];
  if (opts.impl.solution || opts.impl.useReference.length > 0) dirs.push(join(REPO_DIR, "solutions"));
  return dirs.filter((d) => existsSync(d));
}

export async function watchLoop(opts: CliOptions): Promise<number> {
  const st = { color: wantsColor(process.stdout, process.env) };
  const dirs = watchedDirs(opts);
  let running = false;
  let again = false;
  let timer: NodeJS.Timeout | null = null;

  const round = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    if (process.stdout.isTTY) process.stdout.write("\x1b[2J\x1b[H");
    console.log(`[${new Date().toLocaleTimeString()}] grading ${opts.labArg}…`);
    try {
      clearScenarioCache();
      const result = await gradeOnce(opts, { quietLines: true });
      console.log(watchReport(result, opts, st));
    } catch (err) {
      if (err instanceof UsageError || err instanceof ScenarioError) console.log(`grade: ${err.message}`);
      else console.log(`grade: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    console.log(`\nwatching ${dirs.map((d) => d.replace(REPO_DIR + "/", "")).join(", ")} for changes (Ctrl-C to stop)`);
    running = false;
    if (again) {
      again = false;
      void round();
    }
  };

  const watchers: FSWatcher[] = dirs.map((dir) =>
    watch(dir, { recursive: true }, (_event, file) => {
      if (file !== null && !/\.(ts|scenario|json)$/.test(String(file))) return;
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => void round(), DEBOUNCE_MS);
    }),
  );
  await round();
  return new Promise<number>((resolveExit) => {
    process.once("SIGINT", () => {
      for (const w of watchers) w.close();
      if (timer !== null) clearTimeout(timer);
      resolveExit(EXIT_PASS);
    });
  });
}
