// Cluster operations shared by the CLI, the tests and the benchmark: create
// and start a cluster, wait for a leader, membership changes, backup and
// restore. Everything here is bounded in time.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { Json, NodeId } from "../types.ts";
import { ClusterClient, httpRequest, nodeStatus, parseJson } from "./client.ts";
import {
  type ClusterFile,
  dataDir,
  findNode,
  freePorts,
  newCluster,
  nextNodeId,
  type NodeKind,
  readCluster,
  writeCluster,
} from "./layout.ts";
import { runningPid, sleep, spawnNode, type SpawnOptions, stopNode } from "./procs.ts";

export type Status = { [key: string]: Json };

/** The file that names the process nodes watch when the cluster runs in the foreground. */
export function watchPidPath(dir: string): string {
  return join(dir, "watch-pid");
}

/** Spawn options for a node of this cluster: watch the foreground CLI if one runs. */
export function spawnOptionsFor(dir: string, base: SpawnOptions = {}): SpawnOptions {
  if (base.watchPid !== undefined) return base;
  const path = watchPidPath(dir);
  if (!existsSync(path)) return base;
  const pid = Number(readFileSync(path, "utf8").trim());
  try {
    process.kill(pid, 0);
    return { ...base, watchPid: pid };
  } catch {
    return base;
  }
}

export function evenCountWarning(n: number): string | null {
  if (n % 2 !== 0) return null;
  const majority = Math.floor(n / 2) + 1;
  const odd = n - 1;
  return (
    `warning: ${n} nodes is an even count. A majority of ${n} is ${majority}, so it survives ${n - majority} failure(s) — ` +
    `no more than ${odd} nodes would (majority ${Math.floor(odd / 2) + 1}), while every write waits for one more ack, ` +
    `and a clean split into two halves leaves neither side a majority. Prefer an odd count (3 or 5).`
  );
}

export interface StartOptions {
  nodes?: number;
  kind?: NodeKind;
  raft?: ClusterFile["raft"];
  basePort?: number;
  spawn?: SpawnOptions;
}

/** Creates the cluster in dir (unless it exists) and starts every node not running. Returns the cluster and the ids started. */
export async function startCluster(dir: string, opts: StartOptions = {}): Promise<{ cluster: ClusterFile; started: NodeId[]; created: boolean }> {
  let created = false;
  if (!existsSync(join(dir, "cluster.json"))) {
    const n = opts.nodes ?? 3;
    if (!(Number.isInteger(n) && n >= 1 && n <= 9)) throw new RangeError(`--nodes must be 1..9, got ${n}`);
    const ids = Array.from({ length: n }, (_, i) => `n${i + 1}`);
    writeCluster(dir, await newCluster(ids, opts.kind ?? "raft", opts.raft ?? {}, opts.basePort));
    created = true;
  }
  const cluster = readCluster(dir);
  const started: NodeId[] = [];
  for (const n of cluster.nodes) {
    if (runningPid(dir, n.id) !== undefined) continue;
    mkdirSync(dataDir(dir, n.id), { recursive: true });
    spawnNode(dir, n.id, spawnOptionsFor(dir, opts.spawn));
    started.push(n.id);
  }
  return { cluster, started, created };
}

/** Every node's /status (null for a node that does not answer). */
export async function allStatus(dir: string, timeoutMs = 800): Promise<Map<NodeId, Status | null>> {
  const c = readCluster(dir);
  const entries = await Promise.all(c.nodes.map(async (n) => [n.id, await nodeStatus(n.httpPort, timeoutMs)] as const));
  return new Map(entries);
}

/** The leader and its status, if exactly one running node says it leads (the highest term wins a tie). */
export function leaderOf(statuses: Map<NodeId, Status | null>): { id: NodeId; status: Status } | null {
  let best: { id: NodeId; status: Status } | null = null;
  for (const [id, st] of statuses) {
    if (st?.role !== "leader") continue;
    if (best === null || Number(st.term) > Number(best.status.term)) best = { id, status: st };
  }
  return best;
}

/** Waits until a leader is elected (optionally: other than `not`), or throws after timeoutMs with what each node said. */
export async function waitForLeader(dir: string, timeoutMs = 15_000, not?: NodeId): Promise<{ id: NodeId; status: Status }> {
  const deadline = Date.now() + timeoutMs;
  let last = new Map<NodeId, Status | null>();
  while (Date.now() < deadline) {
    last = await allStatus(dir, 500);
    const l = leaderOf(last);
    if (l !== null && l.id !== not && Number(l.status.commitIndex) >= 1) return l;
    await sleep(50);
  }
  const seen = [...last].map(([id, st]) => `${id}: ${st === null ? "down" : `${String(st.role)} term ${String(st.term)}`}`).join(", ");
  throw new Error(`no leader${not === undefined ? "" : ` other than ${not}`} within ${timeoutMs} ms (${seen}); see the node logs in ${dir}/<node>/node.log`);
}

/** Waits until node id has applied at least index; returns its status. */
export async function waitForApplied(dir: string, id: NodeId, index: number, timeoutMs = 15_000): Promise<Status> {
  const port = findNode(readCluster(dir), id).httpPort;
  const deadline = Date.now() + timeoutMs;
  let st: Status | null = null;
  while (Date.now() < deadline) {
    st = await nodeStatus(port, 500);
    if (st !== null && Number(st.appliedIndex) >= index) return st;
    await sleep(50);
  }
  throw new Error(`${id} did not apply index ${index} within ${timeoutMs} ms (it is at ${st === null ? "down" : String(st.appliedIndex)})`);
}

async function admin(dir: string, body: Json, timeoutMs: number): Promise<Status> {
  const client = new ClusterClient(dir, { deadlineMs: timeoutMs });
  try {
    const r = await client.send("POST", "/admin/members", JSON.stringify(body));
    if (r.status !== 200) throw new Error(`membership change ${JSON.stringify(body)} failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  } finally {
    client.close();
  }
}

/**
 * Adds a node: new id and ports in cluster.json, starts its process (empty
 * data dir), asks the leader to add it as a learner; the leader promotes it to
 * voter once it has caught up. Waits for the promotion.
 */
export async function addNode(dir: string, opts: { timeoutMs?: number; spawn?: SpawnOptions } = {}): Promise<{ id: NodeId; status: Status }> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const c = readCluster(dir);
  const id = nextNodeId(c);
  const [peerPort, httpPort] = await freePorts(2);
  c.nodes.push({ id, peerPort, httpPort });
  writeCluster(dir, c);
  spawnNode(dir, id, spawnOptionsFor(dir, opts.spawn));
  await admin(dir, { change: "addServer", server: id }, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const l = leaderOf(await allStatus(dir, 500));
    const m = l?.status.membership as { voters?: string[] } | undefined;
    if (m?.voters?.includes(id) === true) return { id, status: l!.status };
    await sleep(100);
  }
  throw new Error(`${id} was added as a learner but not promoted to voter within ${timeoutMs} ms (it may still be catching up: see status)`);
}

/** Removes a node from the configuration, then stops its process and drops it from cluster.json (its data dir stays). */
export async function removeNode(dir: string, id: NodeId, opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  findNode(readCluster(dir), id);
  await admin(dir, { change: "removeServer", server: id }, timeoutMs);
  await stopNode(dir, id);
  const c = readCluster(dir);
  c.nodes = c.nodes.filter((n) => n.id !== id);
  writeCluster(dir, c);
}

/** Asks node id for a consistent copy of its storage in `to` (a new directory). */
export async function backup(dir: string, id: NodeId, to: string): Promise<Status> {
  const abs = resolve(to);
  const port = findNode(readCluster(dir), id).httpPort;
  const r = await httpRequest(port, "POST", `/admin/backup?to=${encodeURIComponent(abs)}`, null, { timeoutMs: 30_000 });
  const body = parseJson(r.body);
  if (r.status !== 200) throw new Error(`backup from ${id} failed: ${r.status} ${String(body.error)}: ${String(body.detail)}`);
  return body;
}

interface Manifest {
  version: 1;
  node: NodeId;
  kind: NodeKind;
  members: NodeId[];
  raft: ClusterFile["raft"];
  status: { membership?: { voters: NodeId[]; votersOutgoing: NodeId[]; learners: NodeId[] }; appliedIndex?: number; commitIndex?: number };
}

/**
 * Seeds a new cluster in dir from a backup: every server of the backed-up
 * configuration gets a copy of the backup's storage (same log, same term), so
 * whichever is elected has everything the backed-up node had. Ports are new.
 * Does not start it.
 */
export async function restore(from: string, dir: string): Promise<ClusterFile> {
  const manifestPath = join(from, "manifest.json");
  if (!existsSync(manifestPath)) throw new Error(`${from} is not a backup: no manifest.json`);
  if (existsSync(join(dir, "cluster.json"))) throw new Error(`${dir} already holds a cluster; restore into a new directory`);
  const m = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
  const mem = m.status.membership;
  const ids = mem === undefined ? [m.node] : [...new Set([...mem.voters, ...mem.votersOutgoing, ...mem.learners])].sort();
  const c = await newCluster(ids, m.kind, m.raft);
  c.members = [...m.members];
  writeCluster(dir, c);
  for (const id of ids) {
    const dd = dataDir(dir, id);
    if (readdirSync(dd).length > 0) throw new Error(`${dd} is not empty`);
    cpSync(join(from, "data"), dd, { recursive: true });
  }
  writeFileSync(join(dir, "restored-from.json"), JSON.stringify({ from: isAbsolute(from) ? from : resolve(from), node: m.node, at: new Date().toISOString() }) + "\n");
  return c;
}

/** Removes a stopped cluster's directory. Refuses while any node runs. */
export function removeClusterDir(dir: string): void {
  const c = readCluster(dir);
  const running = c.nodes.filter((n) => runningPid(dir, n.id) !== undefined).map((n) => n.id);
  if (running.length > 0) throw new Error(`nodes ${running.join(", ")} still run in ${dir}; stop them first`);
  rmSync(dir, { recursive: true, force: true });
}
