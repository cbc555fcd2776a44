// `npm run soak -- --seeds N [--from S] [--json FILE] [--fault-ms MS]`
// Runs the reference Raft KV under swarm faults (harness/raft/chaos.ts) for N
// seeds: partitions (one-way too), crashes (between handlers, and mid-handler
// between a write and its sync, with torn tails), loss, duplication,
// reordering, clock drift, pauses, membership changes, leadership transfers and
// snapshots every few entries, with clients whose history must be
// linearizable; then heals and checks liveness. A failing seed prints the
// command that replays it.
import { writeFileSync } from "node:fs";
import { describeEvent, parseSeed } from "../harness/sim/index.ts";
import { runChaos, type ChaosResult } from "../harness/raft/chaos.ts";
import type { RaftCluster } from "../harness/raft/cluster.ts";
import { referenceNode } from "../solutions/node.ts";

interface Args {
  seeds: number;
  from: number;
  json: string | null;
  faultMs: number;
  verbose: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { seeds: 100, from: 1, json: null, faultMs: 3000, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === "--seeds") a.seeds = Number(v());
    else if (k === "--from") a.from = parseSeed(v());
    else if (k === "--seed") (a.from = parseSeed(v())), (a.seeds = 1), (a.verbose = true);
    else if (k === "--json") a.json = v();
    else if (k === "--fault-ms") a.faultMs = Number(v());
    else if (k === "--verbose") a.verbose = true;
    else if (k === "--help" || k === "-h") {
      console.log("usage: npm run soak -- --seeds N [--from S] [--json FILE] [--fault-ms MS] [--verbose]\n       npm run soak -- --seed S     (replay one seed, print the trace tail on failure)");
      process.exit(0);
    } else throw new Error(`unknown option "${k}"; try --help`);
  }
  if (!(Number.isInteger(a.seeds) && a.seeds >= 1)) throw new Error("--seeds must be a positive integer");
  return a;
}

interface SeedReport {
  seed: number;
  passed: boolean;
  virtualMs: number;
  wallMs: number;
  traceHash: string;
  failure: ChaosResult["failure"];
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  const reports: SeedReport[] = [];
  const reached = new Map<string, number>();
  let failures = 0;
  let virtualMs = 0;
  let operations = 0;
  let okOperations = 0;
  const t0 = performance.now();
  console.log(`soak: ${args.seeds} seeds from ${args.from}, ${args.faultMs} ms of faults each`);
  for (let k = 0; k < args.seeds; k++) {
    const seed = args.from + k;
    let cluster: RaftCluster | null = null;
    const start = performance.now();
    const r = runChaos({
      seed,
      faultMs: args.faultMs,
      server: (members, config) => referenceNode(members, config),
      traceMode: args.verbose ? "full" : "ring",
      onCluster: (c) => (cluster = c),
    });
    const wallMs = performance.now() - start;
    reports.push({ seed, passed: r.passed, virtualMs: r.virtualMs, wallMs: Math.round(wallMs * 10) / 10, traceHash: r.traceHash, failure: r.failure });
    virtualMs += r.virtualMs;
    operations += r.operations;
    okOperations += r.okOperations;
    for (const [name, n] of r.coverage) if (n > 0) reached.set(name, (reached.get(name) ?? 0) + 1);
    if (!r.passed) {
      failures++;
      const f = r.failure!;
      console.log(`FAIL seed ${seed}: ${f.rule}${f.section ? ` (${f.section})` : ""} at t=${f.timeMs} ms: ${f.message}`);
      console.log(`  replay: npm run soak -- --seed ${seed}${args.faultMs !== 3000 ? ` --fault-ms ${args.faultMs}` : ""}`);
      if (args.verbose && cluster !== null) {
        const events = (cluster as RaftCluster).sim.trace.events();
        for (const ev of events.slice(-60)) console.log(`  ${describeEvent(ev, 150)}`);
      }
    } else if (args.verbose) {
      console.log(`seed ${seed}: ok, ${r.servers} servers, ${r.okOperations}/${r.operations} ops ok, ${r.events} events, hash ${r.traceHash}`);
    }
    if ((k + 1) % 500 === 0) console.log(`  ${k + 1}/${args.seeds} seeds, ${failures} failures, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const wallS = (performance.now() - t0) / 1000;
  console.log(`\n${args.seeds - failures}/${args.seeds} seeds passed, ${failures} failed, in ${wallS.toFixed(1)} s wall`);
  console.log(`virtual time ${(virtualMs / 1000).toFixed(0)} s (${(virtualMs / 1000 / wallS).toFixed(0)}x real time); client ops ${okOperations} ok of ${operations}`);
  console.log("seeds that reached each case:");
  for (const [name, n] of [...reached].sort()) console.log(`  ${name.padEnd(26)} ${n}`);
  if (args.json !== null) {
    writeFileSync(args.json, JSON.stringify(reports, null, 1) + "\n");
    console.log(`wrote ${args.json}`);
  }
  return failures === 0 ? 0 : 1;
}

process.exitCode = main();
