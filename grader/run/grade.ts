// One grading run: plan (load the scenarios, pick seeds, shard), execute (the
// worker pool), and assemble the result every reporter renders.
import { availableParallelism } from "node:os";
import { Coverage, CoverageBatch } from "../../harness/sim/index.ts";
import { resolve } from "node:path";
import { type LabDef, RAFT_MODULES, type RaftModuleName } from "../labs.ts";
import { type LoadedScenario, displayPath, loadScenarios } from "../load.ts";
import { type GradeResult, type ImplKind, type ScenarioResult, type SeedResult, scoreOf } from "../report/model.ts";
import { isCore } from "../scenario.ts";
import { type ImplChoice, implFor } from "../subjects/index.ts";
import { runJobs } from "./pool.ts";
import type { JobSpec } from "./protocol.ts";
import { type Shard, seedsFor, shardPairs } from "./seeds.ts";

export interface GradeOptions {
  /** The lab argument as typed, normalized ("lab2", "all", "selftest"). */
  labArg: string;
  labs: readonly LabDef[];
  impl: ImplChoice;
  /** --seeds N (null: each scenario's default). */
  seeds: number | null;
  /** --seed S: run only this seed. */
  seed: number | null;
  /** --scenario NAME: run only this one. */
  scenario: string | null;
  scenarioDirs: readonly string[];
  shard: Shard | null;
  traceDir: string;
  traceAll: boolean;
  workers: number;
  heapMb: number;
  /** --timeout: wall-clock limit per seed in ms, overriding the scenarios' own. */
  timeoutMs: number | null;
  /** --shrink: shrink the fault schedule of each scenario's first failing seed. */
  shrink: boolean;
  /** --keep-faults: replay only these fault actions of the schedule (from a --shrink report). */
  keepFaults: number[] | null;
}

export const DEFAULT_HEAP_MB = 1024;
export const LOAD_TIMEOUT_MS = 30_000;

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** A problem with the command line: exit 2 with this message. */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface PlannedScenario {
  loaded: LoadedScenario;
  seeds: number[];
}

export interface Plan {
  opts: GradeOptions;
  scenarios: PlannedScenario[];
  totalSeeds: number;
}

function normalizeName(name: string): string {
  return name.trim().replace(/^§\s*/, "").toLowerCase();
}

/** Loads and selects what a run will do. Throws UsageError or ScenarioError. */
export async function planGrade(opts: GradeOptions): Promise<Plan> {
  let loaded = await loadScenarios(opts.labs, opts.scenarioDirs.map((d) => resolve(d)));
  if (opts.scenario !== null) {
    const want = normalizeName(opts.scenario);
    const hits = loaded.filter((l) => normalizeName(l.scenario.name) === want);
    if (hits.length === 0) {
      const names = loaded.map((l) => l.scenario.name);
      const close = names.filter((n) => normalizeName(n).includes(want) || want.includes(normalizeName(n)));
      throw new UsageError(
        `no scenario named "${opts.scenario}" in ${opts.labArg}.` +
          (close.length > 0 ? `\nDid you mean: ${close.map((n) => `"${n}"`).join(", ")}?` : "") +
          `\nScenarios of ${opts.labArg}:\n${names.map((n) => `  ${n}`).join("\n") || "  (none)"}`,
      );
    }
    loaded = hits;
  }
  if (loaded.length === 0) {
    throw new UsageError(`${opts.labArg} has no scenarios yet (looked in grader/suites/${opts.labs.length === 1 ? opts.labs[0].name : "<lab>"}/${opts.scenarioDirs.length > 0 ? " and --scenarios" : ""})`);
  }
  const pairs: { i: number; seed: number }[] = [];
  loaded.forEach((l, i) => {
    const seeds = opts.seed !== null ? [opts.seed] : seedsFor(l.scenario.name, opts.seeds ?? l.scenario.seeds);
    for (const seed of seeds) pairs.push({ i, seed });
  });
  const mine = shardPairs(pairs, opts.shard);
  const scenarios: PlannedScenario[] = loaded.map((l) => ({ loaded: l, seeds: [] }));
  for (const p of mine) scenarios[p.i].seeds.push(p.seed);
  const kept = scenarios.filter((s) => s.seeds.length > 0);
  return { opts, scenarios: kept, totalSeeds: mine.length };
}

export interface GradeCallbacks {
  onSeedStart?(scenario: PlannedScenario, seed: number): void;
  onSeed?(scenario: PlannedScenario, result: SeedResult): void;
  /** Called in plan order, as soon as a scenario and all before it are done. */
  onScenario?(result: ScenarioResult): void;
}

export function implKind(opts: GradeOptions): ImplKind {
  return opts.impl.solution ? "solution" : "student";
}

/** Runs a plan on the worker pool. */
export async function executePlan(plan: Plan, cb: GradeCallbacks = {}): Promise<GradeResult> {
  const t0 = performance.now();
  const { opts } = plan;
  const jobs: JobSpec[] = plan.scenarios.map((p, jobId) => ({
    jobId,
    lab: p.loaded.lab.name,
    file: p.loaded.file,
    name: p.loaded.scenario.name,
    impl: implFor(p.loaded.lab, opts.impl),
    seeds: p.seeds,
    trace: { dir: resolve(opts.traceDir), all: opts.traceAll },
    shrink: opts.shrink,
    keepFaults: opts.keepFaults,
  }));
  const seedResults = plan.scenarios.map(() => new Map<number, SeedResult>());
  const started = plan.scenarios.map(() => Infinity);
  const finished: (ScenarioResult | null)[] = plan.scenarios.map(() => null);
  let flushed = 0;
  const flush = () => {
    while (flushed < finished.length && finished[flushed] !== null) cb.onScenario?.(finished[flushed++]!);
  };
  // Big jobs first keeps both cores busy to the end; results are still reported in plan order.
  const order = [...jobs].sort((a, b) => b.seeds.length * (plan.scenarios[b.jobId].loaded.scenario.nodes) - a.seeds.length * plan.scenarios[a.jobId].loaded.scenario.nodes || a.jobId - b.jobId);
  await runJobs(
    order,
    {
      size: opts.workers,
      heapMb: opts.heapMb,
      loadTimeoutMs: LOAD_TIMEOUT_MS,
      wallMsPerSeed: (job) => opts.timeoutMs ?? plan.scenarios[job.jobId].loaded.scenario.wallMsPerSeed,
      forwardOutput: plan.totalSeeds === 1,
    },
    {
      onSeedStart(job, seed) {
        started[job.jobId] = Math.min(started[job.jobId], performance.now());
        cb.onSeedStart?.(plan.scenarios[job.jobId], seed);
      },
      onSeed(job, result) {
        seedResults[job.jobId].set(result.seed, result);
        cb.onSeed?.(plan.scenarios[job.jobId], result);
      },
      onJobDone(job) {
        const p = plan.scenarios[job.jobId];
        const got = seedResults[job.jobId];
        const seeds = p.seeds.map(
          (seed) =>
            got.get(seed) ?? { seed, passed: false, virtualMs: 0, wallMs: 0, traceHash: "", failure: { rule: "not-run", section: "", message: "not run", kind: "not-run" as const, timeMs: null, eventIndex: null, step: null, stack: null, lastEvents: [], nodes: [], trace: null, timeline: null } },
        );
        const s = p.loaded.scenario;
        const coverageGap = coverageGapOf(s.requires, seeds, opts);
        const begin = Number.isFinite(started[job.jobId]) ? started[job.jobId] : performance.now();
        finished[job.jobId] = {
          lab: p.loaded.lab.name,
          name: s.name,
          section: s.section,
          tags: [...s.tags],
          points: s.points,
          visibility: s.visibility,
          source: `${s.source.file}:${s.source.line}`,
          externalDir: p.loaded.externalDir === null ? null : displayPath(p.loaded.externalDir),
          passed: seeds.every((r) => r.passed) && coverageGap === null,
          seeds,
          wallMs: Math.round(performance.now() - begin),
          coverageGap,
        };
        flush();
      },
    },
  );
  flush();
  const scenarios = finished.filter((s): s is ScenarioResult => s !== null);
  const score = scoreOf(scenarios);
  const passed = scenarios.filter((s) => isCore(s)).every((s) => s.passed);
  return {
    lab: opts.labArg,
    labs: opts.labs.map((l) => l.name),
    impl: implKind(opts),
    useReference: [...opts.impl.useReference],
    keepFaults: opts.keepFaults,
    passed,
    score,
    scenarios,
    wallMs: Math.round(performance.now() - t0),
    nextStep: nextStep(opts, scenarios, passed),
    shard: opts.shard === null ? null : `${opts.shard.index}/${opts.shard.count}`,
  };
}

/**
 * Which required cases no seed reached. Not judged when only some seeds run
 * (--seed, --shard): a replay or a shard need not cover everything.
 */
function coverageGapOf(requires: readonly string[], seeds: readonly SeedResult[], opts: GradeOptions): string | null {
  if (requires.length === 0 || opts.seed !== null || opts.shard !== null || !seeds.every((r) => r.passed)) return null;
  const batch = new CoverageBatch();
  for (const r of seeds) {
    const c = new Coverage();
    for (const [name, n] of r.cases ?? []) c.hit(name, n);
    batch.add(c);
  }
  return batch.explainMissing(requires) ?? null;
}

/** Quotes an argument for a POSIX shell, readably when it can. */
export function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `"${arg.replace(/(["\\$`])/g, "\\$1")}"`;
}

/** The command that replays exactly one seed of one scenario (with only the kept faults, for a shrunk schedule). */
export function replayCommand(
  opts: Pick<GradeOptions, "impl"> & { keepFaults?: number[] | null },
  scenario: Pick<ScenarioResult, "lab" | "name" | "externalDir">,
  seed: number,
  keepFaults: readonly number[] | null = opts.keepFaults ?? null,
): string {
  const parts = ["npm run grade", scenario.lab, "--", "--seed", String(seed), "--scenario", shellQuote(scenario.name)];
  if (keepFaults !== null) parts.push("--keep-faults", keepFaults.length === 0 ? "none" : keepFaults.join(","));
  if (opts.impl.solution) parts.push("--solution");
  else if (opts.impl.useReference.length > 0) parts.push("--use-reference", opts.impl.useReference.join(","));
  if (scenario.externalDir !== null) parts.push("--scenarios", shellQuote(scenario.externalDir));
  return parts.join(" ");
}

function nextStep(opts: GradeOptions, scenarios: readonly ScenarioResult[], passed: boolean): string {
  const prefix = opts.shard === null ? "" : `shard ${opts.shard.index}/${opts.shard.count}: `;
  if (passed) {
    if (opts.scenario !== null || opts.seed !== null) return `${prefix}this run passes; now grade the whole lab: npm run grade ${opts.labArg}${opts.impl.solution ? " -- --solution" : ""}`;
    if (opts.labs.length === 1) {
      const lab = opts.labs[0];
      return `${prefix}all core scenarios pass: ${lab.nextLesson === null ? "that was the last lab, well done" : `go on to ${lab.nextLesson}`}`;
    }
    return `${prefix}all core scenarios of ${opts.labs.map((l) => l.name).join(", ")} pass`;
  }
  const first = scenarios.find((s) => isCore(s) && !s.passed);
  if (first === undefined) return `${prefix}fix the failing core scenarios`;
  const seed = first.seeds.find((r) => !r.passed && r.failure?.kind !== "not-run") ?? first.seeds.find((r) => !r.passed);
  if (seed === undefined) return `${prefix}"${first.name}" passes on every seed but never reached a case it must test: run more seeds (--seeds N) or make the scenario reach it`;
  return `${prefix}fix "${first.name}" first; replay it with: ${replayCommand(opts, first, seed.seed)}`;
}

/** Modules named in --use-reference, checked. */
export function parseModuleList(text: string): RaftModuleName[] {
  const names = text
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
  for (const n of names) {
    if (!(RAFT_MODULES as readonly string[]).includes(n)) throw new UsageError(`--use-reference: unknown module "${n}"; choose from ${RAFT_MODULES.join(", ")}`);
  }
  if (names.length === 0) throw new UsageError(`--use-reference needs module names, e.g. --use-reference election,replication (choose from ${RAFT_MODULES.join(", ")})`);
  return names as RaftModuleName[];
}
