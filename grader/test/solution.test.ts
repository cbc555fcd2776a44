// The course proves itself: the reference passes every lab's core scenarios
// with the default seeds, fast enough for a student's laptop (issue #6: under
// 30 s for labs 1-3 on two cores).
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import type { JsonReport } from "../report/files.ts";
import { grade } from "./validate.ts";

test("npm run grade all -- --solution passes every core scenario in under 30 s", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "grade-solution-")), "all.json");
  const r = await grade(["all", "--solution", "--json", file]);
  const report = JSON.parse(readFileSync(file, "utf8")) as JsonReport;
  const failed = report.scenarios.filter((s) => !s.passed && s.tags.includes("core")).map((s) => s.name);
  expect(failed, r.stdout.slice(-4000)).toEqual([]);
  expect(r.code).toBe(0);
  expect(report.scenarios.length).toBeGreaterThan(0);
  for (const s of report.scenarios) expect(s.seeds.length).toBeGreaterThanOrEqual(10);
  // The grading itself (wallMs excludes tsx's start-up); the whole command takes about a second more.
  expect(report.wallMs).toBeLessThan(30_000);
}, 120_000);
