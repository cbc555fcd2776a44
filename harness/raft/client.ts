// A simulated KV client: an endpoint of the simulation (like "c1") that finds
// the leader by following redirect hints, retries with the same seq until it
// learns the outcome or gives up, and records every operation in a history for
// the linearizability checker (harness/check). Trusted harness code: the
// history is the evidence, so the client must record exactly what it saw.
import { HistoryBuilder } from "../check/history.ts";
import type { KvInput, KvOutput } from "../check/model.ts";
import type { Env, Node, NodeFactory, NodeId } from "../types.ts";
import type { ClientReply, KvOp, KvResult, Msg, ReadMode } from "./messages.ts";

export type KvHistory = HistoryBuilder<KvInput, KvOutput>;

export interface KvClientOptions {
  /** The servers the client may contact. */
  servers: () => readonly NodeId[];
  history: KvHistory;
  /** The next operation, or null to stop. Drawn from the client's own seeded stream. */
  nextOp: (random: () => number, clientId: string, seq: number) => KvOp | null;
  readMode: ReadMode;
  /** Re-send to another server if no answer comes in this long. */
  requestTimeoutMs: number;
  /** Give up on an operation after this long: a write becomes "info" (outcome unknown), a read "fail". */
  opDeadlineMs: number;
  /** Pause between operations. */
  thinkTimeMs: number;
  /** Back-off after busy or when no leader is known. */
  backoffMs: number;
  /** When the first operation starts. */
  startDelayMs: number;
}

export const DEFAULT_CLIENT_OPTIONS = {
  readMode: "linearizable" as ReadMode,
  requestTimeoutMs: 400,
  opDeadlineMs: 5_000,
  thinkTimeMs: 10,
  backoffMs: 50,
  startDelayMs: 0,
};

interface Current {
  seq: number;
  op: KvOp;
  historyId: number;
  invokedMs: number;
  target: NodeId;
  redirects: number;
}

/** What a test can ask a client node (sim.node("c1") as KvClientNode). */
export interface KvClientNode extends Node<Msg> {
  readonly clientId: string;
  /** Stop starting new operations (the current one still finishes or gives up). */
  stop(): void;
  readonly busy: boolean;
  readonly completed: number;
  /** Writes acknowledged ok: (seq) list, for "every acknowledged write is applied" checks. */
  readonly ackedWrites: readonly number[];
}

export function toKvInput(op: KvOp): KvInput {
  switch (op.op) {
    case "get":
      return { op: "get", key: op.key };
    case "set":
      return { op: "put", key: op.key, value: op.value };
    case "append":
      return { op: "append", key: op.key, value: op.value };
    case "del":
      return { op: "delete", key: op.key };
    case "cas":
      return { op: "cas", key: op.key, expected: op.expected, value: op.value };
  }
}

function toKvOutput(op: KvOp, r: KvResult): KvOutput {
  if (op.op === "get") return { value: r.value };
  if (op.op === "cas") return { ok: r.applied };
  return { ok: true };
}

const RETRY_TIMER = "retry";
const NEXT_TIMER = "next";

/**
 * A client factory. The client keeps its seq across a restart of its endpoint
 * by living in this closure (clients are not crashed in our scenarios; a new
 * client id is a new session).
 */
export function createKvClient(opts: KvClientOptions): NodeFactory<Msg> {
  let seq = 0;
  let stopped = false;
  let completed = 0;
  const ackedWrites: number[] = [];
  return (env: Env<Msg>) => {
    const clientId = env.id;
    let current: Current | null = null;
    let leaderGuess: NodeId | null = null;
    let retryTimer: number | null = null;
    /** The retry timer is a back-off: resend to the same target when it fires. */
    let resendOnTimer = false;

    const servers = () => opts.servers();
    const pickServer = (avoid: NodeId | null): NodeId => {
      const list = servers().filter((s) => s !== avoid);
      const from = list.length > 0 ? list : servers();
      return from[Math.floor(env.random() * from.length)];
    };
    const arm = (name: string, ms: number) => {
      if (retryTimer !== null) env.cancelTimer(retryTimer);
      retryTimer = env.setTimer(ms, name);
    };
    const sendCurrent = () => {
      resendOnTimer = false;
      if (current === null) return;
      env.send(current.target, { type: "ClientRequest", clientId, seq: current.seq, op: current.op, readMode: opts.readMode });
      arm(RETRY_TIMER, opts.requestTimeoutMs);
    };
    const startNext = () => {
      if (stopped || current !== null) return;
      const op = opts.nextOp(() => env.random(), clientId, seq + 1);
      if (op === null) {
        stopped = true;
        return;
      }
      seq += 1;
      const historyId = opts.history.invoke(clientId, toKvInput(op), env.now());
      current = { seq, op, historyId, invokedMs: env.now(), target: leaderGuess ?? pickServer(null), redirects: 0 };
      sendCurrent();
    };
    const finish = () => {
      current = null;
      completed++;
      arm(NEXT_TIMER, opts.thinkTimeMs);
    };
    const giveUp = () => {
      if (current === null) return;
      // A read changes nothing, so abandoning it is a definite "no effect"; a
      // write may still commit later, so its outcome is unknown.
      if (current.op.op === "get") opts.history.fail(current.historyId, env.now());
      else opts.history.info(current.historyId);
      env.log("client.giveup", { clientId, seq: current.seq });
      finish();
    };
    const retryElsewhere = (hint: NodeId | null, delayMs: number) => {
      if (current === null) return;
      if (env.now() - current.invokedMs >= opts.opDeadlineMs) return giveUp();
      current.target = hint ?? pickServer(current.target);
      leaderGuess = hint;
      if (delayMs <= 0) return sendCurrent();
      arm(RETRY_TIMER, delayMs);
      resendOnTimer = true;
    };

    const onReply = (from: NodeId, r: ClientReply) => {
      if (current === null || r.seq !== current.seq || r.clientId !== clientId) return; // late or duplicate
      if (r.ok) {
        if (r.stale && current.op.op === "get") {
          // Stale reads are allowed to be out of date: keep them out of the linearizable history.
          opts.history.fail(current.historyId, env.now());
        } else {
          opts.history.ok(current.historyId, toKvOutput(current.op, r.result), env.now());
          if (current.op.op !== "get") ackedWrites.push(current.seq);
        }
        leaderGuess = from;
        return finish();
      }
      switch (r.error) {
        case "too_large":
        case "bad_request":
          opts.history.fail(current.historyId, env.now());
          return finish();
        case "busy":
          return retryElsewhere(from, opts.backoffMs);
        case "not_leader": {
          current.redirects++;
          const hint = r.leaderHint !== null && r.leaderHint !== from && current.redirects < 5 ? r.leaderHint : null;
          return retryElsewhere(hint, hint !== null ? 0 : opts.backoffMs);
        }
      }
    };

    const node: KvClientNode = {
      clientId,
      stop: () => {
        stopped = true;
      },
      get busy() {
        return current !== null;
      },
      get completed() {
        return completed;
      },
      ackedWrites,
      onMessage: (from, msg) => {
        if (msg.type === "ClientReply") onReply(from, msg);
      },
      onTimer: (name) => {
        retryTimer = null;
        if (name === NEXT_TIMER) return startNext();
        if (current === null) return startNext();
        if (env.now() - current.invokedMs >= opts.opDeadlineMs) return giveUp();
        if (resendOnTimer) {
          resendOnTimer = false;
          return sendCurrent();
        }
        // No answer in time: the server may be down or cut off; try another.
        current.target = pickServer(current.target);
        leaderGuess = null;
        sendCurrent();
      },
      inspect: () => ({ clientId, seq, busy: current !== null, completed, target: current?.target ?? null }),
    };
    arm(NEXT_TIMER, opts.startDelayMs);
    return node;
  };
}
