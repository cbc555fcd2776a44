// A tiny example node, used by the harness's own tests and benchmark to prove the
// simulator's semantics without any Raft: every heartbeatMs it pings each peer,
// and it answers every ping with a pong. It also keeps a durable counter of
// pings it has sent, to exercise storage across restarts.
import { openRecords, sealRecord } from "../checksum.ts";
import type { Env, Json, Node, NodeId } from "../types.ts";

export type HeartbeatMsg = { type: "ping"; seq: number; sentAtMs: number } | { type: "pong"; seq: number; sentAtMs: number };

export interface HeartbeatConfig {
  peers: readonly NodeId[];
  heartbeatMs: number;
  /** Sync the ping counter every this many pings (0: never write). */
  persistEvery: number;
}

export class HeartbeatNode implements Node<HeartbeatMsg> {
  seq = 0;
  pingsReceived = 0;
  pongsReceived = 0;
  /** Round-trip times seen, on this node's clock. */
  lastRttMs = -1;

  constructor(
    private readonly env: Env<HeartbeatMsg>,
    private readonly config: HeartbeatConfig,
  ) {
    const { payloads } = openRecords(env.storage.read("counter"));
    const last = payloads.at(-1);
    if (last !== undefined) this.seq = Number(last);
    env.setTimer(config.heartbeatMs, "heartbeat");
  }

  onTimer(name: string): void {
    if (name !== "heartbeat") throw new Error(`unexpected timer ${name}`);
    this.seq++;
    for (const peer of this.config.peers) {
      if (peer !== this.env.id) this.env.send(peer, { type: "ping", seq: this.seq, sentAtMs: this.env.now() });
    }
    if (this.config.persistEvery > 0 && this.seq % this.config.persistEvery === 0) {
      this.env.storage.append("counter", sealRecord(String(this.seq)));
      this.env.storage.sync();
    }
    this.env.setTimer(this.config.heartbeatMs, "heartbeat");
  }

  onMessage(from: NodeId, msg: HeartbeatMsg): void {
    switch (msg.type) {
      case "ping":
        this.pingsReceived++;
        this.env.send(from, { type: "pong", seq: msg.seq, sentAtMs: msg.sentAtMs });
        break;
      case "pong":
        this.pongsReceived++;
        this.lastRttMs = this.env.now() - msg.sentAtMs;
        break;
      default: {
        const never: never = msg;
        throw new Error(`unknown message ${JSON.stringify(never)}`);
      }
    }
  }

  inspect(): { [key: string]: Json } {
    return { seq: this.seq, pingsReceived: this.pingsReceived, pongsReceived: this.pongsReceived };
  }
}

export function heartbeatFactory(config: HeartbeatConfig): (env: Env<HeartbeatMsg>) => HeartbeatNode {
  return (env) => new HeartbeatNode(env, config);
}
