// Test traces for the timeline: a small heartbeat cluster with faults and a
// deliberately failing election-safety monitor, and a long run for speed.
// Tests only; nothing here is part of the grader's output.
import { heartbeatFactory, type HeartbeatMsg } from "../../harness/examples/heartbeat.ts";
import { OneLeaderPerTermMonitor, Simulation, type Failure } from "../../harness/sim/index.ts";
import type { Env, Json, Node, NodeId } from "../../harness/types.ts";

/**
 * A heartbeat node dressed up as a Raft node for the viewer: it logs `role`
 * events and reports role/term/votedFor/log/commitIndex/lastApplied from
 * inspect(). Its script is fixed: every node starts as a follower, and node
 * `leaderAt[id]` ms after boot it claims leadership of term 1. Two claims in
 * term 1 make OneLeaderPerTermMonitor fail the run, on purpose.
 */
class PretendRaftNode implements Node<HeartbeatMsg> {
  private role = "follower";
  private term = 0;
  private votedFor: NodeId | null = null;
  private log: string[] = [];
  private commitIndex = 0;
  private lastApplied = 0;
  private readonly inner: Node<HeartbeatMsg>;
  private readonly bootMs: number;

  constructor(
    private readonly env: Env<HeartbeatMsg>,
    peers: readonly NodeId[],
    private readonly script: { candidateAtMs?: number; leaderAtMs?: number },
  ) {
    this.inner = heartbeatFactory({ peers, heartbeatMs: 50, persistEvery: 4 })(env);
    this.bootMs = env.now();
    env.log("role", { role: "follower", term: 0 });
  }

  onTimer(name: string): void {
    this.inner.onTimer(name);
    const age = this.env.now() - this.bootMs;
    if (this.script.candidateAtMs !== undefined && age >= this.script.candidateAtMs && this.role === "follower") {
      this.role = "candidate";
      this.term = 1;
      this.votedFor = this.env.id;
      this.env.log("role", { role: "candidate", term: 1 });
    }
    if (this.script.leaderAtMs !== undefined && age >= this.script.leaderAtMs && this.role !== "leader") {
      this.role = "leader";
      this.term = 1;
      this.votedFor = this.env.id;
      this.env.log("role", { role: "leader", term: 1 });
    }
    if (this.role === "leader") {
      this.log.push(`${this.log.length + 1}:${this.term}`);
      if (this.log.length > 2) this.commitIndex = this.log.length - 2;
      while (this.lastApplied < this.commitIndex) {
        this.lastApplied++;
        this.env.apply({ kind: "entry", index: this.lastApplied, term: this.term, command: { op: "noop" } });
      }
    }
  }

  onMessage(from: NodeId, msg: HeartbeatMsg): void {
    this.inner.onMessage(from, msg);
  }

  inspect(): { [key: string]: Json } {
    return {
      role: this.role,
      term: this.term,
      votedFor: this.votedFor,
      log: this.log,
      commitIndex: this.commitIndex,
      lastApplied: this.lastApplied,
      ...(this.inner.inspect?.() ?? {}),
    };
  }
}

export interface FixtureRun {
  jsonl: string;
  failure: Failure | null;
  lanes: number;
  sends: number;
  drops: number;
  dupes: number;
}

/** The failing run the browser test draws: 3 nodes, loss, duplication, a partition, a crash, a pause. */
export function failingElectionRun(seed = 7): FixtureRun {
  const nodes = ["n1", "n2", "n3"];
  const scripts: Record<string, { candidateAtMs?: number; leaderAtMs?: number }> = {
    n1: { candidateAtMs: 120, leaderAtMs: 160 },
    n2: { candidateAtMs: 820, leaderAtMs: 860 },
    n3: {},
  };
  const sim = new Simulation<HeartbeatMsg>({
    seed,
    nodes,
    factory: (env) => new PretendRaftNode(env, nodes, scripts[env.id] ?? {}),
    monitors: [new OneLeaderPerTermMonitor()],
    traceMode: "full",
    recordStates: true,
    linkFaults: { drop: 0.08, dupe: 0.08, delayMs: { floorMs: 2, meanMs: 6, maxMs: 40 } },
  });
  sim.schedule(300, () => {
    sim.note("isolate n3");
    sim.isolate("n3");
  });
  sim.schedule(420, () => sim.pause("n2", 90));
  sim.schedule(560, () => sim.heal());
  sim.schedule(620, () => sim.cutLink("n1", "n2"));
  sim.schedule(640, () => sim.crash("n3"));
  sim.schedule(700, () => sim.heal());
  sim.schedule(740, () => sim.restart("n3"));
  sim.runFor(1500);
  const failure = sim.finish();
  let jsonl = sim.trace.toJsonl();
  if (failure !== null) jsonl += failureLine(failure) + "\n";
  const events = sim.trace.events();
  return {
    jsonl,
    failure,
    lanes: nodes.length,
    sends: events.filter((e) => e.kind === "send").length,
    drops: events.filter((e) => e.kind === "drop").length,
    dupes: events.filter((e) => e.kind === "dupe").length,
  };
}

/** The failure line the grader appends (the agreed shape). */
export function failureLine(f: Failure): string {
  return JSON.stringify({ k: "failure", i: f.eventIndex, t: f.timeMs, rule: f.rule, message: f.message, section: f.section ?? "", node: f.node ?? "" });
}

/** A long healthy heartbeat run, for the viewer's speed: about `targetEvents` records. */
export function longRun(targetEvents: number, seed = 11): { jsonl: string; events: number } {
  const nodes = ["n1", "n2", "n3", "n4", "n5"];
  const sim = new Simulation<HeartbeatMsg>({
    seed,
    nodes,
    factory: heartbeatFactory({ peers: nodes, heartbeatMs: 20, persistEvery: 0 }),
    traceMode: "full",
    recordStates: true,
    linkFaults: { drop: 0.02, dupe: 0.01, delayMs: { min: 1, max: 9 } },
  });
  sim.schedule(2000, () => sim.isolate("n2"));
  sim.schedule(3000, () => sim.heal());
  sim.schedule(4000, () => sim.crash("n4"));
  sim.schedule(4500, () => sim.restart("n4"));
  while (sim.trace.count < targetEvents) sim.runFor(100);
  return { jsonl: sim.trace.toJsonl(), events: sim.trace.count };
}
