// The command line end to end: bad arguments exit 2 with the valid choices;
// stuck, bloating and throwing code fails its scenario and the run goes on;
// the exit status is 0 iff every selected core scenario passed.
import { describe, expect, test } from "vitest";
import { grade } from "./validate.ts";

const BAD = "grader/test/fixtures/bad";

describe.concurrent("bad arguments exit 2 with a clear message and the valid choices", () => {
  test.each([
    [["lab9"], ['unknown lab "lab9"', "Choose one of: lab1|election", "all"]],
    [["electoin"], ['Did you mean "election"?']],
    [[], ["which lab?", "lab2|replication"]],
    [["lab1", "--seed", "abc"], ['--seed expects a whole number from 0 to 4294967295', '"abc"']],
    [["lab1", "--seed", "4294967296"], ["--seed expects a whole number"]],
    [["lab1", "--seeds", "0"], ["--seeds expects a whole number from 1"]],
    [["lab1", "--solutoin"], ["unknown flag --solutoin. Did you mean --solution?", "Valid flags:"]],
    [["lab1", "--sed", "5"], ["Did you mean --seed?"]],
    [["lab1", "--json"], ["--json needs a value"]],
    [["lab1", "--shard", "3/2"], ["--shard 3/2: I must be from 1 to N"]],
    [["lab1", "--use-reference", "election,paxos"], ['unknown module "paxos"', "election, replication"]],
    [["selftest", "--scenario", "no such thing"], ['no scenario named "no such thing"', "selftest: a leader emerges"]],
    [["selftest", "--scenarios", "/nonexistent/dir"], ["not a folder"]],
  ])("grade %j", async (args, expected) => {
    const r = await grade(args);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    for (const e of expected) expect(r.stderr).toContain(e);
  });

  test("flags npm swallowed (no -- before them) are caught, with the fix", async () => {
    const r = await grade(["lab1"], { npm_lifecycle_event: "grade", npm_config_solution: "true" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("npm run grade lab1 -- --solution");
  });

  test("a broken scenario file exits 2 naming the file, the line and what was expected", async () => {
    const r = await grade(["selftest", "--scenarios", "grader/test/fixtures/broken"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/grader\/test\/fixtures\/broken\/typo\.scenario:4: expected a duration such as 500ms or 2s, got "3"/);
  });

  test("--help documents every flag with an example", async () => {
    const r = await grade(["--help"]);
    expect(r.code).toBe(0);
    for (const flag of ["--solution", "--use-reference", "--seeds", "--seed", "--scenario", "--scenarios", "--json", "--junit", "--gradescope", "--trace", "--trace-all", "--shard", "--watch", "--ui", "--list"]) {
      expect(r.stdout).toMatch(new RegExp(`  ${flag}( [A-Z/]+)?\\n.*\\n      e\\.g\\. npm run grade`));
    }
  });
});

describe("the guard against student code that never returns, bloats or throws", () => {
  test("each fails its own scenario with a message saying so; the other scenarios still run", async () => {
    const r = await grade(["selftest", "--scenarios", BAD, "--timeout", "2", "--heap-mb", "64"]);
    expect(r.code).toBe(1);
    const out = r.stdout;
    expect(out).toMatch(/✗ fixture: a node that loops forever\s+core\s+0\/3 seeds/);
    expect(out).toMatch(/rule {5}infinite-loop\n {2}what {5}n1 never returned from handling a timer \(trace event #\d+, at t=300 ms\): the code ran for 2 s of wall-clock time without returning/);
    expect(out).toMatch(/✓ fixture: a healthy scenario after the loop\s+core\s+2\/2 seeds/);
    expect(out).toMatch(/✗ fixture: a node that allocates without bound/);
    expect(out).toMatch(/rule {5}unbounded-memory\n {2}what {5}the run used more than 64 MB of memory/);
    expect(out).toMatch(/rule {5}uncaught-exception\n {2}what {5}n1 threw while handling timer "tick" at t=300 ms: Error: toy node told to throw/);
    expect(out).toContain('replay   npm run grade selftest -- --seed');
    expect(out).toMatch(/✓ selftest: a leader emerges and stays while nothing fails/);
    // Two seconds for the hung scenario, not three (its other seeds are skipped), and no hang overall.
    expect(r.ms).toBeLessThan(30_000);
  });

  test("exit status is 0 when only an extra scenario fails", async () => {
    const r = await grade(["selftest", "--scenarios", BAD, "--scenario", "fixture: split brain fails an expectation"]);
    expect(r.stdout).toMatch(/score core 0\/0 · extra 0\/1/);
    expect(r.code).toBe(0);
  });

  test("a replayed seed prints the same failure and writes a trace and a timeline", async () => {
    const first = await grade(["selftest", "--scenarios", BAD, "--scenario", "fixture: a node that throws", "--seeds", "1"]);
    const replay = /replay {3}npm run grade (.*)$/m.exec(first.stdout)![1].split(" -- ")[1];
    const seed = /--seed (\d+)/.exec(replay)![1];
    const again = await grade(["selftest", "--seed", seed, "--scenario", "fixture: a node that throws", "--scenarios", BAD]);
    expect(again.code).toBe(1);
    const what = (s: string) => /what {5}(.*)$/m.exec(s)![1];
    expect(what(again.stdout)).toBe(what(first.stdout));
    expect(again.stdout).toMatch(/trace {4}\.grade\/traces\/selftest\/fixture-a-node-that-throws\/seed-\d+\.jsonl/);
  });
});

describe("sometimes coverage", () => {
  test("a batch whose seeds all pass but never reach a required case fails, and says which case", async () => {
    const r = await grade(["selftest", "--scenarios", "grader/test/fixtures/coverage", "--scenario", "fixture: a batch that never reaches a required case"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ fixture: a batch that never reaches a required case\s+core\s+3\/3 seeds/);
    expect(r.stdout).toContain("every seed passed, but over 3 seeds the run never reached: leader-change, torn-write");
    // A replay of one seed is not judged on coverage.
    const one = await grade(["selftest", "--scenarios", "grader/test/fixtures/coverage", "--scenario", "fixture: a batch that never reaches a required case", "--seed", "1"]);
    expect(one.code).toBe(0);
  });
});

describe("--shrink and --keep-faults", () => {
  test("shrinks a failing seed's fault schedule, and the shrunk replay still breaks the same rule", async () => {
    const dir = "grader/test/fixtures/shrink";
    const name = "fixture: n2 must never crash after a partition";
    const r = await grade(["selftest", "--scenarios", dir, "--scenario", name, "--shrink"]);
    expect(r.code).toBe(1);
    const m = /shrunk {3}(\d+) fault actions -> (\d+) that still break n2-crashed:/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![2])).toBeLessThan(Number(m![1]));
    expect(Number(m![2])).toBeGreaterThanOrEqual(2); // at least a partition and the crash
    const replay = /replay the shrunk run: npm run grade (.*)$/m.exec(r.stdout)![1];
    const args = replay.replace(" -- ", " ").match(/"[^"]*"|\S+/g)!.map((a) => a.replace(/^"|"$/g, ""));
    const again = await grade(args);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain("rule     n2-crashed");
    const none = await grade(args.map((a, i) => (args[i - 1] === "--keep-faults" ? "none" : a)));
    expect(none.code, none.stdout).toBe(0);
  });

  test("--keep-faults needs a seed", async () => {
    const r = await grade(["selftest", "--keep-faults", "1,2"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--keep-faults replays one seed: add --seed S");
  });
});
