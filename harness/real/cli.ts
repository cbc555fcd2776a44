// npm run cluster -- <command> [options]
//
// Runs the reference Raft KV (solutions/) as real processes on 127.0.0.1.
// See usage() below, and the README's cluster section.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Json, NodeId } from "../types.ts";
import { ClusterClient } from "./client.ts";
import { type ClusterFile, findNode, logPath, readCluster } from "./layout.ts";
import { runLoad, type LoadResult } from "./loadgen.ts";
import {
  addNode,
  allStatus,
  backup,
  evenCountWarning,
  leaderOf,
  removeNode,
  removeClusterDir,
  restore,
  spawnOptionsFor,
  type Status,
  startCluster,
  waitForLeader,
  watchPidPath,
} from "./ops.ts";
import { killNode, runningPid, sleep, spawnNode, stopCluster, stopNode } from "./procs.ts";

const DEFAULT_DIR = ".cluster";

function usage(): string {
  return `usage: npm run cluster -- <command> [options]

  start [--nodes 3] [--dir DIR] [--detach] [--base-port P]
                        start a cluster (or restart a stopped one in DIR) and show a live view;
                        Ctrl-C stops every node. --detach returns once a leader is elected.
  status [--json]       one row per node: role, term, leader, commit, applied, last log index
  watch                 the live view of a running cluster (Ctrl-C leaves it running)
  stop                  stop every node (clean shutdown)
  kill <nX|leader>      SIGKILL one node (no clean shutdown)
  restart <nX>          start a node again (stopping it first if it runs)
  put <key> <value>     write through any node (redirects to the leader)
  get <key> [--stale]   read (linearizable; --stale reads a follower's local state)
  del <key>
  add-node              start a new node and add it (learner, then voter once caught up)
  remove-node <nX>      remove a node from the configuration and stop it
  backup --node nX --to DIR     consistent copy of a running node's storage
  restore --from DIR [--detach] seed a new cluster (in --dir) from a backup and start it
  bench [--clients 16] [--ops 2000]   load the running cluster (writes, then reads)
  logs <nX>             print a node's log
  destroy               delete a stopped cluster's directory

  every command takes --dir DIR (default ${DEFAULT_DIR}) to find the cluster.
  --via nX sends put/get/del to that node. Ports are 127.0.0.1 only.`;
}

type Flags = {
  dir: string;
  nodes?: string;
  detach?: boolean;
  "base-port"?: string;
  json?: boolean;
  stale?: boolean;
  via?: string;
  node?: string;
  to?: string;
  from?: string;
  clients?: string;
  ops?: string;
  help?: boolean;
};

function parse(argv: string[]): { cmd: string | undefined; pos: string[]; flags: Flags } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: "string", default: DEFAULT_DIR },
      nodes: { type: "string" },
      detach: { type: "boolean" },
      "base-port": { type: "string" },
      json: { type: "boolean" },
      stale: { type: "boolean" },
      via: { type: "string" },
      node: { type: "string" },
      to: { type: "string" },
      from: { type: "string" },
      clients: { type: "string" },
      ops: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  return { cmd: positionals[0], pos: positionals.slice(1), flags: values as Flags };
}

// ------------------------------------------------------------------ view

const COLUMNS = ["node", "pid", "role", "term", "leader", "commit", "applied", "last", "snap", "keys", "behind"] as const;

function rows(c: ClusterFile, dir: string, statuses: Map<NodeId, Status | null>): string[][] {
  const leaderCommit = Number(leaderOf(statuses)?.status.commitIndex ?? NaN);
  return c.nodes.map((n) => {
    const st = statuses.get(n.id) ?? null;
    const pid = runningPid(dir, n.id);
    if (st === null) return [n.id, pid === undefined ? "-" : String(pid), pid === undefined ? "DOWN" : "starting", "", "", "", "", "", "", "", ""];
    const log = st.log as { last?: number } | undefined;
    // How many committed entries this node has yet to apply: a restarted node catching up counts down to 0.
    const behind = Number.isNaN(leaderCommit) ? "" : String(Math.max(0, leaderCommit - Number(st.appliedIndex)));
    return [
      n.id,
      String(st.pid),
      String(st.role).toUpperCase() === "LEADER" ? "LEADER" : String(st.role),
      String(st.term),
      String(st.leader ?? "-"),
      String(st.commitIndex),
      String(st.appliedIndex),
      String(log?.last ?? ""),
      String(st.snapshotIndex),
      String(st.keys ?? ""),
      behind,
    ];
  });
}

function table(header: readonly string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]): string => r.map((x, i) => (x ?? "").padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), ...body.map(line)].join("\n");
}

/** The live view: redraws every refreshMs until stopped; notes leader changes as they are seen. */
async function liveView(dir: string, shouldStop: () => boolean, footer: string): Promise<void> {
  const events: string[] = [];
  let lastLeader: string | null | undefined;
  let lastTerm = -1;
  const wasUp = new Map<NodeId, boolean>();
  const tty = process.stdout.isTTY === true;
  let lastFrame = "";
  while (!shouldStop()) {
    const c = readCluster(dir);
    const statuses = await allStatus(dir, 400);
    const l = leaderOf(statuses);
    const leader = l?.id ?? null;
    const term = l === null ? lastTerm : Number(l.status.term);
    if (leader !== lastLeader) {
      const time = new Date().toISOString().slice(11, 23);
      if (lastLeader !== undefined) events.push(`${time}  ${leader === null ? `no leader (was ${lastLeader})` : `${leader} is leader, term ${term}${lastLeader === null ? "" : ` (was ${lastLeader})`}`}`);
      else if (leader !== null) events.push(`${time}  ${leader} is leader, term ${term}`);
      lastLeader = leader;
      lastTerm = term;
    }
    for (const [id, st] of statuses) {
      const up = st !== null;
      if (wasUp.has(id) && wasUp.get(id) !== up) {
        events.push(`${new Date().toISOString().slice(11, 23)}  ${id} ${up ? `is up (pid ${String(st.pid)})` : "is down"}`);
      }
      wasUp.set(id, up);
      const rec = (st?.storage as { recovered?: { file: string; kind: string; droppedBytes: number }[] } | undefined)?.recovered ?? [];
      for (const r of rec) {
        const msg = `${id}: recovered ${r.file} (${r.kind}, dropped ${r.droppedBytes} bytes)`;
        if (!events.some((e) => e.endsWith(msg))) events.push(`${new Date().toISOString().slice(11, 23)}  ${msg}`);
      }
    }
    while (events.length > 8) events.shift();
    const frame = [`cluster ${resolve(dir)}  ${new Date().toISOString().slice(11, 19)}`, "", table(COLUMNS, rows(c, dir, statuses)), "", "events:", ...events.map((e) => "  " + e), "", footer].join("\n");
    if (tty) process.stdout.write("\x1b[H\x1b[2J" + frame + "\n");
    else if (frame.split("\n").slice(1).join("\n") !== lastFrame) console.log(frame + "\n");
    lastFrame = frame.split("\n").slice(1).join("\n");
    const until = Date.now() + 500;
    while (Date.now() < until && !shouldStop()) await sleep(50);
  }
}

function printStarted(dir: string, c: ClusterFile): void {
  const body = c.nodes.map((n) => [n.id, String(runningPid(dir, n.id) ?? "-"), `127.0.0.1:${n.httpPort}`, `127.0.0.1:${n.peerPort}`, logPath(dir, n.id)]);
  console.log(table(["node", "pid", "http (clients)", "peer", "log"], body));
}

// -------------------------------------------------------------- commands

function printAnswer(r: { status: number; body: { [k: string]: Json }; node: NodeId }): number {
  console.log(JSON.stringify({ status: r.status, node: r.node, ...r.body }));
  return r.status === 200 ? 0 : r.status === 404 ? 1 : 2;
}

async function resolveTarget(dir: string, which: string): Promise<NodeId> {
  if (which !== "leader") {
    findNode(readCluster(dir), which);
    return which;
  }
  const l = leaderOf(await allStatus(dir));
  if (l === null) throw new Error("no leader right now (see: status)");
  return l.id;
}

function printResult(r: LoadResult): void {
  console.log(`${r.name.padEnd(28)} ${r.opsPerSec.toFixed(0).padStart(8)} ops/s   p50 ${r.p50Ms.toFixed(2)} ms   p99 ${r.p99Ms.toFixed(2)} ms   errors ${r.errors}`);
}

/** Rejects as soon as a node we just started has exited, with the end of its log (port in use, bad data dir...). */
async function failOnEarlyExit(dir: string, started: readonly NodeId[], done: () => boolean): Promise<never> {
  await sleep(300);
  while (!done()) {
    const dead = started.filter((id) => runningPid(dir, id) === undefined);
    if (dead.length > 0) {
      const why = dead.map((id) => {
        const lines = existsSync(logPath(dir, id)) ? readFileSync(logPath(dir, id), "utf8").trim().split("\n") : [];
        const last = lines.filter((l) => !l.startsWith("{")).at(-1) ?? lines.at(-1) ?? "(no log)";
        return `  ${id} exited: ${last}`;
      });
      throw new Error(`node(s) ${dead.join(", ")} stopped right after starting:\n${why.join("\n")}\n(full logs in ${dir}/<node>/node.log)`);
    }
    await sleep(100);
  }
  return new Promise<never>(() => {}); // the race is already decided
}

async function cmdStart(dir: string, flags: Flags, restoreFrom?: string): Promise<number> {
  const n = flags.nodes === undefined ? 3 : Number(flags.nodes);
  if (restoreFrom !== undefined) {
    const c = await restore(restoreFrom, dir);
    console.log(`restored ${c.nodes.map((x) => x.id).join(", ")} from ${restoreFrom} into ${dir}`);
  }
  const existed = existsSync(resolve(dir, "cluster.json"));
  const count = existed ? readCluster(dir).nodes.length : n;
  const warning = evenCountWarning(count);
  if (warning !== null) console.error(warning);
  const detach = flags.detach === true;
  if (detach) rmSync(watchPidPath(dir), { force: true });
  else {
    mkdirSync(dir, { recursive: true });
    writeFileSync(watchPidPath(dir), `${process.pid}\n`);
  }
  const { cluster, started, created } = await startCluster(dir, {
    nodes: n,
    basePort: flags["base-port"] === undefined ? undefined : Number(flags["base-port"]),
    spawn: detach ? {} : { watchPid: process.pid },
  });
  console.log(`${created ? "created" : "started existing"} cluster in ${resolve(dir)}; started ${started.length === 0 ? "nothing (all running)" : started.join(", ")}`);
  printStarted(dir, cluster);
  let stopping: Promise<void> | null = null;
  const stopAll = (why: string): Promise<void> => (stopping ??= stopEverything(why));
  const stopEverything = async (why: string): Promise<void> => {
    console.log(`\n${why}: stopping every node...`);
    const stopped = await stopCluster(dir);
    rmSync(watchPidPath(dir), { force: true });
    console.log(`stopped ${stopped.join(", ") || "nothing"}`);
  };
  if (!detach) {
    process.on("SIGINT", () => void stopAll("Ctrl-C").then(() => process.exit(0)));
    process.on("SIGTERM", () => void stopAll("SIGTERM").then(() => process.exit(0)));
  }
  try {
    let decided = false;
    const l = await Promise.race([waitForLeader(dir, 20_000), failOnEarlyExit(dir, started, () => decided)]).finally(() => (decided = true));
    console.log(`leader: ${l.id} (term ${String(l.status.term)})`);
  } catch (err) {
    console.error((err as Error).message);
    await stopAll("the cluster did not come up");
    return 1;
  }
  if (detach) {
    console.log(`running in the background. Try:\n  npm run cluster -- put hello world --dir ${dir}\n  npm run cluster -- kill leader --dir ${dir}\n  npm run cluster -- watch --dir ${dir}\n  npm run cluster -- stop --dir ${dir}`);
    return 0;
  }
  await liveView(dir, () => stopping !== null, "Ctrl-C stops the cluster. In another terminal: npm run cluster -- kill leader | restart nX | put k v");
  await stopping;
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage()}`);
    return 2;
  }
  const { cmd, pos, flags } = parsed;
  const dir = flags.dir;
  if (cmd === undefined || flags.help === true || cmd === "help") {
    console.log(usage());
    return cmd === undefined ? 2 : 0;
  }
  const need = (i: number, what: string): string => {
    const v = pos[i];
    if (v === undefined) throw new UsageError(`${cmd} needs ${what}`);
    return v;
  };
  switch (cmd) {
    case "start":
      return cmdStart(dir, flags);
    case "restore": {
      if (flags.from === undefined) throw new UsageError("restore needs --from DIR (a backup)");
      return cmdStart(dir, flags, flags.from);
    }
    case "stop": {
      const stopped = await stopCluster(dir);
      rmSync(watchPidPath(dir), { force: true });
      console.log(stopped.length === 0 ? "nothing was running" : `stopped ${stopped.join(", ")}`);
      return 0;
    }
    case "status": {
      const c = readCluster(dir);
      const statuses = await allStatus(dir);
      if (flags.json === true) console.log(JSON.stringify(Object.fromEntries(statuses), null, 2));
      else console.log(table(COLUMNS, rows(c, dir, statuses)));
      return 0;
    }
    case "watch": {
      let stop = false;
      process.on("SIGINT", () => (stop = true));
      await liveView(dir, () => stop, "Ctrl-C leaves the view (the cluster keeps running).");
      return 0;
    }
    case "kill": {
      const id = await resolveTarget(dir, need(0, "a node id or 'leader'"));
      const pid = await killNode(dir, id);
      console.log(pid === undefined ? `${id} was not running` : `killed ${id} (pid ${pid}) with SIGKILL`);
      return pid === undefined ? 1 : 0;
    }
    case "restart": {
      const id = need(0, "a node id");
      findNode(readCluster(dir), id);
      if (runningPid(dir, id) !== undefined) await stopNode(dir, id);
      const pid = spawnNode(dir, id, spawnOptionsFor(dir));
      console.log(`started ${id} (pid ${pid}); it recovers from ${dir}/${id}/data and catches up from the leader`);
      return 0;
    }
    case "put":
    case "get":
    case "del": {
      const client = new ClusterClient(dir);
      try {
        const key = need(0, "a key");
        if (cmd === "put") return printAnswer(await client.put(key, need(1, "a value"), flags.via));
        if (cmd === "get") return printAnswer(await client.get(key, { stale: flags.stale, via: flags.via }));
        return printAnswer(await client.del(key, flags.via));
      } finally {
        client.close();
      }
    }
    case "add-node": {
      const r = await addNode(dir);
      console.log(`added ${r.id}; voters now ${JSON.stringify((r.status.membership as { voters: string[] }).voters)}`);
      const w = evenCountWarning(readCluster(dir).nodes.length);
      if (w !== null) console.error(w);
      return 0;
    }
    case "remove-node": {
      const id = need(0, "a node id");
      await removeNode(dir, id);
      console.log(`removed ${id} from the configuration and stopped it (its data stays in ${dir}/${id})`);
      return 0;
    }
    case "backup": {
      if (flags.node === undefined || flags.to === undefined) throw new UsageError("backup needs --node nX --to DIR");
      const m = await backup(dir, flags.node, flags.to);
      const st = m.status as { appliedIndex?: number; term?: number };
      console.log(`backed up ${flags.node} (applied index ${String(st.appliedIndex)}, term ${String(st.term)}) to ${resolve(flags.to)}`);
      return 0;
    }
    case "bench": {
      const c = readCluster(dir);
      const l = await waitForLeader(dir, 10_000);
      const port = findNode(c, l.id).httpPort;
      const clients = flags.clients === undefined ? [1, 16, 64] : [Number(flags.clients)];
      const ops = flags.ops === undefined ? 2000 : Number(flags.ops);
      for (const n of clients) {
        printResult(await runLoad({ target: { kind: "raft", ports: [port] }, clients: n, ops, op: "put", valueBytes: 100, name: `put ${n} clients` }));
      }
      for (const n of clients) {
        printResult(await runLoad({ target: { kind: "raft", ports: [port] }, clients: n, ops, op: "get", valueBytes: 100, name: `get ${n} clients` }));
      }
      return 0;
    }
    case "logs": {
      const id = need(0, "a node id");
      process.stdout.write(readFileSync(logPath(dir, id), "utf8"));
      return 0;
    }
    case "destroy": {
      removeClusterDir(dir);
      console.log(`deleted ${resolve(dir)}`);
      return 0;
    }
    default:
      console.error(`unknown command "${cmd}"\n\n${usage()}`);
      return 2;
  }
}

class UsageError extends Error {}

let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (err) {
  console.error(err instanceof UsageError ? `${err.message}\n\n${usage()}` : `error: ${(err as Error).message}`);
  code = err instanceof UsageError ? 2 : 1;
}
// Exit now: a wait that lost a race (for a leader, for a node) may still be polling.
process.exit(code);
