// The mutation audit's fast subset (.ci/run runs the full audit, `npm run audit`):
// the catalog covers every bug switch, the hunt order is the one documented,
// a few mutants of each lab are killed by core scenarios while the clean
// reference passes, and the CLI writes JSON that matches its schema.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REFERENCE_BUGS } from "../../solutions/bugs.ts";
import { findLab } from "../labs.ts";
import type { LoadedScenario } from "../load.ts";
import { UsageError } from "../run/grade.ts";
import { defineScenario } from "../scenario.ts";
import { REPO, type JsonValue, validateJson } from "../test/validate.ts";
import { parseAuditArgs } from "./args.ts";
import { type Planned, mutantRuns } from "./engine.ts";
import { MUTANTS, findMutant } from "./mutants.ts";

describe("the mutant catalog", () => {
  it("has a mutant for every bug switch of solutions/bugs.ts, and at least 25 in labs 1-3 outside optional features", () => {
    expect(MUTANTS.map((m) => m.id).sort()).toEqual(Object.keys(REFERENCE_BUGS).sort());
    expect(MUTANTS.filter((m) => m.lab <= 3 && !m.extraFeature).length).toBeGreaterThanOrEqual(25);
    for (const m of MUTANTS) expect(m.lab >= 1 && m.lab <= 7, m.id).toBe(true);
  });

  it("every bug switch is read by the reference (s.bug(\"name\") in solutions/)", () => {
    const dir = join(REPO, "solutions");
    const source = readdirSync(dir)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
      .map((f) => readFileSync(join(dir, f), "utf8"))
      .join("\n");
    const unread = MUTANTS.filter((m) => !source.includes(`bug("${m.id}")`)).map((m) => m.id);
    expect(unread, "bug switches no solution module reads: the mutant would be the clean reference").toEqual([]);
  });
});

describe("the hunt order", () => {
  const lab = (n: number) => findLab(`lab${n}`)!;
  const planned = (n: number, name: string, cost: number, core = true, cleanFailed: number[] = []): Planned => {
    const scenario = defineScenario({ name, tags: [core ? "core" : "extra"], seeds: 2, steps: [{ do: "run", ms: 1 }] }, { file: "x.ts", line: 1 });
    const loaded: LoadedScenario = { scenario, lab: lab(n), file: `/x/${name}.ts`, externalDir: null };
    return { loaded, labNo: n, seeds: [n * 100 + 1, n * 100 + 2], cost, cleanFailed: new Set(cleanFailed) };
  };
  const plan = [planned(1, "a1", 5), planned(2, "b-dear", 9), planned(2, "b-cheap", 1, true, [202]), planned(2, "b-extra", 1, false), planned(3, "c1", 1)];
  const order = (id: string) => mutantRuns(findMutant(id)!, plan).map((r) => `${r.planned.loaded.scenario.name}:${r.seed}`);

  it("own lab first, round by round (each scenario's first seed, cheapest first), then earlier labs, then later; seeds the clean reference fails are skipped; core only", () => {
    expect(order("commit-old-term")).toEqual(["b-cheap:201", "b-dear:201", "b-dear:202", "a1:101", "a1:102", "c1:301", "c1:302"]);
    expect(order("vote-twice")).toEqual(["a1:101", "a1:102", "b-cheap:201", "b-dear:201", "b-dear:202", "c1:301", "c1:302"]);
  });

  it("a bug in an optional feature is hunted by the extra scenarios", () => {
    const extra = MUTANTS.find((m) => m.extraFeature && m.lab === 1)!;
    expect(mutantRuns({ ...extra, lab: 2 }, plan).map((r) => r.planned.loaded.scenario.name)).toEqual(["b-extra", "b-extra"]);
  });
});

describe("the command line", () => {
  it("selects mutants by lab and by name, and refuses what it does not know", () => {
    const all = parseAuditArgs([]);
    expect(all.mutants.length).toBe(MUTANTS.length);
    expect(all.clean).toBe(true);
    const lab2 = parseAuditArgs(["--", "--lab", "2", "--json", "out.json"]);
    expect(lab2.mutants.every((m) => m.lab === 2)).toBe(true);
    expect(lab2.json).toBe("out.json");
    expect(parseAuditArgs(["--lab", "replication"]).lab).toBe(2);
    expect(parseAuditArgs(["--mutant", "vote-twice,no-sync", "--no-clean"]).mutants.map((m) => m.id)).toEqual(["vote-twice", "no-sync"]);
    expect(() => parseAuditArgs(["--lab", "9"])).toThrow(UsageError);
    expect(() => parseAuditArgs(["--mutant", "vote-twise"])).toThrow(/Did you mean "vote-twice"/);
    expect(() => parseAuditArgs(["--labs", "2"])).toThrow(/Did you mean --lab/);
    expect(() => parseAuditArgs(["--lab", "2", "--mutant", "vote-twice"])).toThrow(/none of the named mutants is in lab 2/);
  });
});

// The audit runs as `npm run audit` does, in its own process: its worker pool
// then never shares a thread with the test runner's.
interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: { [k: string]: JsonValue } | null;
}

function audit(args: string[], withJson = true): Promise<CliRun> {
  const file = join(mkdtempSync(join(tmpdir(), "audit-")), "audit.json");
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "grader/audit.ts", ...args, ...(withJson ? ["--json", file] : [])],
      { cwd: REPO, env: { ...process.env, CI: "true" }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
        let json: CliRun["json"] = null;
        if (withJson && existsSync(file)) json = JSON.parse(readFileSync(file, "utf8")) as { [k: string]: JsonValue };
        resolve({ code, stdout, stderr, json });
      },
    );
  });
}

type MutantJson = { id: string; status: string; killed: boolean; killedBy: { lab: string; rule: string } | null };

function byId(run: CliRun): Map<string, MutantJson> {
  const list = (run.json?.mutants ?? []) as unknown as MutantJson[];
  return new Map(list.map((m) => [m.id, m]));
}

describe("a fast audit", () => {
  it("lab 1: the clean reference passes lab 1's suite, lab 1 mutants die there, a lab without a suite says so; the JSON matches its schema", async () => {
    const r = await audit(["--suites", "lab1", "--mutant", "vote-twice,candidate-keeps-term,ignore-reply-term,vote-keeps-timer,count-stale-votes,no-dedup"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const schema = JSON.parse(readFileSync(join(REPO, "grader/audit/audit.schema.json"), "utf8")) as { [k: string]: JsonValue };
    expect(validateJson(r.json!, schema)).toEqual([]);
    expect(r.json!.clean).toMatchObject({ passed: true, failures: [] });
    const m = byId(r);
    for (const id of ["vote-twice", "candidate-keeps-term", "ignore-reply-term", "vote-keeps-timer", "count-stale-votes"]) {
      expect(m.get(id), `${id}: ${JSON.stringify(m.get(id))}`).toMatchObject({ status: "killed", killed: true, killedBy: { lab: "lab1" } });
    }
    expect(m.get("vote-keeps-timer")!.killedBy!.rule).toBe("vote-did-not-reset-timer");
    expect(m.get("count-stale-votes")!.killedBy!.rule).toBe("stale-vote-counted");
    expect(m.get("no-dedup")).toMatchObject({ status: "no-suite", killed: false, killedBy: null });
    expect(r.stdout).toMatch(/vote-twice\s+1\s+killed/);
    expect(r.stdout).toMatch(/no-dedup\s+6\s+no suite/);
  });

  it("labs 2 and 3: classic log and persistence bugs die in core scenarios of their own lab", async () => {
    const ids = ["commit-old-term", "commit-without-majority", "truncate-on-stale", "no-sync", "forget-voted-for"];
    const r = await audit(["--no-clean", "--mutant", ids.join(",")]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json!.clean).toBeNull();
    const m = byId(r);
    for (const id of ids) {
      const lab = findMutant(id)!.lab;
      expect(m.get(id), `${id}: ${JSON.stringify(m.get(id))}`).toMatchObject({ status: "killed", killedBy: { lab: `lab${lab}` } });
    }
    expect(m.get("commit-old-term")!.killedBy!.rule).toBe("commit-current-term");
  });

  it("a bad argument exits 2 and says what is wrong", async () => {
    const bad = await audit(["--lab", "nine"], false);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown lab "nine"/);
  });
});

