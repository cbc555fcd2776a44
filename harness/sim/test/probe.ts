// A test node that does nothing on its own: tests make it send through its Env
// (from a scheduled action) and read what it received.
import type { Env, Json, Node, NodeId } from "../../types.ts";
import { Simulation, type SimOptions } from "../index.ts";

export type ProbeMsg = { n: number; body?: Json; list?: number[] };

export class ProbeNode implements Node<ProbeMsg> {
  readonly received: { from: NodeId; msg: ProbeMsg; atMs: number }[] = [];
  readonly timersFired: { name: string; localMs: number }[] = [];
  throwOn: number | null = null;
  constructor(readonly env: Env<ProbeMsg>) {}
  onMessage(from: NodeId, msg: ProbeMsg): void {
    if (this.throwOn === msg.n) throw new Error(`probe told to throw on ${msg.n}`);
    this.received.push({ from, msg, atMs: this.env.now() });
  }
  onTimer(name: string): void {
    this.timersFired.push({ name, localMs: this.env.now() });
  }
}

export function probeSim(seed: number, nodes: string[] = ["a", "b", "c"], extra: Partial<SimOptions<ProbeMsg>> = {}): Simulation<ProbeMsg> {
  return new Simulation<ProbeMsg>({ seed, nodes, factory: (env) => new ProbeNode(env), ...extra });
}

export function probe(sim: Simulation<ProbeMsg>, id: string): ProbeNode {
  const node = sim.node(id);
  if (!(node instanceof ProbeNode)) throw new Error(`${id} is not a live probe`);
  return node;
}

/** Sends count messages from -> to at the current virtual time, numbered from firstN. */
export function blast(sim: Simulation<ProbeMsg>, from: string, to: string, count: number, firstN = 0): void {
  const env = probe(sim, from).env;
  for (let i = 0; i < count; i++) env.send(to, { n: firstN + i });
}
