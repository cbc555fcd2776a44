// The class outputs, validated against their schemas (grader/schemas/).
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { type JsonValue, grade, loadSchema, parseXml, validateJson, validateJunit } from "./validate.ts";

const dir = mkdtempSync(join(tmpdir(), "grade-formats-"));
const files = { json: join(dir, "r.json"), junit: join(dir, "junit.xml"), gradescope: join(dir, "results.json") };
let stdout = "";

beforeAll(async () => {
  // Passing and failing scenarios, core and extra, a hang and an exception: every path of every format.
  const r = await grade(["selftest", "--scenarios", "grader/test/fixtures/bad", "--timeout", "2", "--heap-mb", "64", "--seeds", "2", "--json", files.json, "--junit", files.junit, "--gradescope", files.gradescope]);
  expect(r.code, r.stderr).toBe(1);
  stdout = r.stdout;
}, 120_000);

describe("--json", () => {
  test("matches grader/schemas/result.schema.json", () => {
    const report = JSON.parse(readFileSync(files.json, "utf8")) as JsonValue;
    expect(validateJson(report, loadSchema("result.schema.json"))).toEqual([]);
  });

  test("carries the score, the failures with their replay commands, and the trace hashes", () => {
    const r = JSON.parse(readFileSync(files.json, "utf8")) as {
      lab: string;
      impl: string;
      passed: boolean;
      score: { core: [number, number]; extra: [number, number] };
      scenarios: { name: string; passed: boolean; seeds: { seed: number; traceHash: string; failure: { rule: string; replay: string } | null }[] }[];
    };
    expect(r).toMatchObject({ lab: "selftest", impl: "student", passed: false, score: { core: [5, 8], extra: [1, 2] } });
    const loop = r.scenarios.find((s) => s.name === "fixture: a node that loops forever")!;
    expect(loop.passed).toBe(false);
    expect(loop.seeds[0].failure!.rule).toBe("infinite-loop");
    expect(loop.seeds[1].failure!.rule).toBe("not-run");
    expect(loop.seeds[0].failure!.replay).toBe(`npm run grade selftest -- --seed ${loop.seeds[0].seed} --scenario "fixture: a node that loops forever" --scenarios grader/test/fixtures/bad`);
    const ok = r.scenarios.find((s) => s.passed)!;
    for (const s of ok.seeds) expect(s.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(stdout).toContain(`wrote ${files.json}`);
  });
});

describe("--junit", () => {
  test("matches grader/schemas/junit.schema.json", () => {
    expect(validateJunit(readFileSync(files.junit, "utf8"))).toEqual([]);
  });

  test("one testcase per scenario; failures carry the message and the replay command", () => {
    const root = parseXml(readFileSync(files.junit, "utf8"));
    const suite = root.children[0];
    expect(suite.attrs.get("name")).toBe("selftest");
    expect(suite.attrs.get("tests")).toBe("10");
    expect(suite.attrs.get("failures")).toBe("4");
    const cases = suite.children;
    expect(cases).toHaveLength(10);
    const hung = cases.find((c) => c.attrs.get("name") === "fixture: a node that loops forever")!;
    expect(hung.attrs.get("classname")).toBe("selftest.core");
    const failure = hung.children.find((c) => c.name === "failure")!;
    expect(failure.attrs.get("type")).toBe("infinite-loop");
    expect(failure.attrs.get("message")).toMatch(/^infinite-loop: n1 never returned .* \[seed \d+; replay: npm run grade selftest -- --seed \d+ --scenario "fixture: a node that loops forever"/);
    expect(failure.text).toContain("replay   npm run grade selftest");
    expect(cases.filter((c) => c.children.some((x) => x.name === "failure"))).toHaveLength(4);
  });
});

describe("--gradescope", () => {
  test("matches grader/schemas/gradescope.schema.json", () => {
    const results = JSON.parse(readFileSync(files.gradescope, "utf8")) as JsonValue;
    expect(validateJson(results, loadSchema("gradescope.schema.json"))).toEqual([]);
  });

  test("score and max_score per scenario from its points; the total is the sum", () => {
    const r = JSON.parse(readFileSync(files.gradescope, "utf8")) as { score: number; tests: { name: string; score: number; max_score: number; status: string; output: string; visibility: string }[] };
    const commit = r.tests.find((t) => t.name === "selftest: selftest: proposals to the leader are applied on every server")!;
    expect(commit).toMatchObject({ score: 2, max_score: 2, status: "passed", visibility: "visible" });
    const hung = r.tests.find((t) => t.name.endsWith("a node that loops forever"))!;
    expect(hung).toMatchObject({ score: 0, max_score: 1, status: "failed" });
    expect(hung.output).toContain("infinite-loop");
    expect(r.score).toBe(r.tests.reduce((a, t) => a + t.score, 0));
  });
});
