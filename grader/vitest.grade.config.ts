// The grader's own Vitest config, used only by `npm run grade <lab> -- --ui`:
// one test per scenario of the lab, each run through the guarded worker pool.
// Kept apart from the repo's vitest.config.ts so `npm test` never runs the labs.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["grader/vitest/lab.grade.ts"],
    root: new URL("..", import.meta.url).pathname,
    // The pool's own wall-clock guard stops stuck code; this only bounds the whole scenario.
    testTimeout: 600_000,
    pool: "forks",
    fileParallelism: false,
  },
});
