// --ui: opens the lab's suite in the Vitest UI (grader/vitest/lab.grade.ts),
// passing the command line through the environment.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { GRADER_DIR, REPO_DIR } from "./labs.ts";

export function openUi(argv: readonly string[]): Promise<number> {
  const vitest = join(REPO_DIR, "node_modules", "vitest", "vitest.mjs");
  const child = spawn(process.execPath, [vitest, "--ui", "--config", join(GRADER_DIR, "vitest.grade.config.ts")], {
    cwd: REPO_DIR,
    stdio: "inherit",
    env: { ...process.env, GRADE_ARGV: JSON.stringify(argv) },
  });
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
}
