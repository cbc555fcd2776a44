// The text scenario format: what it parses to, and errors that name the file,
// the line and what was expected.
import { describe, expect, test } from "vitest";
import { describeStep, parseScenarioText, steps } from "../dsl.ts";
import { ScenarioError } from "../scenario.ts";

const STALE_LOG = `# 5.4.1: a node with a stale log cannot become leader
tags core election
points 3
nodes 5
timing election 150..300 heartbeat 50
run until leader
remember leader as $old
partition {leader} | rest
propose 3 on leader     # these never commit
run 1s
expect no-leader-among {1}
expect committed 0 on {2, 3}
expect leader not in {$old} within 2s
`;

function parseError(text: string): ScenarioError {
  try {
    parseScenarioText(text, "private/x.scenario");
  } catch (err) {
    if (err instanceof ScenarioError) return err;
    throw err;
  }
  throw new Error("expected a ScenarioError");
}

describe("text scenarios", () => {
  test("a header comment gives the name and section; directives fill the data; steps keep their lines", () => {
    const [s] = parseScenarioText(STALE_LOG, "suites/x.scenario");
    expect(s.name).toBe("§5.4.1 a node with a stale log cannot become leader");
    expect(s.section).toBe("§5.4.1");
    expect(s.tags).toEqual(["core", "election"]);
    expect(s.points).toBe(3);
    expect(s.nodes).toBe(5);
    expect(s.config).toEqual({ electionTimeoutMinMs: 150, electionTimeoutMaxMs: 300, heartbeatIntervalMs: 50 });
    expect(s.steps.map((x) => x.do)).toEqual(["runUntil", "remember", "partition", "propose", "run", "expect", "expect", "expect"]);
    expect(s.steps[2]).toMatchObject({ do: "partition", groups: [["leader"], ["rest"]], line: 8 });
    expect(s.steps[5]).toMatchObject({ do: "expect", cond: { kind: "noLeader", among: ["n1"] }, timing: { mode: "now" } });
    expect(s.steps[7]).toMatchObject({ do: "expect", cond: { kind: "leaderNotIn", among: ["$old"] }, timing: { mode: "within", ms: 2000 } });
    expect(s.source).toEqual({ file: "suites/x.scenario", line: 1 });
  });

  test("several scenarios share a file, separated by ---; defaults apply", () => {
    const all = parseScenarioText("scenario one\nrun 1s\n---\nscenario two\nextra\nrun 2s\n", "f.scenario");
    expect(all.map((s) => [s.name, s.tags, s.seeds, s.nodes, s.source.line])).toEqual([
      ["one", ["core"], 10, 3, 1],
      ["two", ["extra"], 10, 3, 4],
    ]);
  });

  test("steps print back in the same format", () => {
    const [s] = parseScenarioText(STALE_LOG, "x");
    expect(s.steps.map(describeStep)).toEqual([
      "run until one leader within 10s",
      "remember leader as $old",
      "partition leader | rest",
      "propose 3 on leader",
      "run 1s",
      "expect no leader among {n1}",
      "expect committed 0 on {n2, n3}",
      "expect leader not in $old within 2s",
    ]);
  });

  test.each([
    ["scenario s\nrun 2 seconds\n", 2, 'expected a duration such as 500ms or 2s, got "2"'],
    ["scenario s\nrun 1s\nexpect a miracle\n", 3, 'expected "leader", got "miracle"'],
    ["scenario s\nexpect two leaders\n", 2, 'unknown condition "two"'],
    ["scenario s\nfrobnicate n1\n", 2, 'unknown step "frobnicate"'],
    ["scenario s\npartition {n1, n2}\n", 2, "a partition needs at least two groups"],
    ["scenario s\ncrash n1 n2\n", 2, 'unexpected "n2" at the end of the line'],
    ["scenario s\ncrash {leader, bob}\n", 2, '"bob" is not a server'],
    ["scenario s\nexpect no election\n", 2, 'add "for DURATION"'],
    ["scenario s\nrun 1s\nnodes 3\n", 3, '"nodes" describes the whole scenario: put it before the first step'],
    ["scenario s\nswarm partitions earthquakes\nrun 1s\n", 2, 'unknown swarm fault "earthquakes"'],
    ["scenario s\ntags core extra\nrun 1s\n", 1, 'exactly one of "core" and "extra"'],
    ["nodes 3\nrun 1s\n", 1, "a scenario needs a name"],
    ["scenario s\nnodes 3\n", 1, "has no steps"],
    ["scenario s\nfaults drop 1.5\nrun 1s\n", 2, "drop as a probability from 0 to 1"],
  ])("error %#: names file and line, says what was expected", (text, line, detail) => {
    const err = parseError(text);
    expect(err.file).toBe("private/x.scenario");
    expect(err.line).toBe(line);
    expect(err.message).toContain(`private/x.scenario:${line}: `);
    expect(err.message).toContain(detail);
  });

  test("steps`` builds steps for TS scenarios, naming the calling file in errors", () => {
    const s = steps`
      run until leader within 2s
      crash leader
      expect one leader within 3s
    `;
    expect(s.map((x) => x.do)).toEqual(["runUntil", "crash", "expect"]);
    expect(() => steps`run until lunch`).toThrow(/dsl\.test\.ts:1: unknown condition "lunch"/);
  });
});
