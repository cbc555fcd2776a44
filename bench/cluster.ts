// npm run bench -- cluster [--quick] [--no-etcd] [--clients 1,16,64] [--ops N] [--rounds N] [--value-bytes B]
//
// The reference Raft KV as 3 real processes on this machine, against etcd (3
// members on loopback) in the same run, with the same client load generator
// (harness/real/loadgen.ts): writes of small values at 1, 16 and 64
// concurrent clients, then linearizable reads. Both sides fsync before
// acknowledging a write. Prints ops/s, p50/p99 and our/etcd ratios.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { $, type ProcessPromise } from "zx";
import { httpRequest } from "../harness/real/client.ts";
import { freePorts, readCluster } from "../harness/real/layout.ts";
import { type LoadResult, runLoad } from "../harness/real/loadgen.ts";
import { startCluster, waitForLeader } from "../harness/real/ops.ts";
import { runningPid, sleep, stopCluster } from "../harness/real/procs.ts";
import type { BenchResult } from "./main.ts";

export const description = "3-node reference Raft KV as real processes vs etcd (3 members on loopback): write/read ops/s and p50/p99, same load generator";

interface Scenario {
  op: "put" | "get";
  clients: number;
  ops: number;
}

interface Options {
  rounds: number;
  clients: number[];
  opsFor: (clients: number) => number;
  etcd: boolean;
  valueBytes: number;
}

function parseOptions(args: readonly string[]): Options {
  const get = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const quick = args.includes("--quick");
  const clients = (get("--clients") ?? "1,16,64").split(",").map(Number);
  if (!clients.every((c) => Number.isInteger(c) && c >= 1 && c <= 512)) throw new RangeError("--clients takes a list of 1..512, e.g. 1,16,64");
  const fixedOps = get("--ops");
  const opsFor = (c: number): number => (fixedOps !== undefined ? Number(fixedOps) : quick ? Math.min(2000, 300 * c) : c === 1 ? 1500 : Math.min(20_000, 500 * c));
  const rounds = Number(get("--rounds") ?? 1);
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 9)) throw new RangeError("--rounds takes 1..9");
  return { rounds, clients, opsFor, etcd: !args.includes("--no-etcd"), valueBytes: Number(get("--value-bytes") ?? 100) };
}

function scenarios(o: Options): Scenario[] {
  return [...o.clients.map((c) => ({ op: "put" as const, clients: c, ops: o.opsFor(c) })), ...o.clients.map((c) => ({ op: "get" as const, clients: c, ops: o.opsFor(c) }))];
}

function label(s: Scenario): string {
  return `${s.op === "put" ? "write" : "read"} ${s.clients === 1 ? "sequential" : `${s.clients} clients`}`;
}

// ----------------------------------------------------------------- ours

interface Running {
  port: number;
  /** Our leader's pid, to read how long its thread waited for a CPU (Linux schedstat). */
  leaderPid?: number;
  stop(): Promise<void>;
}

/** Nanoseconds the process's main thread ran and waited on a run queue, or null off Linux. */
function schedstat(pid: number | undefined): [number, number] | null {
  if (pid === undefined) return null;
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ").map(Number);
    return [run, wait];
  } catch {
    return null;
  }
}

async function startOurs(root: string): Promise<Running> {
  const dir = join(root, "raft");
  await startCluster(dir, { nodes: 3, spawn: { watchPid: process.pid, maxLifetimeMs: 60 * 60_000 } });
  try {
    const leader = await waitForLeader(dir, 20_000);
    return {
      port: readCluster(dir).nodes.find((n) => n.id === leader.id)!.httpPort,
      leaderPid: runningPid(dir, leader.id),
      stop: async () => void (await stopCluster(dir)),
    };
  } catch (err) {
    await stopCluster(dir);
    throw err;
  }
}

// ----------------------------------------------------------------- etcd

function ensureEtcd(): boolean {
  const has = (): boolean => $.sync({ nothrow: true, quiet: true })`command -v etcd`.exitCode === 0;
  if (has()) return true;
  console.log("etcd not found: installing the Debian package etcd-server (apt-get install -y etcd-server)...");
  const r = $.sync({ nothrow: true, quiet: true, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } })`apt-get install -y -qq etcd-server`;
  if (r.exitCode !== 0 || !has()) {
    console.log(`could not install etcd-server (${r.stderr.trim().split("\n").at(-1) ?? "apt-get failed"}); skipping the etcd side`);
    return false;
  }
  return true;
}

/**
 * Runs a command and ends it when the process `$1` is gone, or on SIGTERM: an
 * etcd member never outlives the bench, even one killed with SIGKILL.
 */
const WATCHDOG =
  'w=$1; shift; "$@" & c=$!; trap \'kill $c 2>/dev/null; wait $c; exit 0\' TERM INT; ' +
  "while kill -0 $w 2>/dev/null && kill -0 $c 2>/dev/null; do sleep 0.3; done; kill $c 2>/dev/null; wait $c";

async function etcdLeaderPort(clientPorts: readonly number[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const port of clientPorts) {
      try {
        const r = await httpRequest(port, "POST", "/v3/maintenance/status", "{}", { timeoutMs: 500 });
        const body = JSON.parse(r.body) as { header?: { member_id?: string }; leader?: string };
        if (r.status === 200 && body.leader !== undefined && body.leader !== "0" && body.leader === body.header?.member_id) return port;
      } catch {
        // not up yet
      }
    }
    await sleep(100);
  }
  throw new Error(`etcd elected no leader within ${timeoutMs} ms`);
}

async function startEtcd(root: string): Promise<Running> {
  const ports = await freePorts(6);
  const names = ["e1", "e2", "e3"];
  const peerUrl = (i: number): string => `http://127.0.0.1:${ports[2 * i + 1]}`;
  const clientUrl = (i: number): string => `http://127.0.0.1:${ports[2 * i]}`;
  const initial = names.map((n, i) => `${n}=${peerUrl(i)}`).join(",");
  const procs: ProcessPromise[] = [];
  const killAll = (): void => {
    for (const p of procs) if (p.exitCode === null) void p.kill("SIGKILL").catch(() => {});
  };
  process.once("exit", killAll);
  const stop = async (): Promise<void> => {
    for (const p of procs) if (p.exitCode === null) await p.kill("SIGTERM").catch(() => {});
    await Promise.race([Promise.all(procs.map((p) => p.catch(() => {}))), sleep(5000)]);
    killAll();
    process.removeListener("exit", killAll);
  };
  try {
    names.forEach((name, i) => {
      const dataDir = join(root, "etcd", name);
      mkdirSync(dataDir, { recursive: true });
      const args = [
        ["--name", name],
        ["--data-dir", dataDir],
        ["--logger", "zap"],
        ["--log-level", "error"],
        ["--listen-client-urls", clientUrl(i)],
        ["--advertise-client-urls", clientUrl(i)],
        ["--listen-peer-urls", peerUrl(i)],
        ["--initial-advertise-peer-urls", peerUrl(i)],
        ["--initial-cluster", initial],
        ["--initial-cluster-state", "new"],
        ["--initial-cluster-token", "raft-workbook-bench"],
      ].flat();
      procs.push($({ nothrow: true, quiet: true })`sh -c ${WATCHDOG} watchdog ${process.pid} etcd ${args}`);
    });
    return { port: await etcdLeaderPort([0, 1, 2].map((i) => ports[2 * i]), 20_000), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ---------------------------------------------------------------- report

function report(who: string, r: LoadResult, extra = ""): void {
  const err = (r.errors > 0 ? `  errors ${r.errors} (${r.errorSamples.join(" | ")})` : "") + (r.redirects > 0 ? `  (a leader change: ${r.redirects} requests redirected)` : "");
  console.log(`  ${who.padEnd(5)} ${r.name.padEnd(18)} ${r.opsPerSec.toFixed(0).padStart(7)} ops/s  p50 ${r.p50Ms.toFixed(2).padStart(6)} ms  p99 ${r.p99Ms.toFixed(2).padStart(7)} ms${err}${extra}`);
}

function fmt(r: LoadResult | undefined, f: (r: LoadResult) => string): string {
  return r === undefined ? "-" : f(r);
}

function printTable(ours: Map<string, LoadResult>, etcd: Map<string, LoadResult>): void {
  const header = ["scenario", "ours ops/s", "p50 ms", "p99 ms", "etcd ops/s", "p50 ms", "p99 ms", "ours/etcd"];
  const body = [...ours.keys()].map((k) => {
    const a = ours.get(k);
    const b = etcd.get(k);
    return [
      k,
      fmt(a, (r) => r.opsPerSec.toFixed(0)),
      fmt(a, (r) => r.p50Ms.toFixed(2)),
      fmt(a, (r) => r.p99Ms.toFixed(2)),
      fmt(b, (r) => r.opsPerSec.toFixed(0)),
      fmt(b, (r) => r.p50Ms.toFixed(2)),
      fmt(b, (r) => r.p99Ms.toFixed(2)),
      a !== undefined && b !== undefined ? `${(a.opsPerSec / b.opsPerSec).toFixed(2)}x` : "-",
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]): string => "| " + r.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join(" | ") + " |";
  console.log("\n" + line(header));
  console.log("|" + widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|");
  for (const r of body) console.log(line(r));
}

/** The run with the median throughput of several. */
function median(runs: readonly LoadResult[]): LoadResult {
  const sorted = [...runs].sort((x, y) => x.opsPerSec - y.opsPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export async function run(args: readonly string[]): Promise<BenchResult[]> {
  const o = parseOptions(args);
  const root = mkdtempSync(join(tmpdir(), "raft-bench-cluster-"));
  console.log(
    `machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), node ${process.version}; data in ${root}; ${o.valueBytes}-byte values; ` +
      `every write is fsynced before it is acknowledged on both sides; ${o.rounds} round(s), median shown; load average ${loadavg()[0].toFixed(2)}`,
  );
  const results: BenchResult[] = [];
  const running: Running[] = [];
  try {
    const ours = await startOurs(root);
    running.push(ours);
    console.log(`reference Raft KV: 3 processes, leader on 127.0.0.1:${ours.port}`);
    let etcd: Running | null = null;
    if (o.etcd && ensureEtcd()) {
      etcd = await startEtcd(root);
      running.push(etcd);
      console.log(`${$.sync({ nothrow: true, quiet: true })`etcd --version`.stdout.split("\n")[0] ?? "etcd"}: 3 members, leader on 127.0.0.1:${etcd.port}`);
    }
    const sides: { who: "raft" | "etcd"; port: number }[] = [{ who: "raft", port: ours.port }];
    if (etcd !== null) sides.push({ who: "etcd", port: etcd.port });
    // Warm up the JIT and the disks on both sides before measuring.
    for (const side of sides) await runLoad({ name: "warmup", target: { kind: side.who, ports: [side.port] }, clients: 8, ops: 2000, op: "put", valueBytes: o.valueBytes });
    // Both clusters run side by side; each scenario runs on one then the
    // other, alternating who goes first, so a neighbour's load hits both alike.
    const runs = new Map<string, Map<string, LoadResult[]>>([["raft", new Map()], ["etcd", new Map()]]);
    let turn = 0;
    for (let round = 0; round < o.rounds; round++) {
      for (const s of scenarios(o)) {
        const order = turn++ % 2 === 0 ? sides : [...sides].reverse();
        for (const side of order) {
          const before = side.who === "raft" ? schedstat(ours.leaderPid) : null;
          const r = await runLoad({ name: label(s), target: { kind: side.who, ports: [side.port] }, clients: s.clients, ops: s.ops, op: s.op, valueBytes: o.valueBytes });
          const after = side.who === "raft" ? schedstat(ours.leaderPid) : null;
          const per = runs.get(side.who)!;
          per.set(label(s), [...(per.get(label(s)) ?? []), r]);
          const cpu =
            before !== null && after !== null && r.ops > 0
              ? `  [leader per op: on CPU ${((after[0] - before[0]) / r.ops / 1e6).toFixed(2)} ms, waiting for a CPU ${((after[1] - before[1]) / r.ops / 1e6).toFixed(2)} ms]`
              : "";
          report(side.who, r, cpu);
        }
      }
    }
    const pick = (who: string): Map<string, LoadResult> => new Map([...runs.get(who)!].map(([k, rs]) => [k, median(rs)]));
    const oursBest = pick("raft");
    const etcdBest = pick("etcd");
    printTable(oursBest, etcdBest);
    // What the disk gave each side, as each measures it (ours: from the end of
    // the writes to the fsync's completion on the event loop; etcd: the syscall).
    const fsyncOf = async (port: number, name: string): Promise<string> => {
      try {
        const m = (await httpRequest(port, "GET", "/metrics", null, { timeoutMs: 2000 })).body;
        const sum = Number(new RegExp(`^${name}_sum (\\S+)$`, "m").exec(m)?.[1]);
        const count = Number(new RegExp(`^${name}_count (\\S+)$`, "m").exec(m)?.[1]);
        return `${((sum / count) * 1000).toFixed(2)} ms mean over ${count}`;
      } catch {
        return "?";
      }
    };
    console.log(`\nleader fsync: ours ${await fsyncOf(ours.port, "raft_fsync_duration_seconds")}` + (etcd === null ? "" : `; etcd ${await fsyncOf(etcd.port, "etcd_disk_wal_fsync_duration_seconds")}`));
    console.log(`load average (1/5/15 min) at the end: ${loadavg().map((x) => x.toFixed(2)).join(" ")} on ${cpus().length} CPUs (other work on the machine slows both sides, single-threaded node processes more)`);
    for (const [k, r] of oursBest) {
      const slug = k.replace(/ /g, "_");
      results.push({ name: `raft_${slug}_ops_per_s`, value: Math.round(r.opsPerSec), unit: "ops/s" });
      results.push({ name: `raft_${slug}_p50`, value: Number(r.p50Ms.toFixed(3)), unit: "ms" });
      results.push({ name: `raft_${slug}_p99`, value: Number(r.p99Ms.toFixed(3)), unit: "ms" });
      const e = etcdBest.get(k);
      if (e !== undefined) {
        results.push({ name: `etcd_${slug}_ops_per_s`, value: Math.round(e.opsPerSec), unit: "ops/s" });
        results.push({ name: `etcd_${slug}_p50`, value: Number(e.p50Ms.toFixed(3)), unit: "ms" });
        results.push({ name: `etcd_${slug}_p99`, value: Number(e.p99Ms.toFixed(3)), unit: "ms" });
        results.push({ name: `ratio_${slug}_ops_per_s`, value: Number((r.opsPerSec / e.opsPerSec).toFixed(3)), unit: "ours/etcd" });
      }
    }
  } finally {
    for (const r of running.reverse()) await r.stop();
    if (existsSync(root)) rmSync(root, { recursive: true, force: true });
  }
  return results;
}
