// Runs one scenario on one seed, in the calling thread, and describes the
// outcome. The worker calls this for every seed; tests call it directly. It has
// no guard against a node that never returns: that is the worker pool's job.
import { type Monitor, Prng, type SimEvent, Simulation, describeEvent } from "../../harness/sim/index.ts";
import type { Json, NodeId } from "../../harness/types.ts";
import { CaseCounter } from "../cases.ts";
import type { FaultFilter } from "./faults.ts";
import { Cluster, ExpectationFailed, Observer } from "../cluster.ts";
import { describeStep } from "../dsl.ts";
import type { FailureInfo, NodeReport } from "../report/model.ts";
import { type Scenario, type ScenarioContext, type Step, serverIds } from "../scenario.ts";
import type { Subject } from "../subject.ts";

export interface SeedRunOptions {
  /** "full" keeps every trace record (for writing a trace file); "ring" only the last ones. */
  traceMode: "ring" | "full";
  /** Put node states into the trace (for the timeline viewer); never changes the hash. */
  recordStates: boolean;
  /** Extra monitors (the worker's progress probe). */
  monitors?: readonly Monitor[];
  /** Called as each step starts (the worker records its line for the hang report). */
  onStep?: (step: Step) => void;
  /** Number (and possibly drop) the faults scheduled actions apply: --shrink and --keep-faults. */
  faults?: FaultFilter;
}

export interface SeedRun {
  passed: boolean;
  virtualMs: number;
  wallMs: number;
  traceHash: string;
  failure: FailureInfo | null;
  sim: Simulation<Json> | null;
}

/** How many trace events per server a failure report shows (fewer when it shows many servers). */
const LAST_EVENTS_ONE_NODE = 10;
const LAST_EVENTS_MANY_NODES = 5;
/** At most this many servers' events in a report. */
const MAX_NODES_IN_REPORT = 5;

class ScenarioCodeFailure extends Error {
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

export function runSeed(scenario: Scenario, subject: Subject, seed: number, opts: SeedRunOptions): SeedRun {
  const t0 = performance.now();
  const ids = serverIds(scenario.nodes);
  const configError = subject.checkConfig(scenario.config);
  if (configError !== undefined) {
    return {
      passed: false,
      virtualMs: 0,
      wallMs: performance.now() - t0,
      traceHash: "",
      failure: bareFailure("scenario-error", "scenario-error", `${scenario.source.file}:${scenario.source.line}: ${configError}`, scenario.section),
      sim: null,
    };
  }
  const observer = new Observer(subject);
  const cases = new CaseCounter(subject);
  const sim = new Simulation<Json>({
    seed,
    nodes: ids,
    factory: subject.factory(ids, scenario.config),
    monitors: [observer, cases, ...subject.monitors(ids, scenario.config), ...(opts.monitors ?? [])],
    traceMode: opts.traceMode,
    recordStates: opts.recordStates,
    linkFaults: scenario.faults,
  });
  cases.coverage = sim.coverage;
  opts.faults?.install(sim);
  const rng = new Prng(seed, "scenario");
  const cluster = new Cluster(sim, subject, observer, scenario, rng);
  const ctx: ScenarioContext = {
    seed,
    cluster,
    sim,
    rng,
    fail(rule: string, message: string): never {
      throw new ScenarioCodeFailure(rule, message);
    },
  };

  let failure: FailureInfo | null = null;
  let current: Step | null = null;
  for (const step of scenario.steps) {
    if (sim.failure !== null) break;
    current = step;
    opts.onStep?.(step);
    sim.note(`step: ${describeStep(step)}`);
    if (sim.failure !== null) break;
    try {
      cluster.runStep(step, ctx, seed);
    } catch (err) {
      failure = stepFailure(err, scenario, sim, cluster, step);
      break;
    }
  }
  if (failure === null && sim.failure === null) sim.finish();
  if (failure === null && sim.failure !== null) {
    const f = sim.failure;
    const kind = f.rule === "uncaught-exception" ? "exception" : f.rule === "scenario-error" ? "scenario-error" : "violation";
    failure = {
      ...bareFailure(f.rule, kind, f.message, f.section ?? ""),
      timeMs: f.timeMs,
      eventIndex: f.eventIndex,
      stack: f.stack ?? null,
      lastEvents: lastEvents(sim, involved(sim, cluster, f.node === undefined ? [] : [f.node])),
      nodes: nodeReports(sim, cluster),
    };
  }
  if (failure !== null) {
    failure.step = current === null ? null : `${current.line !== undefined ? `line ${current.line}: ` : ""}${describeStep(current)}`;
    if (failure.kind === "expectation" || failure.kind === "scenario-error") {
      // The timeline shows where it went wrong; notes are hashed, so this stays deterministic.
      if (sim.failure === null) sim.note(`FAILED ${failure.rule}: ${failure.message}`);
    }
  }
  return { passed: failure === null, virtualMs: sim.now(), wallMs: performance.now() - t0, traceHash: sim.trace.hash(), failure, sim };
}

function stepFailure(err: unknown, scenario: Scenario, sim: Simulation<Json>, cluster: Cluster, step: Step): FailureInfo {
  const base = { timeMs: sim.now(), eventIndex: sim.trace.count - 1, nodes: nodeReports(sim, cluster) };
  if (err instanceof ExpectationFailed) {
    const kind = err.rule === "scenario-error" ? "scenario-error" : "expectation";
    return { ...bareFailure(err.rule, kind, err.message, scenario.section), ...base, lastEvents: lastEvents(sim, involved(sim, cluster, err.nodes)) };
  }
  if (err instanceof ScenarioCodeFailure) {
    return { ...bareFailure(err.rule, "expectation", err.message, scenario.section), ...base, lastEvents: lastEvents(sim, involved(sim, cluster, [])) };
  }
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const where = step.do === "code" ? `the scenario's code step "${step.label}"` : `the step "${describeStep(step)}"`;
  return {
    ...bareFailure("scenario-error", "scenario-error", `${where} threw: ${text} (${scenario.source.file}:${step.line ?? scenario.source.line})`, scenario.section),
    ...base,
    stack: err instanceof Error ? (err.stack ?? null) : null,
    lastEvents: [],
  };
}

export function bareFailure(rule: string, kind: FailureInfo["kind"], message: string, section: string): FailureInfo {
  return { rule, section, message, kind, timeMs: null, eventIndex: null, step: null, stack: null, lastEvents: [], nodes: [], trace: null, timeline: null };
}

/** The servers a failure is about: those named, else every server. */
function involved(sim: Simulation<Json>, cluster: Cluster, named: readonly NodeId[]): NodeId[] {
  const ids = named.length > 0 ? [...named] : [...cluster.servers];
  return ids.filter((id) => sim.nodeIds().includes(id)).slice(0, MAX_NODES_IN_REPORT);
}

/** Events that happen at a server: not the sends other servers address to it (its delivery shows those). */
function atNode(ev: SimEvent, node: NodeId): boolean {
  if (ev.kind === "state") return false;
  if (ev.kind === "send") return ev.from === node;
  if (ev.kind === "deliver") return ev.to === node;
  return true;
}

function lastEvents(sim: Simulation<Json>, ids: readonly NodeId[]): FailureInfo["lastEvents"] {
  const n = ids.length <= 2 ? LAST_EVENTS_ONE_NODE : LAST_EVENTS_MANY_NODES;
  return ids.map((node) => ({
    node,
    lines: sim.trace
      .lastFor(node, 4 * n)
      .filter((ev) => atNode(ev, node))
      .slice(-n)
      .map((ev) => describeEvent(ev, 110)),
  }));
}

function nodeReports(sim: Simulation<Json>, cluster: Cluster): NodeReport[] {
  return cluster.servers.map((id) => {
    const view = sim.inspect(id);
    let summary: string;
    try {
      summary = cluster.subject.summarize(view);
    } catch (err) {
      summary = `(could not summarize: ${err instanceof Error ? err.message : String(err)})`;
    }
    if (sim.isUp(id) && sim.isPaused(id)) summary += " (paused)";
    return { id, summary };
  });
}
