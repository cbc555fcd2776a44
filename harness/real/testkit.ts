// Helpers for the real-cluster tests: temp cluster dirs, and a check that no
// node process of a test outlives it (found by its --dir in /proc, so a test
// only ever looks at, and kills, its own processes).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readCluster } from "./layout.ts";
import { type StartOptions, startCluster } from "./ops.ts";
import { sleep, stopCluster } from "./procs.ts";

/** Pids of node processes started with --dir dir (alive, not zombies). */
export function processesOf(dir: string): number[] {
  const abs = resolve(dir);
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (!argv.some((a) => a.endsWith("node-main.ts"))) continue;
      if (argv[argv.indexOf("--dir") + 1] !== abs) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z") continue;
      out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** SIGKILLs whatever node process of dir is left, after a clean stop was tried. Returns the pids it had to kill. */
export async function reapLeftovers(dir: string): Promise<number[]> {
  const left = processesOf(dir);
  for (const pid of left) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 40 && processesOf(dir).length > 0; i++) await sleep(25);
  return left;
}

export interface TestCluster {
  dir: string;
  /** Stops every node, checks none is left (throws if one had to be killed), removes the dir. */
  cleanup(): Promise<void>;
}

/** A fresh cluster in a temp dir; its nodes exit if this test process dies, and after maxLifetimeMs anyway. */
export async function testCluster(name: string, opts: StartOptions & { maxLifetimeMs?: number } = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), `raft-${name}-`));
  await startCluster(dir, { ...opts, spawn: { watchPid: process.pid, maxLifetimeMs: opts.maxLifetimeMs ?? 90_000 } });
  return {
    dir,
    async cleanup(): Promise<void> {
      try {
        readCluster(dir);
        await stopCluster(dir, 2000);
      } finally {
        const leftovers = await reapLeftovers(dir);
        rmSync(dir, { recursive: true, force: true });
        if (leftovers.length > 0) throw new Error(`node processes ${leftovers.join(", ")} of ${dir} outlived stop and had to be killed`);
      }
    },
  };
}

