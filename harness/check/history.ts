// The client history the checker judges: one record per operation, with the
// client that issued it, when it was invoked, when (and whether) it returned,
// what it asked for and what it got back.

/** Who issued an operation: one lane in the picture. */
export type ClientId = string;

/**
 * How an operation ended, as the client saw it.
 * - `ok`: it returned with a result; the effect happened between invoke and return.
 * - `info`: the client never learnt the outcome (crash, timeout, lost reply). The
 *   operation stays open to the end of the history: it may have taken effect at any
 *   time after its invoke, or never. It is never dropped, because dropping it
 *   would forbid orders in which it did take effect and give wrong verdicts.
 * - `fail`: the system said for certain that it had no effect. The checker leaves
 *   it out; the picture still shows it.
 */
export type OpStatus = "ok" | "info" | "fail";

export interface Operation<I, O> {
  /** Unique within the history; results and pictures refer to operations by id. */
  readonly id: number;
  readonly clientId: ClientId;
  readonly input: I;
  /** The observed result; undefined unless status is `ok`, or when even an `ok` result is unknown. */
  readonly output: O | undefined;
  readonly status: OpStatus;
  readonly callMs: number;
  /** When the client got the answer; null for an `info` operation, which is open to the end. */
  readonly returnMs: number | null;
}

export interface History<I, O> {
  readonly operations: readonly Operation<I, O>[];
  /**
   * What callMs/returnMs count: milliseconds (the default), or line numbers for
   * logs that have no timestamps and keep only the order of events.
   */
  readonly timeUnit?: TimeUnit;
}

export type TimeUnit = "ms" | "line";

/** A time for people: "12.5 ms" or "line 12". */
export function formatTime(time: number, unit: TimeUnit = "ms"): string {
  if (unit === "line") return `line ${time}`;
  return `${Number.isInteger(time) ? time : time.toFixed(3)} ms`;
}

/** A history that breaks the rules of the format: the message says which operation and why. */
export class HistoryError extends Error {
  override readonly name = "HistoryError";
}

interface OpenCall<I> {
  readonly clientId: ClientId;
  readonly input: I;
  readonly callMs: number;
}

/**
 * Records a history as it happens. The simulated clients call invoke() when they
 * send a request and ok()/fail()/info() when they learn how it ended; build()
 * closes every call still open as `info` (its outcome was never learnt).
 *
 *   const h = new HistoryBuilder<KvInput, KvOutput>();
 *   const id = h.invoke("c1", { op: "put", key: "x", value: "1" }, nowMs);
 *   h.ok(id, { ok: true }, laterMs);
 */
export class HistoryBuilder<I, O> {
  private readonly open = new Map<number, OpenCall<I>>();
  private readonly done: Operation<I, O>[] = [];
  private nextId = 0;
  private lastMs = -Infinity;

  /** Starts an operation and returns its id. Times must not go backwards. */
  invoke(clientId: ClientId, input: I, callMs: number): number {
    this.advance(callMs, "invoke");
    const id = this.nextId++;
    this.open.set(id, { clientId, input, callMs });
    return id;
  }

  /** The operation returned this result at returnMs. */
  ok(id: number, output: O, returnMs: number): void {
    this.advance(returnMs, "ok");
    const call = this.take(id, "ok");
    this.done.push({ id, clientId: call.clientId, input: call.input, output, status: "ok", callMs: call.callMs, returnMs });
  }

  /** The operation definitely had no effect (the system rejected it before applying it). */
  fail(id: number, returnMs: number): void {
    this.advance(returnMs, "fail");
    const call = this.take(id, "fail");
    this.done.push({ id, clientId: call.clientId, input: call.input, output: undefined, status: "fail", callMs: call.callMs, returnMs });
  }

  /** The client gave up without learning the outcome: the operation stays open to the end. */
  info(id: number): void {
    const call = this.take(id, "info");
    this.done.push({ id, clientId: call.clientId, input: call.input, output: undefined, status: "info", callMs: call.callMs, returnMs: null });
  }

  /** How many operations have been invoked and not yet ended. */
  get openCount(): number {
    return this.open.size;
  }

  /** The history so far; calls still open become `info`. The builder can keep recording. */
  build(): History<I, O> {
    const operations = [...this.done];
    for (const [id, call] of this.open) {
      operations.push({ id, clientId: call.clientId, input: call.input, output: undefined, status: "info", callMs: call.callMs, returnMs: null });
    }
    operations.sort((a, b) => a.id - b.id);
    return { operations };
  }

  private advance(timeMs: number, what: string): void {
    if (!Number.isFinite(timeMs)) throw new HistoryError(`${what}: time ${timeMs} is not a finite number`);
    if (timeMs < this.lastMs) {
      throw new HistoryError(`${what}: time went backwards (${timeMs} after ${this.lastMs}); record events in the order they happen`);
    }
    this.lastMs = timeMs;
  }

  private take(id: number, what: string): OpenCall<I> {
    const call = this.open.get(id);
    if (call === undefined) {
      throw new HistoryError(`${what}(${id}): no open operation with that id (never invoked, or already ended)`);
    }
    this.open.delete(id);
    return call;
  }
}

/**
 * Checks the shape of a history that did not come from the builder: unique ids,
 * finite times, a return no earlier than its call, and status/returnMs agreeing.
 * Throws HistoryError naming the first bad operation.
 */
export function validateHistory<I, O>(history: History<I, O>): void {
  const seen = new Set<number>();
  for (const op of history.operations) {
    const where = `operation ${op.id} (client ${op.clientId})`;
    if (!Number.isInteger(op.id)) throw new HistoryError(`${where}: id must be an integer`);
    if (seen.has(op.id)) throw new HistoryError(`${where}: duplicate id`);
    seen.add(op.id);
    if (!Number.isFinite(op.callMs)) throw new HistoryError(`${where}: callMs ${op.callMs} is not finite`);
    if (op.status === "info") {
      if (op.returnMs !== null) throw new HistoryError(`${where}: an info operation is open to the end, so returnMs must be null`);
    } else {
      if (op.returnMs === null || !Number.isFinite(op.returnMs)) {
        throw new HistoryError(`${where}: a ${op.status} operation needs a finite returnMs`);
      }
      if (op.returnMs < op.callMs) throw new HistoryError(`${where}: returned at ${op.returnMs}, before its call at ${op.callMs}`);
    }
  }
}
