// Starting and stopping node processes. A node is `node --import tsx
// harness/real/node-main.ts --dir DIR --id nX`, in its own process group, its
// output appended to DIR/nX/node.log, its pid in DIR/nX/pid. We only ever
// signal a pid after checking, in /proc, that it is still that very node of
// that very cluster (pids get reused).
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { NodeId } from "../types.ts";
import { logPath, pidPath, readCluster } from "./layout.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const NODE_MAIN = join(here, "node-main.ts");
/** The repository root: tsx is resolved from here. */
const repoRoot = resolve(here, "..", "..");

export interface SpawnOptions {
  /** The node exits when this process is gone (tests and a foreground `start` pass their own pid). */
  watchPid?: number;
  /** The node exits after this long whatever happens: a last bound for tests. */
  maxLifetimeMs?: number;
  acceptDataLoss?: boolean;
}

/** Starts one node process; returns its pid. It keeps running if we exit (detached). */
export function spawnNode(dir: string, id: NodeId, opts: SpawnOptions = {}): number {
  const absDir = resolve(dir);
  // RAFT_NODE_FLAGS passes flags to node itself, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeFlags = (process.env.RAFT_NODE_FLAGS ?? "").split(/\s+/).filter((f) => f !== "");
  const args = [...nodeFlags, "--import", "tsx", NODE_MAIN, "--dir", absDir, "--id", id];
  if (opts.watchPid !== undefined) args.push("--watch-pid", String(opts.watchPid));
  if (opts.maxLifetimeMs !== undefined) args.push("--max-lifetime-ms", String(opts.maxLifetimeMs));
  if (opts.acceptDataLoss === true) args.push("--accept-data-loss");
  const out = openSync(logPath(absDir, id), "a");
  try {
    const child = spawn(process.execPath, args, { cwd: repoRoot, detached: true, stdio: ["ignore", out, out] });
    if (child.pid === undefined) throw new Error(`could not start node ${id}`);
    child.unref();
    writeFileSync(pidPath(absDir, id), `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/** True if pid is alive and is node `id` of the cluster in dir. */
export function isOurNode(pid: number, dir: string, id: NodeId): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return false;
  }
  const argv = cmdline.split("\0");
  if (!argv.some((a) => a.endsWith("node-main.ts"))) return false;
  const at = (flag: string): string | undefined => argv[argv.indexOf(flag) + 1];
  if (at("--id") !== id || at("--dir") !== resolve(dir)) return false;
  // A zombie has exited; it only waits for its parent to reap it.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z") return false;
  } catch {
    return false;
  }
  return true;
}

/** The pid of node id if it runs now, else undefined. */
export function runningPid(dir: string, id: NodeId): number | undefined {
  const path = pidPath(dir, id);
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && isOurNode(pid, dir, id) ? pid : undefined;
}

/** Sends a signal to node id if it runs; returns its pid or undefined. */
export function signalNode(dir: string, id: NodeId, signal: NodeJS.Signals): number | undefined {
  const pid = runningPid(dir, id);
  if (pid === undefined) return undefined;
  try {
    process.kill(pid, signal);
  } catch {
    return undefined;
  }
  return pid;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until node id no longer runs; false on timeout. */
export async function waitGone(dir: string, id: NodeId, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (runningPid(dir, id) === undefined) return true;
    await sleep(25);
  }
  return runningPid(dir, id) === undefined;
}

/** Stops node id: SIGTERM (clean shutdown), then SIGKILL if it lingers. Returns whether it ran. */
export async function stopNode(dir: string, id: NodeId, graceMs = 3000): Promise<boolean> {
  const pid = signalNode(dir, id, "SIGTERM");
  if (pid === undefined) return false;
  if (!(await waitGone(dir, id, graceMs))) {
    signalNode(dir, id, "SIGKILL");
    await waitGone(dir, id, 2000);
  }
  rmSync(pidPath(dir, id), { force: true });
  return true;
}

/** kill -9: the node gets no chance to flush or clean up. */
export async function killNode(dir: string, id: NodeId): Promise<number | undefined> {
  const pid = signalNode(dir, id, "SIGKILL");
  if (pid !== undefined) await waitGone(dir, id, 3000);
  return pid;
}

/** Stops every node of the cluster in dir. Returns the ids that were running. */
export async function stopCluster(dir: string, graceMs = 3000): Promise<NodeId[]> {
  const c = readCluster(dir);
  const running = c.nodes.map((n) => n.id).filter((id) => runningPid(dir, id) !== undefined);
  await Promise.all(running.map((id) => stopNode(dir, id, graceMs)));
  return running;
}

/** Node ids of the cluster whose process runs now. */
export function runningNodes(dir: string): NodeId[] {
  return readCluster(dir)
    .nodes.map((n) => n.id)
    .filter((id) => runningPid(dir, id) !== undefined);
}

