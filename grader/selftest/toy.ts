// The self-test's system under test: a toy "lowest id leads" cluster built on
// the shape of harness/examples/heartbeat.ts, small enough to trust, rich
// enough to exercise every grader feature before any Raft exists (leaders,
// proposals, applies, crashes, partitions). It is NOT consensus: the leader
// simply pushes its log, and commits what a majority acknowledged.
//
// Bug switches (config keys) let the self-test prove the guards: loopAtMs spins
// forever, leakAtMs allocates without bound, throwAtMs throws, splitBrain lets
// every server lead.
import type { Monitor, Simulation } from "../../harness/sim/index.ts";
import type { Applied, Env, Json, Node, NodeFactory, NodeId } from "../../harness/types.ts";
import { type Subject, checkConfigKeys, summarizeView } from "../subject.ts";

type ToyMsg =
  | { type: "ping"; term: number; leader: boolean; log: string[]; commit: number }
  | { type: "ack"; term: number; length: number }
  | { type: "propose"; value: string };

const TOY_CONFIG = {
  heartbeatIntervalMs: 50,
  /** A peer unheard for this long is presumed gone. */
  silenceMs: 200,
  loopAtMs: -1,
  leakAtMs: -1,
  throwAtMs: -1,
  splitBrain: false,
} satisfies Record<string, Json>;
type ToyConfig = typeof TOY_CONFIG;

class ToyNode implements Node<ToyMsg> {
  role: "leader" | "follower" = "follower";
  term = 0;
  log: string[] = [];
  commit = 0;
  applied = 0;
  private readonly lastHeard = new Map<NodeId, number>();
  private readonly acked = new Map<NodeId, number>();
  private readonly hoard: number[][] = [];

  constructor(
    private readonly env: Env<ToyMsg>,
    private readonly peers: readonly NodeId[],
    private readonly config: ToyConfig,
  ) {
    env.setTimer(config.heartbeatIntervalMs, "tick");
  }

  onTimer(): void {
    const now = this.env.now();
    this.misbehave(now);
    this.decideRole(now);
    // Everyone pings (so everyone knows who is alive); only the leader's ping carries the log.
    const leader = this.role === "leader";
    for (const p of this.peers) {
      if (p !== this.env.id) this.env.send(p, { type: "ping", term: this.term, leader, log: leader ? this.log : [], commit: leader ? this.commit : 0 });
    }
    this.env.setTimer(this.config.heartbeatIntervalMs, "tick");
  }

  private misbehave(now: number): void {
    const { loopAtMs, leakAtMs, throwAtMs } = this.config;
    if (loopAtMs >= 0 && now >= loopAtMs && this.env.id === "n1") {
      // A deliberate infinite loop: the wall-clock guard must stop it.
      let spins = 0;
      for (;;) spins = (spins + 1) | 0;
    }
    if (leakAtMs >= 0 && now >= leakAtMs && this.env.id === "n1") {
      // A deliberate unbounded allocation: the worker's heap limit must stop it.
      for (;;) this.hoard.push(new Array<number>(1 << 16).fill(this.hoard.length));
    }
    if (throwAtMs >= 0 && now >= throwAtMs && this.env.id === "n1") throw new Error("toy node told to throw");
  }

  /** The lowest id among the servers heard from recently leads, if it hears from a majority. */
  private decideRole(now: number): void {
    const alive = this.peers.filter((p) => p === this.env.id || now - (this.lastHeard.get(p) ?? -Infinity) <= this.config.silenceMs);
    const majority = alive.length * 2 > this.peers.length;
    const lead = this.config.splitBrain || (majority && alive[0] === this.env.id);
    if (lead && this.role !== "leader") {
      this.role = "leader";
      this.term++;
      this.env.log("role", { role: "leader", term: this.term });
    } else if (!lead && this.role === "leader") {
      this.role = "follower";
      this.env.log("role", { role: "follower", term: this.term });
    }
  }

  onMessage(from: NodeId, msg: ToyMsg): void {
    this.lastHeard.set(from, this.env.now());
    switch (msg.type) {
      case "ping":
        if (msg.term > this.term) this.term = msg.term;
        if (!msg.leader) return;
        if (this.role === "leader" && !this.config.splitBrain && from < this.env.id) {
          this.role = "follower";
          this.env.log("role", { role: "follower", term: this.term });
        }
        if (this.role !== "leader") {
          this.log = msg.log.slice();
          this.advance(Math.min(msg.commit, this.log.length));
        }
        this.env.send(from, { type: "ack", term: this.term, length: this.log.length });
        return;
      case "ack":
        if (this.role !== "leader") return;
        this.acked.set(from, msg.length);
        this.leaderCommit();
        return;
      case "propose":
        if (this.role === "leader") this.log.push(msg.value);
        return;
    }
  }

  private leaderCommit(): void {
    const lengths = this.peers.map((p) => (p === this.env.id ? this.log.length : (this.acked.get(p) ?? 0))).sort((a, b) => b - a);
    const majorityLength = lengths[Math.floor(this.peers.length / 2)];
    this.advance(Math.max(this.commit, majorityLength));
  }

  private advance(commit: number): void {
    this.commit = Math.max(this.commit, commit);
    while (this.applied < this.commit) {
      this.applied++;
      const command = this.log[this.applied - 1];
      this.env.apply({ kind: "entry", index: this.applied, term: this.term, command });
    }
  }

  inspect(): { [key: string]: Json } {
    return { role: this.role, term: this.term, log: this.log.map((v) => ({ term: this.term, value: v })), lastLogIndex: this.log.length, commitIndex: this.commit, lastApplied: this.applied };
  }
}

/** The toy as a grader Subject. */
export function toySubject(): Subject {
  return {
    description: "the self-test's toy cluster",
    checkConfig: (config) => checkConfigKeys(config, TOY_CONFIG),
    factory(ids: readonly NodeId[], config: Readonly<Record<string, Json>>): NodeFactory<Json> {
      const c = { ...TOY_CONFIG, ...config } as ToyConfig;
      const factory = (env: Env<ToyMsg>) => new ToyNode(env, ids, c);
      return factory as unknown as NodeFactory<Json>;
    },
    monitors: (): Monitor[] => [],
    propose(sim: Simulation<Json>, to: NodeId, value: string): void {
      if (!sim.nodeIds().includes("client")) sim.addNode("client", () => ({ onMessage() {}, onTimer() {} }));
      sim.inject("client", to, { type: "propose", value });
    },
    proposalOf: (entry: Applied) => (entry.kind === "entry" && typeof entry.command === "string" ? entry.command : undefined),
    roleOf(node) {
      return node instanceof ToyNode ? { role: node.role, term: node.term } : undefined;
    },
    summarize: summarizeView,
  };
}
