// The scenario API. A scenario is data: what it proves (name, paper section),
// the cluster (nodes, config), the faults, the steps, the expectations, its tags
// and points; plus, optionally, a few lines of code as a step. The text format
// (grader/dsl.ts) parses into exactly these objects, so a scenario written in
// either form runs, reports and replays the same way.
//
//   import { defineScenario, steps } from "../../scenario.ts";
//   export default [
//     defineScenario({
//       name: "5.2 a leader is elected in a healthy cluster",
//       section: "§5.2",
//       tags: ["core"],
//       nodes: 5,
//       steps: steps`
//         run until leader within 2s
//         expect one leader for 3s
//       `,
//     }),
//   ];
import type { LinkFaults, Prng, Simulation, SwarmOptions } from "../harness/sim/index.ts";
import type { Json, NodeId } from "../harness/types.ts";
import type { Cluster } from "./cluster.ts";

/** Fault kinds the swarm nemesis may use in a scenario (see harness/sim/swarm.ts). */
export type SwarmKind = keyof NonNullable<SwarmOptions["allow"]>;
export const SWARM_KINDS: readonly SwarmKind[] = ["drop", "dupe", "reorder", "partitions", "oneWayCuts", "crashes", "tornWrites", "pauses", "clockDrift", "wipes"];

/** Gradescope visibility of a scenario's result. */
export type Visibility = "visible" | "hidden" | "after_due_date" | "after_published";
export const VISIBILITIES: readonly Visibility[] = ["visible", "hidden", "after_due_date", "after_published"];

/**
 * Names a set of servers, resolved when the step runs:
 * "n3" a server; "leader" the leader of the newest term (fails if none);
 * "followers" every up server but the leader; "all"; "up"; "down";
 * "rest" every server not named earlier in the same step (for partitions);
 * "random" one up server, drawn from the workload stream;
 * "$name" the servers a `remember` step saved.
 */
export type NodeRef = string;
/** A union of refs: ["leader", "n4"]. */
export type NodeSet = readonly NodeRef[];

/** What an expectation checks. */
export type Condition =
  /** Some server leads, and no other server leads in the same (newest) term. */
  | { kind: "oneLeader" }
  /** No server in the set (default: all) believes it is leader. */
  | { kind: "noLeader"; among?: NodeSet }
  /** The newest-term leader is one of the set. */
  | { kind: "leaderIn"; among: NodeSet }
  /** The newest-term leader is none of the set (or there is none). */
  | { kind: "leaderNotIn"; among: NodeSet }
  /** At least count of the scenario's proposals have been applied on every server of the set (or on a majority). */
  | { kind: "committed"; count: number; on: NodeSet | "majority" }
  /** Over the window of an `expect ... for T`, the servers sent at most this many messages in total. */
  | { kind: "messagesAtMost"; count: number }
  /** No server changed its term (no election started) — meaningful with `for T`. */
  | { kind: "termsStable" };

/** How long an expectation may take, or must hold. */
export type Timing = { mode: "now" } | { mode: "within"; ms: number } | { mode: "for"; ms: number };

/** One step of a scenario. `line` is the source line, for error messages. */
export type Step = (
  | { do: "run"; ms: number }
  | { do: "runUntil"; until: Condition; withinMs: number }
  | { do: "expect"; cond: Condition; timing: Timing }
  | { do: "partition"; groups: readonly NodeSet[] }
  | { do: "isolate"; who: NodeSet }
  | { do: "cut"; from: NodeSet; to: NodeSet }
  | { do: "heal" }
  | { do: "crash"; who: NodeSet; torn: boolean }
  | { do: "restart"; who: NodeSet }
  | { do: "pause"; who: NodeSet; ms: number }
  | { do: "clock"; who: NodeSet; driftPpm: number; offsetMs: number }
  | { do: "faults"; faults: LinkFaults }
  | { do: "propose"; count: number; on: NodeSet }
  | { do: "remember"; who: NodeSet; as: string }
  /** Runs the swarm nemesis sampled for this seed for ms, then heals everything. */
  | { do: "nemesis"; ms: number; allowMajorityDown: boolean }
  | { do: "note"; text: string }
  /** A few lines of code: throw (or call ctx.fail) to fail the seed. */
  | { do: "code"; label: string; fn: (ctx: ScenarioContext) => void }
) & { line?: number };

/** What a code step can use. */
export interface ScenarioContext {
  readonly seed: number;
  readonly cluster: Cluster;
  readonly sim: Simulation<Json>;
  /** The workload stream of this seed: use it for any random choice, so runs replay. */
  readonly rng: Prng;
  /** Fails the seed with this rule and message. */
  fail(rule: string, message: string): never;
}

/** Where a scenario was declared. */
export interface SourceRef {
  file: string;
  line: number;
}

/** A scenario as the runner sees it: every field filled in. */
export interface Scenario {
  /** Says what it proves, paper section first: "5.4.1 a stale log cannot win an election". */
  readonly name: string;
  /** The paper section, "§5.4.1" ("" if none). */
  readonly section: string;
  /** Contains exactly one of "core" and "extra"; other tags are free. */
  readonly tags: readonly string[];
  /** Points in Gradescope output. */
  readonly points: number;
  /** Servers n1..nN. */
  readonly nodes: number;
  /** Overrides of the implementation's config (for Raft: RaftConfig keys such as electionTimeoutMinMs). */
  readonly config: Readonly<Record<string, Json>>;
  /** Link faults from time 0. */
  readonly faults: LinkFaults;
  /** The fault kinds a `nemesis` step may sample. */
  readonly swarm: readonly SwarmKind[];
  /** Seeds run by default (--seeds overrides). */
  readonly seeds: number;
  /** Wall-clock limit per seed, ms: beyond it the student code is stopped. */
  readonly wallMsPerSeed: number;
  readonly visibility: Visibility;
  /** Which lab it belongs to, when declared in the file (external scenario folders). */
  readonly lab: string | null;
  /**
   * "Sometimes" cases the seeds together must reach (see grader/cases.ts), or
   * the scenario fails: a pass that never exercised them would prove nothing.
   */
  readonly requires: readonly string[];
  readonly steps: readonly Step[];
  readonly source: SourceRef;
}

/** What a scenario author writes; everything but name and steps has a default. */
export interface ScenarioInput {
  name: string;
  section?: string;
  tags?: readonly string[];
  points?: number;
  nodes?: number;
  config?: Readonly<Record<string, Json>>;
  faults?: LinkFaults;
  swarm?: readonly SwarmKind[];
  seeds?: number;
  wallMsPerSeed?: number;
  visibility?: Visibility;
  lab?: string;
  requires?: readonly string[];
  steps: readonly Step[];
}

export const DEFAULT_SEEDS = 10;
export const DEFAULT_NODES = 3;
export const DEFAULT_WALL_MS_PER_SEED = 5_000;
export const MAX_NODES = 15;
/** Swarm kinds on by default: everything the simulator has but disk wipes. */
export const DEFAULT_SWARM: readonly SwarmKind[] = SWARM_KINDS.filter((k) => k !== "wipes");

/** An error in a scenario's declaration: names the file, the line and what was expected. */
export class ScenarioError extends Error {
  override name = "ScenarioError";
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
  }
}

/** Fills in defaults and checks a scenario. Call it in TS scenario files; source is filled by the loader. */
export function defineScenario(input: ScenarioInput, source: SourceRef = callerSource()): Scenario {
  const err = (detail: string): never => {
    throw new ScenarioError(source.file, source.line, `scenario "${input.name}": ${detail}`);
  };
  if (typeof input.name !== "string" || input.name.trim() === "") err("a scenario needs a name that says what it proves");
  const tags = [...(input.tags ?? ["core"])];
  const kinds = tags.filter((t) => t === "core" || t === "extra");
  if (kinds.length !== 1) err(`tags must contain exactly one of "core" and "extra", got [${tags.join(", ")}]`);
  const nodes = input.nodes ?? DEFAULT_NODES;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) err(`nodes must be an integer from 1 to ${MAX_NODES}, got ${nodes}`);
  const seeds = input.seeds ?? DEFAULT_SEEDS;
  if (!Number.isInteger(seeds) || seeds < 1) err(`seeds must be a positive integer, got ${seeds}`);
  const points = input.points ?? 1;
  if (!(points >= 0)) err(`points must be >= 0, got ${points}`);
  const wallMsPerSeed = input.wallMsPerSeed ?? DEFAULT_WALL_MS_PER_SEED;
  if (!(wallMsPerSeed > 0)) err(`wallMsPerSeed must be > 0, got ${wallMsPerSeed}`);
  const visibility = input.visibility ?? "visible";
  if (!VISIBILITIES.includes(visibility)) err(`visibility must be one of ${VISIBILITIES.join(", ")}`);
  for (const k of input.swarm ?? []) if (!SWARM_KINDS.includes(k)) err(`unknown swarm fault "${k}"; known: ${SWARM_KINDS.join(", ")}`);
  if (input.steps.length === 0) err("a scenario needs at least one step");
  return {
    name: input.name.trim(),
    section: input.section ?? "",
    tags,
    points,
    nodes,
    config: { ...(input.config ?? {}) },
    faults: { ...(input.faults ?? {}) },
    swarm: [...(input.swarm ?? DEFAULT_SWARM)],
    seeds,
    wallMsPerSeed,
    visibility,
    lab: input.lab ?? null,
    requires: [...(input.requires ?? [])],
    steps: input.steps,
    source,
  };
}

export function isCore(s: { tags: readonly string[] }): boolean {
  return s.tags.includes("core");
}

/** The server ids of an n-node cluster: n1..nN. */
export function serverIds(n: number): NodeId[] {
  return Array.from({ length: n }, (_, i) => `n${i + 1}`);
}

/** file:line of the code that called defineScenario, from the stack (for reports and errors). */
function callerSource(): SourceRef {
  const frames = new Error().stack?.split("\n").slice(1) ?? [];
  for (const frame of frames) {
    const m = /(?:file:\/\/)?(\/[^:()]+\.[cm]?[tj]s):(\d+)/.exec(frame);
    if (m !== null && !m[1].endsWith("/grader/scenario.ts")) return { file: m[1], line: Number(m[2]) };
  }
  return { file: "<unknown>", line: 1 };
}
