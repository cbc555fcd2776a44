// The mutation audit: does the suite catch known bugs?
//
// 1. The clean reference runs every scenario of every lab that has a suite, on
//    each scenario's default seeds: it must pass them all (a scenario the
//    reference fails proves nothing), and the run measures what each scenario
//    costs.
// 2. Each mutant (the reference with one bug switch on) runs core scenarios
//    until one fails: its own lab's suite first, then the nearest labs'. Within
//    a lab the runs go round by round — every scenario's first seed, cheapest
//    first, then every second seed... — since most bugs are caught by one
//    scenario on most of its seeds, and a mutant stops at its first kill.
//    A mutant that no run fails survived: a scenario is missing. (A bug in an
//    optional feature — CheckQuorum, lease reads — is hunted by the extra
//    scenarios that turn the feature on: core scenarios turn it off.)
//
// Mutants run in parallel on the audit's pool (one per core), each on one thread.
import { join, resolve } from "node:path";
import type { LabDef } from "../labs.ts";
import { labsWithScenarios } from "../labs.ts";
import { type LoadedScenario, loadScenarios } from "../load.ts";
import { seedsFor } from "../run/seeds.ts";
import { isCore } from "../scenario.ts";
import type { Mutant } from "./mutants.ts";
import { AuditPool } from "./pool.ts";
import type { AuditRun, AuditTask, RunOutcome } from "./protocol.ts";

export const LOAD_TIMEOUT_MS = 30_000;

export interface AuditOptions {
  mutants: readonly Mutant[];
  /** Run the clean reference first (its verdict, and the per-scenario costs that order the mutants' runs). */
  clean: boolean;
  workers: number;
  heapMb: number;
  /** Instructors' scenario folders, audited with the built-in suites. */
  scenarioDirs: readonly string[];
  /** Write each kill's trace and timeline under DIR/<mutant>/ (null: none). */
  traceDir: string | null;
  /** Labs whose suites are used; default: every lab with scenarios. */
  labs?: readonly LabDef[];
  /** The scenarios are loaded: how many, of which labs. */
  onPlan?(plan: { labs: string[]; scenarios: number; core: number }): void;
  onClean?(result: CleanResult): void;
  onMutant?(result: MutantResult): void;
}

export interface KilledBy {
  lab: string;
  scenario: string;
  seed: number;
  rule: string;
  message: string;
  /** Virtual time of the failure, ms. */
  virtualMs: number;
  /** Its trace and timeline, when --trace asked for them. */
  trace: string | null;
  timeline: string | null;
}

/** killed; survived every planned run; no suite for its lab yet; or the audit itself failed to run it. */
export type MutantStatus = "killed" | "survived" | "no-suite" | "error";

export interface MutantResult {
  mutant: Mutant;
  status: MutantStatus;
  killedBy: KilledBy | null;
  /** Runs made, and runs planned (the runs of a survivor). */
  runs: number;
  planned: number;
  wallMs: number;
  /** For status "error": what went wrong. */
  error: string | null;
}

export interface CleanFailure {
  lab: string;
  scenario: string;
  seed: number;
  rule: string;
  message: string;
}

export interface CleanResult {
  passed: boolean;
  scenarios: number;
  runs: number;
  failures: CleanFailure[];
  wallMs: number;
}

export interface AuditResult {
  /** Labs whose suites were used. */
  labs: string[];
  clean: CleanResult | null;
  mutants: MutantResult[];
  wallMs: number;
  /** The clean reference passed and every mutant that has a suite was killed. */
  passed: boolean;
}

export interface Planned {
  loaded: LoadedScenario;
  labNo: number;
  seeds: number[];
  /**
   * Mean trace events per seed on the clean reference (0 if unmeasured): the
   * cost that orders a mutant's runs. Events, not milliseconds, so that the
   * order — and so which run kills a mutant first — is the same on every run.
   */
  cost: number;
  /** Seeds the clean reference fails: a failure there would not be the mutant's doing. */
  cleanFailed: Set<number>;
}

function labNumber(lab: LabDef): number {
  const m = /^lab(\d+)$/.exec(lab.name);
  return m === null ? Number.POSITIVE_INFINITY : Number(m[1]);
}

/** The labs in the order a mutant of `lab` tries their suites: its own, then the nearest earlier ones, then later ones. */
function labOrder(lab: number, available: readonly number[]): number[] {
  const earlier = available.filter((n) => n < lab).sort((a, b) => b - a);
  const later = available.filter((n) => n > lab).sort((a, b) => a - b);
  return [...(available.includes(lab) ? [lab] : []), ...earlier, ...later];
}

/** The runs a mutant tries, in order (see the header). */
export function mutantRuns(mutant: Mutant, plan: readonly Planned[]): { planned: Planned; seed: number }[] {
  const out: { planned: Planned; seed: number }[] = [];
  // A bug in an optional feature hides in core scenarios, which turn the
  // feature off: the extra scenarios that turn it on hunt it instead.
  const core = !mutant.extraFeature;
  for (const lab of labOrder(mutant.lab, [...new Set(plan.map((p) => p.labNo))])) {
    const group = plan.filter((p) => p.labNo === lab && isCore(p.loaded.scenario) === core);
    const byCost = [...group].sort((a, b) => a.cost - b.cost);
    const rounds = Math.max(0, ...group.map((p) => p.seeds.length));
    for (let r = 0; r < rounds; r++) {
      for (const p of byCost) {
        const seed = p.seeds[r];
        if (seed !== undefined && !p.cleanFailed.has(seed)) out.push({ planned: p, seed });
      }
    }
  }
  return out;
}

function toRuns(list: readonly { planned: Planned; seed: number }[]): AuditRun[] {
  return list.map((x, index) => ({ index, file: x.planned.loaded.file, name: x.planned.loaded.scenario.name, lab: x.planned.loaded.lab.name, seed: x.seed }));
}

export async function runAudit(opts: AuditOptions): Promise<AuditResult> {
  const t0 = performance.now();
  const labs = opts.labs ?? labsWithScenarios();
  const loaded = await loadScenarios(labs, opts.scenarioDirs);
  const plan: Planned[] = loaded.map((l) => ({
    loaded: l,
    labNo: labNumber(l.lab),
    seeds: seedsFor(l.scenario.name, l.scenario.seeds),
    cost: 0,
    cleanFailed: new Set<number>(),
  }));
  opts.onPlan?.({ labs: labs.map((l) => l.name), scenarios: plan.length, core: plan.filter((p) => isCore(p.loaded.scenario)).length });
  const wallByFile = new Map<string, number>(plan.map((p) => [`${p.loaded.file}\u0000${p.loaded.scenario.name}`, p.loaded.scenario.wallMsPerSeed]));
  const pool = new AuditPool({
    size: opts.workers,
    heapMb: opts.heapMb,
    loadTimeoutMs: LOAD_TIMEOUT_MS,
    wallMsFor: (run) => wallByFile.get(`${run.file}\u0000${run.name}`) ?? 5_000,
  });
  try {
    const clean = opts.clean ? await cleanRun(pool, plan) : null;
    if (clean !== null) opts.onClean?.(clean);
    const mutants = await mutantRunAll(pool, plan, opts);
    const passed = (clean?.passed ?? true) && mutants.every((m) => m.status === "killed" || m.status === "no-suite");
    return { labs: labs.map((l) => l.name), clean, mutants, wallMs: Math.round(performance.now() - t0), passed };
  } finally {
    await pool.close();
  }
}

async function cleanRun(pool: AuditPool, plan: Planned[]): Promise<CleanResult> {
  const t0 = performance.now();
  // One task per scenario; big ones first keeps every thread busy to the end.
  const order = plan.map((p, i) => ({ p, i })).sort((a, b) => b.p.seeds.length * b.p.loaded.scenario.nodes - a.p.seeds.length * a.p.loaded.scenario.nodes || a.i - b.i);
  const tasks: AuditTask[] = order.map(({ p, i }) => ({
    taskId: i,
    bugs: [],
    runs: toRuns(p.seeds.map((seed) => ({ planned: p, seed }))),
    stopAtFirstFailure: false,
    traceDir: null,
  }));
  const costs = plan.map(() => [] as number[]);
  const failures: CleanFailure[] = [];
  let runs = 0;
  await pool.run(tasks, {
    onRun(task, run, outcome) {
      runs++;
      const p = plan[task.taskId];
      costs[task.taskId].push(outcome.events);
      if (!outcome.passed) {
        p.cleanFailed.add(run.seed);
        failures.push({ lab: p.loaded.lab.name, scenario: p.loaded.scenario.name, seed: run.seed, rule: outcome.rule ?? "unknown", message: outcome.message ?? "" });
      }
    },
    onTaskDone() {},
  });
  plan.forEach((p, i) => {
    const c = costs[i];
    p.cost = c.length === 0 ? 0 : c.reduce((a, b) => a + b, 0) / c.length;
  });
  const key = (f: CleanFailure) => `${f.lab}\u0000${f.scenario}\u0000${String(f.seed).padStart(10, "0")}`;
  failures.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return { passed: failures.length === 0, scenarios: plan.length, runs, failures, wallMs: Math.round(performance.now() - t0) };
}

async function mutantRunAll(pool: AuditPool, plan: readonly Planned[], opts: AuditOptions): Promise<MutantResult[]> {
  const suiteLabs = new Set(plan.map((p) => p.labNo));
  const results: (MutantResult | null)[] = opts.mutants.map(() => null);
  const tasks: AuditTask[] = [];
  const runLists: { planned: Planned; seed: number }[][] = [];
  opts.mutants.forEach((mutant, i) => {
    const list = suiteLabs.has(mutant.lab) ? mutantRuns(mutant, plan) : [];
    runLists[i] = list;
    if (list.length === 0) {
      results[i] = { mutant, status: "no-suite", killedBy: null, runs: 0, planned: 0, wallMs: 0, error: null };
      return;
    }
    tasks.push({ taskId: i, bugs: [mutant.id], runs: toRuns(list), stopAtFirstFailure: true, traceDir: opts.traceDir === null ? null : join(resolve(opts.traceDir), mutant.id) });
  });
  let reported = 0;
  const flush = () => {
    while (reported < results.length && results[reported] !== null) opts.onMutant?.(results[reported++]!);
  };
  flush();
  const kills = new Map<number, { run: AuditRun; outcome: RunOutcome }>();
  const made = new Map<number, number>();
  await pool.run(tasks, {
    onRun(task, run, outcome) {
      made.set(task.taskId, (made.get(task.taskId) ?? 0) + 1);
      if (!outcome.passed && !kills.has(task.taskId)) kills.set(task.taskId, { run, outcome });
    },
    onTaskDone(task, wallMs) {
      const i = task.taskId;
      const mutant = opts.mutants[i];
      const kill = kills.get(i);
      const base = { mutant, runs: made.get(i) ?? 0, planned: task.runs.length, wallMs };
      if (kill === undefined) {
        results[i] = { ...base, status: "survived", killedBy: null, error: null };
      } else if (kill.outcome.kind === "audit-error") {
        results[i] = { ...base, status: "error", killedBy: null, error: kill.outcome.message ?? "unknown error" };
      } else {
        const p = runLists[i][kill.run.index].planned;
        results[i] = {
          ...base,
          status: "killed",
          killedBy: {
            lab: p.loaded.lab.name,
            scenario: p.loaded.scenario.name,
            seed: kill.run.seed,
            rule: kill.outcome.rule ?? "unknown",
            message: kill.outcome.message ?? "",
            virtualMs: kill.outcome.virtualMs,
            trace: kill.outcome.trace,
            timeline: kill.outcome.timeline,
          },
          error: null,
        };
      }
      flush();
    },
  });
  flush();
  return results.map((r, i) => r ?? { mutant: opts.mutants[i], status: "error", killedBy: null, runs: 0, planned: 0, wallMs: 0, error: "never ran" });
}
