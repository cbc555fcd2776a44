// A simulated Raft KV cluster with clients, monitors and a recorded history:
// what tests, the demo, the soak and the benchmark all start from.
import { checkHistory, type CheckResult } from "../check/check.ts";
import { HistoryBuilder } from "../check/history.ts";
import { kvModel, type KvInput, type KvOutput } from "../check/model.ts";
import { Simulation, type Monitor, type TraceMode } from "../sim/index.ts";
import type { NodeFactory, NodeId } from "../types.ts";
import { createKvClient, DEFAULT_CLIENT_OPTIONS, type KvClientNode, type KvClientOptions } from "./client.ts";
import type { KvOp, Msg } from "./messages.ts";
import { raftMonitors, type RaftMonitors } from "./monitors.ts";

/** What the clients do: a few keys (contention is what finds bugs), unique values, a mix of ops. */
export interface Workload {
  keys: number;
  /** Operations per client before it stops (bounds the checker's work). */
  opsPerClient: number;
  /** Relative weights of get / set / append / cas / del. */
  mix: { get: number; set: number; append: number; cas: number; del: number };
}

export const DEFAULT_WORKLOAD: Workload = { keys: 3, opsPerClient: 60, mix: { get: 35, set: 20, append: 30, cas: 10, del: 5 } };

export function workloadOps(w: Workload): KvClientOptions["nextOp"] {
  const total = w.mix.get + w.mix.set + w.mix.append + w.mix.cas + w.mix.del;
  return (random, clientId, seq) => {
    if (seq > w.opsPerClient) return null;
    const key = `k${Math.floor(random() * w.keys)}`;
    const value = `${clientId}.${seq}`;
    let r = random() * total;
    if ((r -= w.mix.get) < 0) return { op: "get", key };
    if ((r -= w.mix.set) < 0) return { op: "set", key, value };
    if ((r -= w.mix.append) < 0) return { op: "append", key, value: `${value};` };
    if ((r -= w.mix.cas) < 0) return { op: "cas", key, expected: random() < 0.5 ? null : `${clientId}.${Math.max(1, seq - 1)}`, value };
    return { op: "del", key } satisfies KvOp;
  };
}

export interface RaftClusterOptions {
  seed: number;
  /** The initial voters. */
  servers: readonly NodeId[];
  /** Builds the server factory (members = servers). */
  server: NodeFactory<Msg>;
  /** Server ids that may join later (membership changes); not booted until addServer(). */
  spares?: readonly NodeId[];
  clients?: number;
  workload?: Workload;
  client?: Partial<Omit<KvClientOptions, "servers" | "history" | "nextOp">>;
  traceMode?: TraceMode;
  maxEvents?: number;
  extraMonitors?: readonly Monitor[];
  /** Keep only the Raft monitors of these names ([] = none), e.g. to show that one monitor alone catches a bug. */
  monitorNames?: readonly string[];
}

/** A monitor that keeps its ghost state up to date but never reports. */
function silent(m: Monitor): Monitor {
  return {
    name: `${m.name} (silent)`,
    onEvent: (ev) => void m.onEvent(ev),
  };
}

export class RaftCluster {
  readonly sim: Simulation<Msg>;
  readonly history = new HistoryBuilder<KvInput, KvOutput>();
  readonly monitors: RaftMonitors;
  readonly clientIds: string[] = [];
  /** Every server id that may ever run (initial voters, then spares as they are added). */
  readonly serverIds: NodeId[];

  constructor(readonly opts: RaftClusterOptions) {
    this.monitors = raftMonitors();
    const names = opts.monitorNames;
    // Monitors left out still watch silently: the end-of-run checks read their ghost state.
    const chosen = names === undefined ? this.monitors.all : this.monitors.all.map((m) => (names.includes(m.name) ? m : silent(m)));
    const monitors = [...chosen, ...(opts.extraMonitors ?? [])];
    this.serverIds = [...opts.servers];
    this.sim = new Simulation<Msg>({
      seed: opts.seed,
      nodes: opts.servers,
      factory: opts.server,
      monitors,
      traceMode: opts.traceMode ?? "ring",
      maxEvents: opts.maxEvents ?? 5_000_000,
    });
    const n = opts.clients ?? 0;
    for (let i = 1; i <= n; i++) this.addClient(`c${i}`);
  }

  addClient(id: string, overrides: Partial<KvClientOptions> = {}): void {
    const w = this.opts.workload ?? DEFAULT_WORKLOAD;
    const factory = createKvClient({
      ...DEFAULT_CLIENT_OPTIONS,
      ...this.opts.client,
      servers: () => this.serverIds,
      history: this.history,
      nextOp: workloadOps(w),
      ...overrides,
    });
    this.sim.addNode(id, factory);
    this.clientIds.push(id);
  }

  /** Boots a spare server (empty disk, not a member until an AdminRequest adds it). */
  bootServer(id: NodeId): void {
    if (!this.serverIds.includes(id)) this.serverIds.push(id);
    this.sim.addNode(id, this.opts.server);
  }

  client(id: string): KvClientNode {
    return this.sim.node(id) as KvClientNode;
  }

  stopClients(): void {
    for (const c of this.clientIds) this.client(c)?.stop();
  }

  clientsIdle(): boolean {
    return this.clientIds.every((c) => !this.client(c).busy);
  }

  /** Linearizability of everything the clients saw [thesis §6]. */
  checkLinearizable(timeoutMs = 20_000): CheckResult {
    return checkHistory(kvModel, this.history.build(), { timeoutMs });
  }

  /** Writes acknowledged to clients, as (clientId, seq). */
  ackedWrites(): { clientId: string; seq: number }[] {
    return this.clientIds.flatMap((c) => this.client(c).ackedWrites.map((seq) => ({ clientId: c, seq })));
  }
}
