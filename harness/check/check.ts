// checkHistory: splits a history into independent partitions (keys), searches
// each for a linearization, and, when one has none, works out why.

import { formatTime, validateHistory, type History, type Operation, type TimeUnit } from "./history.ts";
import type { Model } from "./model.ts";
import { searchPartition, type SearchLimits, type SearchOps } from "./search.ts";

/**
 * - `ok`: linearizable.
 * - `illegal`: not linearizable; `violation` says which operations cannot be ordered.
 * - `unknown`: the check ran out of time before deciding. Never a pass.
 */
export type Verdict = "ok" | "illegal" | "unknown";

export interface CheckOptions {
  /** Wall-clock budget for the whole decision; past it the verdict is `unknown`. Default 10 000. */
  readonly timeoutMs?: number;
  /**
   * Memory for one partition's memo. Partitions are checked one at a time, and a memo
   * that outgrows this is emptied (the search goes on, slower but still exact).
   * Default 512 MiB.
   */
  readonly maxMemoBytes?: number;
  /** Work out the smallest set of operations that cannot be ordered. Default true. */
  readonly explain?: boolean;
  /** Extra wall-clock budget for that explanation, after the verdict. Default 2 000. */
  readonly explainBudgetMs?: number;
  /** Stop at the first partition found not linearizable (the others are `skipped`). Default true. */
  readonly stopAtFirstViolation?: boolean;
}

export interface PartitionResult {
  /** The partition key (e.g. the KV key); null when the model is not partitioned. */
  readonly key: string | null;
  readonly verdict: Verdict | "skipped";
  /** The ids of the operations checked in this partition (failed operations are left out). */
  readonly operationIds: readonly number[];
  /**
   * Operation ids in linearization order: the whole linearization when `ok`, the longest
   * linearizable prefix found otherwise (empty when skipped). Info operations that are
   * absent were taken as never having happened.
   */
  readonly linearization: readonly number[];
  /** The model state after `linearization`, for display. */
  readonly finalState: string;
  readonly elapsedMs: number;
  /** Model steps tried; the best single measure of how hard the partition was. */
  readonly steps: number;
  readonly memoEntries: number;
  readonly memoResets: number;
}

export interface Violation {
  readonly key: string | null;
  /**
   * The operation at whose return the history stops being linearizable: every
   * history cut just before its return can still be ordered, the one cut after cannot.
   */
  readonly failingOpId: number;
  /**
   * The operations that cannot be ordered, ids in call order, failing one included:
   * keeping their observed results, no order exists whatever the other operations did
   * (each may have taken effect at any point while it was running, with any result, or
   * not at all; one still running at the failing return may take effect any time later).
   */
  readonly coreOpIds: readonly number[];
  /** True when relaxing any one more operation of the core makes it orderable (false if a budget ran out). */
  readonly coreMinimal: boolean;
  /**
   * True when the failing operation is the first point of failure. False if the
   * search for it ran out of time: the history is still not linearizable by the
   * time that operation returns, but may have stopped being so earlier.
   */
  readonly cutExact: boolean;
}

export interface CheckResult {
  readonly verdict: Verdict;
  /** Why the verdict is `unknown`. */
  readonly reason?: "timeout";
  readonly model: string;
  readonly operations: number;
  /** Time to the verdict, explanation excluded. */
  readonly elapsedMs: number;
  readonly explainMs: number;
  /** In check order: smallest partition first, then by key. */
  readonly partitions: readonly PartitionResult[];
  readonly violation?: Violation;
  /** A few lines for people: the verdict and, for a violation, the operations and their times. */
  readonly explanation: string;
}

const DEFAULTS = {
  timeoutMs: 10_000,
  maxMemoBytes: 512 * 1024 * 1024,
  explain: true,
  explainBudgetMs: 2_000,
  stopAtFirstViolation: true,
};

interface Partition<I, O> {
  readonly key: string | null;
  /** Sorted by (callMs, returnMs, id) so results never depend on input order. */
  readonly ops: readonly Operation<I, O>[];
}

function byTimeThenId<I, O>(a: Operation<I, O>, b: Operation<I, O>): number {
  return a.callMs - b.callMs || (a.returnMs ?? Infinity) - (b.returnMs ?? Infinity) || a.id - b.id;
}

/** Partitions sorted smallest first, then by key in code-unit order (never locale order). */
function partitionHistory<S, I, O>(model: Model<S, I, O>, history: History<I, O>): Partition<I, O>[] {
  const groups = new Map<string, Operation<I, O>[]>();
  for (const op of history.operations) {
    if (op.status === "fail") continue;
    const key = model.partition === undefined ? "" : model.partition(op.input);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = []));
    group.push(op);
  }
  const parts = [...groups].map(([key, ops]) => ({ key: model.partition === undefined ? null : key, ops: ops.sort(byTimeThenId) }));
  parts.sort((a, b) => a.ops.length - b.ops.length || ((a.key ?? "") < (b.key ?? "") ? -1 : (a.key ?? "") > (b.key ?? "") ? 1 : 0));
  return parts;
}

/**
 * The search's columnar input. `relaxed[i]` relaxes operation i: a read-only one
 * (see Model.readOnly) is left out, any other keeps its interval but may have had
 * any result or no effect at all. `cutMs` drops the calls made after it and leaves
 * the operations still running then open to the end.
 */
function toSearchOps<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], relaxed?: Uint8Array, cutMs = Infinity): SearchOps<I, O> {
  const inputs: I[] = [];
  const outputs: (O | undefined)[] = [];
  const call: number[] = [];
  const ret: number[] = [];
  const optional: number[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op.callMs > cutMs) continue;
    const open = op.status === "info" || op.returnMs === null || op.returnMs > cutMs;
    const loose = relaxed !== undefined && relaxed[i] === 1;
    if (loose && !open && model.readOnly !== undefined && model.readOnly(op.input, op.output)) continue;
    inputs.push(op.input);
    outputs.push(open || loose ? undefined : op.output);
    call.push(op.callMs);
    ret.push(open ? Infinity : (op.returnMs as number));
    optional.push(loose && !open ? 1 : 0);
  }
  const search: SearchOps<I, O> = { inputs, outputs, callMs: Float64Array.from(call), returnMs: Float64Array.from(ret) };
  return relaxed === undefined ? search : { ...search, optional: Uint8Array.from(optional) };
}

/**
 * Decides whether a history is linearizable under a model.
 *
 *   const result = checkHistory(kvModel, builder.build(), { timeoutMs: 5000 });
 *   if (result.verdict !== "ok") console.log(result.explanation);
 */
export function checkHistory<S, I, O>(model: Model<S, I, O>, history: History<I, O>, options: CheckOptions = {}): CheckResult {
  const opts = { ...DEFAULTS, ...options };
  validateHistory(history);
  const started = performance.now();
  const limits: SearchLimits = { deadline: started + opts.timeoutMs, maxMemoBytes: opts.maxMemoBytes };
  const parts = partitionHistory(model, history);
  const results: PartitionResult[] = [];
  let failed: { part: Partition<I, O>; index: number } | undefined;

  for (const part of parts) {
    if (failed !== undefined && opts.stopAtFirstViolation) {
      results.push(skipped(model, part));
      continue;
    }
    const t0 = performance.now();
    const outcome = searchPartition(model, toSearchOps(model, part.ops), limits);
    const ids = part.ops.map((op) => op.id);
    const order = outcome.kind === "ok" ? outcome.order : outcome.longest;
    let finalState = outcome.kind === "ok" ? undefined : outcome.stateAfterLongest;
    if (finalState === undefined) {
      finalState = model.init();
      for (const i of order) finalState = model.step(finalState, part.ops[i].input, part.ops[i].output) ?? finalState;
    }
    results.push({
      key: part.key,
      verdict: outcome.kind === "timeout" ? "unknown" : outcome.kind,
      operationIds: ids,
      linearization: order.map((i) => ids[i]),
      finalState: model.describeState(finalState),
      elapsedMs: performance.now() - t0,
      steps: outcome.stats.steps,
      memoEntries: outcome.stats.memoEntries,
      memoResets: outcome.stats.memoResets,
    });
    if (outcome.kind === "illegal" && failed === undefined) failed = { part, index: results.length - 1 };
  }

  const elapsedMs = performance.now() - started;
  const verdict: Verdict = failed !== undefined ? "illegal" : results.some((r) => r.verdict === "unknown") ? "unknown" : "ok";
  const base = { verdict, model: model.name, operations: history.operations.length, elapsedMs, partitions: results };
  const unit = history.timeUnit ?? "ms";
  if (verdict === "unknown") {
    const late = results.filter((r) => r.verdict === "unknown").map((r) => keyLabel(r.key));
    const explanation = `unknown: the ${opts.timeoutMs} ms budget ran out before ${late.join(", ")} was decided (this is not a pass)`;
    return { ...base, reason: "timeout", explainMs: 0, explanation };
  }
  if (failed === undefined) {
    return { ...base, explainMs: 0, explanation: `linearizable: ${history.operations.length} operations in ${results.length} partition(s)` };
  }
  const e0 = performance.now();
  const violation = opts.explain
    ? explainViolation(model, failed.part, stuckAtMs(failed.part, results[failed.index]), { cutBudgetMs: Math.max(opts.timeoutMs, opts.explainBudgetMs), budgetMs: opts.explainBudgetMs, maxMemoBytes: opts.maxMemoBytes })
    : undefined;
  const explanation = describeViolation(model, failed.part, results[failed.index], violation, unit);
  return { ...base, ...(violation === undefined ? {} : { violation }), explainMs: performance.now() - e0, explanation };
}

/** The first return among the operations the longest prefix left out: where the search got stuck. */
function stuckAtMs<I, O>(part: Partition<I, O>, result: PartitionResult): number {
  const done = new Set(result.linearization);
  let at = Infinity;
  for (const op of part.ops) if (op.status === "ok" && !done.has(op.id)) at = Math.min(at, op.returnMs as number);
  return at;
}

function skipped<S, I, O>(model: Model<S, I, O>, part: Partition<I, O>): PartitionResult {
  return {
    key: part.key,
    verdict: "skipped",
    operationIds: part.ops.map((op) => op.id),
    linearization: [],
    finalState: model.describeState(model.init()),
    elapsedMs: 0,
    steps: 0,
    memoEntries: 0,
    memoResets: 0,
  };
}

function keyLabel(key: string | null): string {
  return key === null ? "the history" : `key ${JSON.stringify(key)}`;
}

interface ExplainLimits {
  /** For finding the failing operation: worth as much time as the verdict itself. */
  readonly cutBudgetMs: number;
  /** For shrinking the core, after that. */
  readonly budgetMs: number;
  readonly maxMemoBytes: number;
}

/**
 * Finds the failing operation and a small core for a partition known not to be
 * linearizable. Both steps only ever relax the history: a cut (calls after it
 * dropped, operations running at it left open to the end) or an operation
 * relaxed (see toSearchOps). Relaxing can turn "not linearizable" into
 * "linearizable" but never the reverse, so every history found illegal here is
 * a true witness, and the earliest failing cut can be found by binary search.
 */
function explainViolation<S, I, O>(model: Model<S, I, O>, part: Partition<I, O>, hintMs: number, limits: ExplainLimits): Violation {
  const ops = part.ops;
  let deadline = performance.now() + limits.cutBudgetMs;
  let stepBudget = Infinity;
  let cutShort = 0;
  const illegal = (relaxed: Uint8Array | undefined, cutMs: number): boolean => {
    const outcome = searchPartition(model, toSearchOps(model, ops, relaxed, cutMs), { deadline, maxMemoBytes: limits.maxMemoBytes, maxSteps: stepBudget });
    if (outcome.kind === "timeout") cutShort++;
    return outcome.kind === "illegal";
  };

  // The earliest return after which the history cannot be ordered. A check
  // that runs out of time counts as "can be ordered", so the cut found is
  // then still a true witness, just perhaps not the earliest. The search that
  // gave the verdict got stuck at `hintMs`, usually the answer: gallop back
  // from there, then bisect.
  const returns = [...new Set(ops.filter((op) => op.status === "ok").map((op) => op.returnMs as number))].sort((a, b) => a - b);
  let lo = 0;
  let hi = returns.length - 1;
  const hint = returns.findIndex((t) => t >= hintMs);
  if (hint >= 0 && hint < hi && illegal(undefined, returns[hint])) {
    hi = hint;
    for (let step = 1; hi - step >= 0; step *= 2) {
      if (!illegal(undefined, returns[hi - step])) {
        lo = hi - step + 1;
        break;
      }
      hi -= step;
    }
  } else if (hint >= 0 && hint < hi) {
    lo = hint + 1;
  }
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (illegal(undefined, returns[mid])) hi = mid;
    else lo = mid + 1;
  }
  const cutMs = returns[lo];
  const cutExact = cutShort === 0;

  deadline = performance.now() + limits.budgetMs;
  const baseline = searchPartition(model, toSearchOps(model, ops, undefined, cutMs), { deadline, maxMemoBytes: limits.maxMemoBytes });
  stepBudget = Math.max(MIN_TRIAL_STEPS, 4 * baseline.stats.steps);
  cutShort = 0;

  const relaxed = new Uint8Array(ops.length);
  const atCut: number[] = [];
  const candidates: number[] = [];
  ops.forEach((op, i) => {
    if (op.status !== "ok" || op.callMs > cutMs || (op.returnMs as number) > cutMs) return;
    if (op.returnMs === cutMs) atCut.push(i);
    else candidates.push(i);
  });
  // Of the operations returning at the cut, the failing one is the first whose
  // relaxing makes the cut history linearizable again; the rest join the candidates.
  let failing = atCut[0];
  if (atCut.length > 1) {
    for (const i of atCut) {
      relaxed[i] = 1;
      const stillIllegal = illegal(relaxed, cutMs);
      relaxed[i] = 0;
      if (!stillIllegal) {
        failing = i;
        break;
      }
    }
  }
  for (const i of atCut) if (i !== failing) candidates.push(i);

  // Read-only operations first: leaving one out costs the search nothing, while
  // relaxing a write adds choices. Then the writes, among far fewer reads.
  const isReadOnly = (i: number): boolean => model.readOnly !== undefined && model.readOnly(ops[i].input, ops[i].output);
  const reads = shrink(candidates.filter(isReadOnly), relaxed, () => illegal(relaxed, cutMs), () => deadline);
  const writes = shrink(candidates.filter((i) => !isReadOnly(i)), relaxed, () => illegal(relaxed, cutMs), () => deadline);
  const minimal = reads.complete && writes.complete && cutShort === 0;
  const coreOps = [...reads.kept, ...writes.kept, failing].sort((a, b) => a - b).map((i) => ops[i].id);
  return { key: part.key, failingOpId: ops[failing].id, cutExact, coreOpIds: coreOps, coreMinimal: minimal };
}

/**
 * Greedy delta debugging: relaxes big chunks of `candidates` first, then smaller
 * ones, keeping every relaxation after which `stillIllegal` holds. Leaves the
 * kept relaxations set in `relaxed`; returns the candidates it could not relax.
 */
function shrink(candidates: readonly number[], relaxed: Uint8Array, stillIllegal: () => boolean, deadline: () => number): { kept: number[]; complete: boolean } {
  let core = [...candidates];
  let chunk = Math.max(1, Math.ceil(core.length / 2));
  for (;;) {
    const kept: number[] = [];
    for (let at = 0; at < core.length; at += chunk) {
      const trial = core.slice(at, at + chunk);
      if (performance.now() > deadline()) return { kept: [...kept, ...core.slice(at)], complete: false };
      for (const i of trial) relaxed[i] = 1;
      if (!stillIllegal()) {
        for (const i of trial) relaxed[i] = 0;
        kept.push(...trial);
      }
    }
    core = kept;
    if (chunk === 1 || core.length === 0) return { kept: core, complete: true };
    chunk = Math.ceil(chunk / 2);
  }
}

/** The step budget of one relaxed trial is at least this, and at least 4x the unrelaxed check. */
const MIN_TRIAL_STEPS = 20_000;

function describeViolation<S, I, O>(
  model: Model<S, I, O>,
  part: Partition<I, O>,
  result: PartitionResult,
  violation: Violation | undefined,
  unit: TimeUnit,
): string {
  const lines = [`NOT linearizable: ${keyLabel(part.key)} (${part.ops.length} operations).`];
  if (violation !== undefined) {
    const byId = new Map(part.ops.map((op) => [op.id, op]));
    const failing = byId.get(violation.failingOpId) as Operation<I, O>;
    const what = `${model.describeOperation(failing.input, failing.output)} by ${failing.clientId} returns at ${formatTime(failing.returnMs as number, unit)}`;
    lines.push(
      violation.cutExact
        ? `It stops being linearizable when ${what}.`
        : `It is no longer linearizable once ${what} (the search for an earlier point ran out of time).`,
      (violation.coreOpIds.length === 1 ? "This operation alone cannot be ordered" : `These ${violation.coreOpIds.length} operations cannot be ordered`) +
        `${violation.coreMinimal ? "" : " (perhaps not the smallest set: the explain budget ran out)"},` +
        ` whatever the other operations did (any result, or no effect, while they were running):`,
    );
    for (const id of violation.coreOpIds) {
      const op = byId.get(id) as Operation<I, O>;
      const mark = id === violation.failingOpId ? "   <- fails here" : "";
      lines.push(
        `  #${op.id} ${op.clientId}: ${model.describeOperation(op.input, op.output)}  [${formatTime(op.callMs, unit)} .. ${formatTime(op.returnMs as number, unit)}]${mark}`,
      );
    }
  }
  lines.push(`Longest linearizable prefix found: ${result.linearization.length} of ${part.ops.length} operations, leaving the state ${result.finalState}.`);
  return lines.join("\n");
}
