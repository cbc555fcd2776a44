// How the grader's command-line tools end: a usage mistake or a broken scenario
// file is exit 2 with one line saying what is wrong; any other throw is a bug in
// the tool itself (exit 3, with its stack), never blamed on the code under test.
import { EXIT_USAGE } from "./once.ts";
import { UsageError } from "./run/grade.ts";
import { ScenarioError } from "./scenario.ts";

export const EXIT_INTERNAL = 3;

/** Exit 2 for a usage or scenario error, printed as "tool: message"; anything else is rethrown. */
export function usageFailure(tool: string, err: unknown): number {
  if (err instanceof UsageError || err instanceof ScenarioError) {
    console.error(`${tool}: ${err.message}`);
    return EXIT_USAGE;
  }
  throw err;
}

/** Runs a tool's main and sets the exit code; an unexpected throw is reported as the tool's own bug. */
export function runMain(tool: string, whose: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`${tool}: internal error (a bug in the ${tool === "grade" ? "grader" : tool}, not in ${whose}):`);
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = EXIT_INTERNAL;
    },
  );
}
