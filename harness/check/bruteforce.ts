// A second opinion for tests: decides linearizability by trying every order,
// with none of the search's tricks (no memo, no greedy steps, no pruning).
// Exponential, so only for histories of a handful of operations; its value is
// that it is too simple to share a bug with search.ts.

import type { History, Operation } from "./history.ts";
import type { Model } from "./model.ts";

/**
 * True iff some order of the operations respects real time and the model; `info`
 * operations may be left out. A partitioned model is checked part by part, since
 * its state describes one part.
 */
export function bruteForceLinearizable<S, I, O>(model: Model<S, I, O>, history: History<I, O>): boolean {
  const parts = new Map<string, Operation<I, O>[]>();
  for (const op of history.operations) {
    if (op.status === "fail") continue;
    const key = model.partition === undefined ? "" : model.partition(op.input);
    parts.set(key, [...(parts.get(key) ?? []), op]);
  }
  return [...parts.values()].every((ops) => orderExists(model, ops));
}

function orderExists<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[]): boolean {
  if (ops.length > 12) throw new Error(`bruteForceLinearizable: ${ops.length} operations is too many to enumerate`);
  const done = ops.map(() => false);

  const mayGoNext = (i: number): boolean => {
    for (let j = 0; j < ops.length; j++) {
      const rj = ops[j].returnMs;
      // j must come first if it returned strictly before i was called.
      if (j !== i && !done[j] && rj !== null && rj < ops[i].callMs) return false;
    }
    return true;
  };

  const search = (state: S): boolean => {
    if (ops.every((op, i) => done[i] || op.status === "info")) return true;
    for (let i = 0; i < ops.length; i++) {
      if (done[i] || !mayGoNext(i)) continue;
      const op = ops[i];
      const after = model.step(state, op.input, op.status === "info" ? undefined : op.output);
      if (after === undefined) continue;
      done[i] = true;
      const found = search(after);
      done[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(model.init());
}
