// One chaos run of a Raft KV cluster: swarm-sampled faults (partitions, one-way
// cuts, crashes with torn tails, loss, duplication, reordering, clock drift,
// pauses), membership changes and small snapshots under a client workload;
// then heal, and check liveness and the client history. The soak
// (grader/soak.ts) runs it for thousands of seeds; the grader can run it on
// a student's modules.
import type { Failure, Monitor, SimEvent, SwarmPlan } from "../sim/index.ts";
import { Prng, healAll, runNemesis, sampleSwarm } from "../sim/index.ts";
import type { Node, NodeFactory, NodeId } from "../types.ts";
import { RaftCluster, DEFAULT_WORKLOAD } from "./cluster.ts";
import type { ClusterConfig, EntryData, MembershipChange, Msg } from "./messages.ts";

/** Config overrides a chaos run may set on the servers (a subset of labs/given/config.ts RaftConfig). */
export interface ChaosServerConfig {
  electionTimeoutMinMs: number;
  electionTimeoutMaxMs: number;
  heartbeatIntervalMs: number;
  snapshotEveryEntries: number;
  snapshotChunkBytes: number;
  maxInflightAppends: number;
  maxBatchBytes: number;
  maxClockDriftPpm: number;
}

export interface ChaosOptions {
  seed: number;
  /** Builds a server factory for a cluster whose initial voters are `members`. */
  server: (members: readonly NodeId[], config: ChaosServerConfig) => NodeFactory<Msg>;
  /** Virtual ms of faults before the heal. */
  faultMs?: number;
  membership?: boolean;
  clients?: number;
  opsPerClient?: number;
  /** Keep only the Raft monitors of these names ([] = none; the end-of-run checks always run). */
  monitorNames?: readonly string[];
  /** Lets a test check a run against extra monitors. */
  extraMonitors?: readonly Monitor[];
  traceMode?: "full" | "ring";
  /** Called with the cluster before the run (for debugging and reports). */
  onCluster?: (cluster: RaftCluster) => void;
}

export interface ChaosResult {
  seed: number;
  passed: boolean;
  virtualMs: number;
  traceHash: string;
  failure: Failure | null;
  plan: SwarmPlan;
  servers: number;
  operations: number;
  okOperations: number;
  events: number;
  coverage: [string, number][];
}

const ADMIN = "admin";

/** Counts the dangerous cases a run reached ("sometimes" coverage). */
class CoverageMonitor implements Monitor {
  readonly name = "coverage";
  private leaderTerms = new Set<number>();
  /** Set once the simulation exists (it owns the counters). */
  hit: (name: string) => void = () => {};
  onEvent(ev: SimEvent): undefined {
    if (ev.kind === "log") {
      if (ev.event === "role" && ev.fields.role === "leader" && typeof ev.fields.term === "number") {
        if (this.leaderTerms.size > 0) this.hit("leader-change");
        this.leaderTerms.add(ev.fields.term);
      } else if (ev.event === "install-snapshot") this.hit("snapshot-installed");
      else if (ev.event === "snapshot") this.hit("snapshot-taken");
      else if (ev.event === "config" && typeof ev.fields.index === "number" && ev.fields.index > 0) this.hit("config-change");
      else if (ev.event === "restore" && typeof ev.fields.droppedRecords === "number" && ev.fields.droppedRecords > 0) this.hit("torn-record-dropped");
      else if (ev.event === "client.giveup") this.hit("client-gave-up");
      else if (ev.event === "check-quorum-failed") this.hit("check-quorum-step-down");
      else if (ev.event === "timeout-now") this.hit("leadership-transfer");
    } else if (ev.kind === "crash" && ev.torn.length > 0) this.hit("torn-write");
    else if (ev.kind === "crash") this.hit("crash");
    return undefined;
  }
}

function adminNode(): NodeFactory<Msg> {
  return (): Node<Msg> => ({ onMessage: () => {}, onTimer: () => {} });
}

/** The configuration of the highest committed configuration entry, from the applied entries the monitors saw. */
function committedConfig(cluster: RaftCluster, initial: readonly NodeId[]): ClusterConfig {
  let best: { index: number; config: ClusterConfig } = { index: 0, config: { voters: [...initial], votersOutgoing: [], learners: [] } };
  for (const [index, e] of cluster.monitors.stateMachine.committed) {
    if (index <= best.index) continue;
    const data = JSON.parse(e.data) as EntryData;
    if (data.kind === "config") best = { index, config: data.config };
  }
  return best.config;
}

export function runChaos(opts: ChaosOptions): ChaosResult {
  const rng = new Prng(opts.seed, "chaos-scenario");
  const plan = sampleSwarm(opts.seed, { allow: { wipes: false } });
  const n = rng.chance(0.3) ? 5 : 3;
  const servers = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const spares = opts.membership === false ? [] : ["n6", "n7"].slice(0, 1 + rng.int(2));
  const config: ChaosServerConfig = {
    electionTimeoutMinMs: 150,
    electionTimeoutMaxMs: 300,
    heartbeatIntervalMs: 50,
    snapshotEveryEntries: rng.pick([5, 20, 60, 10_000]),
    snapshotChunkBytes: rng.pick([64, 300, 4096]),
    maxInflightAppends: rng.pick([1, 4, 8]),
    maxBatchBytes: rng.pick([200, 64 * 1024]),
    maxClockDriftPpm: 50_000,
  };
  const factory = opts.server(servers, config);
  const coverage = new CoverageMonitor();
  const cluster = new RaftCluster({
    seed: opts.seed,
    servers,
    server: factory,
    clients: opts.clients ?? 3,
    workload: { ...DEFAULT_WORKLOAD, opsPerClient: opts.opsPerClient ?? 40 },
    client: { readMode: plan.clockDriftPpm <= config.maxClockDriftPpm && rng.chance(0.3) ? "lease" : "linearizable" },
    traceMode: opts.traceMode ?? "ring",
    // A healthy run takes a few thousand events; a livelocked one is cut short.
    maxEvents: 1_000_000,
    extraMonitors: [coverage, ...(opts.extraMonitors ?? [])],
    ...(opts.monitorNames !== undefined ? { monitorNames: opts.monitorNames } : {}),
  });
  const sim = cluster.sim;
  coverage.hit = (name) => sim.coverage.hit(name);
  opts.onCluster?.(cluster);
  sim.addNode(ADMIN, adminNode());
  const faultMs = opts.faultMs ?? 3000;
  const start = sim.now();
  runNemesis(sim, servers, plan, faultMs);
  if (plan.crashes) {
    // Crashes between a write and its sync, mid-handler (torn tails included):
    // the moments a plain crash, which falls between handlers, never hits.
    const count = 1 + rng.int(3);
    for (let i = 0; i < count; i++) {
      const victim = rng.pick(servers);
      const torn = plan.tornWrites && rng.chance(0.7);
      const nth = 1 + rng.int(20);
      sim.schedule(start + rng.int(faultMs), () => {
        if (sim.isUp(victim)) sim.crashAtSync(victim, { torn, nth });
      });
      sim.schedule(start + faultMs - 1, () => {
        sim.crashAtSync(victim, { nth: Number.MAX_SAFE_INTEGER }); // calls off a crash that has not struck yet
        if (!sim.isUp(victim)) sim.restart(victim);
      });
    }
  }

  // Membership changes: boot spares, ask to add them, change voter sets, transfer leadership.
  let requestId = 0;
  const ask = (request: MembershipChange) => {
    requestId++;
    for (const s of cluster.serverIds) if (sim.isUp(s)) sim.inject(ADMIN, s, { type: "AdminRequest", requestId, request });
  };
  if (spares.length > 0) {
    for (const spare of spares) {
      const at = start + rng.int(faultMs);
      sim.schedule(at, () => {
        if (!cluster.serverIds.includes(spare)) cluster.bootServer(spare);
        ask({ change: "addServer", server: spare });
      });
      sim.schedule(at + 300 + rng.int(600), () => ask({ change: "addServer", server: spare }));
    }
    const changes = 1 + rng.int(3);
    for (let i = 0; i < changes; i++) {
      sim.schedule(start + rng.int(faultMs), () => {
        const all = cluster.serverIds;
        const kind = rng.int(3);
        if (kind === 0) ask({ change: "removeServer", server: rng.pick(all) });
        else if (kind === 1) {
          const size = rng.pick([3, 3, 5].filter((k) => k <= all.length));
          ask({ change: "joint", voters: rng.shuffled(all).slice(0, size) });
        } else ask({ change: "transferLeadership", server: rng.pick(all) });
      });
    }
  }

  const fail = (rule: string, message: string): ChaosResult => result(cluster, plan, n, { rule, message, eventIndex: sim.trace.count, timeMs: sim.now() });
  if (!sim.runFor(faultMs + 1)) return result(cluster, plan, n, sim.failure);
  healAll(sim, cluster.serverIds);

  // Liveness after heal: a write commits within 10 election timeouts.
  const probeDeadlineMs = 10 * config.electionTimeoutMaxMs;
  let probeDone = false;
  cluster.addClient("probe", {
    nextOp: (_r, _c, seq) => (seq === 1 ? { op: "set", key: "probe", value: "after-heal" } : null),
    requestTimeoutMs: 100,
    opDeadlineMs: 60_000,
    backoffMs: 20,
  });
  const probe = cluster.client("probe");
  probeDone = sim.runUntil(() => probe.ackedWrites.length > 0, { maxMs: probeDeadlineMs });
  if (sim.failure !== null) return result(cluster, plan, n, sim.failure);
  if (!probeDone) return fail("liveness", `no write committed within ${probeDeadlineMs} ms (10 election timeouts) after the heal: the cluster has no working leader`);

  // Let the clients work on a healed cluster for a while, then stop them and
  // let every operation end (it completes or gives up by its deadline).
  if (!sim.runFor(1000)) return result(cluster, plan, n, sim.failure);
  cluster.stopClients();
  if (!sim.runUntil(() => cluster.clientsIdle(), { maxMs: 20_000 }) && sim.failure === null) {
    return fail("liveness", "clients still had operations in flight 20 s after the heal");
  }
  if (sim.failure !== null) return result(cluster, plan, n, sim.failure);

  // Every acknowledged write is applied on every live member of the final configuration.
  let maxAcked = 0;
  for (const w of cluster.ackedWrites()) maxAcked = Math.max(maxAcked, cluster.monitors.exactlyOnce.indexOf(w.clientId, w.seq) ?? Infinity);
  if (maxAcked === Infinity) return fail("acknowledged-write-lost", "a write acknowledged to a client was never executed by any server");
  const members = () => {
    const c = committedConfig(cluster, servers);
    return [...new Set([...c.voters, ...c.learners])].filter((id) => sim.isUp(id));
  };
  const applied = (id: NodeId) => cluster.monitors.stateMachine.applied.get(id) ?? 0;
  const caughtUp = sim.runUntil(() => members().every((id) => applied(id) >= maxAcked), { maxMs: probeDeadlineMs });
  if (sim.failure !== null) return result(cluster, plan, n, sim.failure);
  if (!caughtUp) {
    const behind = members().filter((id) => applied(id) < maxAcked).map((id) => `${id} at ${applied(id)}`);
    return fail("acknowledged-write-not-applied", `after the heal, acknowledged writes up to index ${maxAcked} are not applied on ${behind.join(", ")}`);
  }
  const endFailure = sim.finish();
  if (endFailure !== null) return result(cluster, plan, n, endFailure);

  const lin = cluster.checkLinearizable();
  if (lin.verdict !== "ok") {
    return fail(lin.verdict === "illegal" ? "linearizability" : "linearizability-unknown", lin.explanation);
  }
  return result(cluster, plan, n, null);
}

function result(cluster: RaftCluster, plan: SwarmPlan, servers: number, failure: Failure | null): ChaosResult {
  const sim = cluster.sim;
  const h = cluster.history.build();
  return {
    seed: sim.seed,
    passed: failure === null,
    virtualMs: sim.now(),
    traceHash: sim.trace.hash(),
    failure,
    plan,
    servers,
    operations: h.operations.length,
    okOperations: h.operations.filter((o) => o.status === "ok").length,
    events: sim.stats.events,
    coverage: sim.coverage.entries(),
  };
}
