// A cluster directory on disk:
//
//   DIR/cluster.json     who the nodes are and where they listen (the address book)
//   DIR/n1/data/         the node's storage files (*.rec)
//   DIR/n1/node.log      the node process's stdout and stderr (JSON lines)
//   DIR/n1/pid           the pid of the running process, written by whoever spawned it
//
// Every process reads cluster.json; only the CLI (and tests) write it.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { NodeId } from "../types.ts";
import { LOOPBACK } from "./transport.ts";

export type NodeKind = "raft" | "heartbeat";

export interface NodeSpec {
  id: NodeId;
  /** TCP port for messages from peers. */
  peerPort: number;
  /** HTTP port for clients, /status and /metrics. */
  httpPort: number;
}

export interface ClusterFile {
  version: 1;
  kind: NodeKind;
  /** The bootstrap voters, identical for every server, including ones added later. */
  members: NodeId[];
  nodes: NodeSpec[];
  /** Raft knobs for every node (see labs/given/config.ts), e.g. {"electionTimeoutMinMs": 300}. */
  raft: { [knob: string]: number | boolean };
}

export const CLUSTER_FILE = "cluster.json";

export function clusterPath(dir: string): string {
  return join(dir, CLUSTER_FILE);
}
export function dataDir(dir: string, id: NodeId): string {
  return join(dir, id, "data");
}
export function logPath(dir: string, id: NodeId): string {
  return join(dir, id, "node.log");
}
export function pidPath(dir: string, id: NodeId): string {
  return join(dir, id, "pid");
}

export class ClusterDirError extends Error {
  override name = "ClusterDirError";
}

export function readCluster(dir: string): ClusterFile {
  const path = clusterPath(dir);
  if (!existsSync(path)) throw new ClusterDirError(`no cluster in ${dir}: ${path} does not exist (start one with: npm run cluster -- start --dir ${dir})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ClusterDirError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const c = parsed as ClusterFile;
  if (c.version !== 1 || !Array.isArray(c.nodes) || !Array.isArray(c.members)) throw new ClusterDirError(`${path} is not a cluster file (version 1)`);
  return c;
}

/** Writes cluster.json atomically (temp file, rename) so a reading node never sees half of it. */
export function writeCluster(dir: string, c: ClusterFile): void {
  mkdirSync(dir, { recursive: true });
  const tmp = clusterPath(dir) + ".tmp";
  writeFileSync(tmp, JSON.stringify(c, null, 2) + "\n");
  renameSync(tmp, clusterPath(dir));
  for (const n of c.nodes) mkdirSync(dataDir(dir, n.id), { recursive: true });
}

export function findNode(c: ClusterFile, id: NodeId): NodeSpec {
  const n = c.nodes.find((x) => x.id === id);
  if (n === undefined) throw new ClusterDirError(`no node "${id}" in this cluster (nodes: ${c.nodes.map((x) => x.id).join(", ")})`);
  return n;
}

/** Asks the OS for n free loopback ports (bound and released at once: a small race, checked again at listen). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import("node:net").Server>((resolve, reject) => {
          const s = createServer();
          s.once("error", reject);
          s.listen({ host: LOOPBACK, port: 0 }, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (typeof a !== "object" || a === null) throw new Error("no address for a listening socket");
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

/** The next free node id: n1, n2, ... */
export function nextNodeId(c: ClusterFile): NodeId {
  const used = new Set(c.nodes.map((n) => n.id));
  for (let i = 1; ; i++) if (!used.has(`n${i}`)) return `n${i}`;
}

/**
 * Raft timing for real processes, unless cluster.json says otherwise. The
 * simulator's defaults (elections after 150-300 ms of silence) are too tight
 * for real machines, where an fsync or a busy CPU can stall a leader's
 * heartbeat for a hundred milliseconds; like etcd (100 ms heartbeat, 1 s
 * election timeout), leave an order of magnitude between the two.
 */
export const REAL_RAFT_DEFAULTS: ClusterFile["raft"] = { heartbeatIntervalMs: 100, electionTimeoutMinMs: 600, electionTimeoutMaxMs: 1200 };

/** A new cluster description with fresh ports. */
export async function newCluster(ids: readonly NodeId[], kind: NodeKind, raft: ClusterFile["raft"] = {}, basePort?: number): Promise<ClusterFile> {
  const ports = basePort === undefined ? await freePorts(ids.length * 2) : ids.flatMap((_, i) => [basePort + 2 * i, basePort + 2 * i + 1]);
  return {
    version: 1,
    kind,
    members: [...ids],
    nodes: ids.map((id, i) => ({ id, peerPort: ports[2 * i], httpPort: ports[2 * i + 1] })),
    raft: kind === "raft" ? { ...REAL_RAFT_DEFAULTS, ...raft } : raft,
  };
}
