import { defineConfig } from "vitest/config";

// One config for the whole repo. The grader has its own config (grader/vitest.grade.config.ts)
// so that `npm test` and `npm run grade` never step on each other.
export default defineConfig({
  test: {
    include: ["harness/**/*.test.ts", "solutions/**/*.test.ts", "grader/**/*.test.ts", "labs/**/*.test.ts", "test/**/*.test.ts", "bench/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // forks, not threads: tests that start worker threads of their own (grader pools,
    // tsx loaders) and browsers were seen to hang a threads pool intermittently.
    pool: "forks",
  },
});
