// The README's cluster walkthrough, through the real CLI: start, put, kill
// the leader, see another elected, restart, see it catch up, stop; and the
// foreground start whose Ctrl-C stops everything.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { freePorts, readCluster } from "./layout.ts";
import { sleep } from "./procs.ts";
import { processesOf, reapLeftovers } from "./testkit.ts";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "cli.ts");
let dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs) {
    const left = await reapLeftovers(d);
    rmSync(d, { recursive: true, force: true });
    expect(left, `processes left behind in ${d}`).toEqual([]);
  }
  dirs = [];
});

function cli(args: string[], timeoutMs = 30_000): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", CLI, ...args], { timeout: timeoutMs, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, out: stdout, err: stderr });
    });
  });
}

function leaderFrom(statusOut: string): string | undefined {
  return statusOut
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .find((cols) => cols[2] === "LEADER")?.[0];
}

describe("npm run cluster (CLI)", () => {
  it("start --detach, put, kill leader, a new leader, restart, catch-up, get, stop — nothing left running", async () => {
    const dir = mkdtempSync(join(tmpdir(), "raft-cli-"));
    dirs.push(dir);
    const start = await cli(["start", "--detach", "--dir", dir]);
    expect(start.code, start.err).toBe(0);
    expect(start.out).toMatch(/leader: n\d \(term \d+\)/);
    expect(processesOf(dir)).toHaveLength(3);

    const put = await cli(["put", "hello", "world", "--dir", dir]);
    expect(put.code, put.out + put.err).toBe(0);
    expect(JSON.parse(put.out)).toMatchObject({ status: 200, key: "hello" });

    const status1 = await cli(["status", "--dir", dir]);
    const oldLeader = leaderFrom(status1.out);
    expect(oldLeader, status1.out).toBeDefined();

    const kill = await cli(["kill", "leader", "--dir", dir]);
    expect(kill.out).toMatch(new RegExp(`killed ${oldLeader} \\(pid \\d+\\) with SIGKILL`));

    let newLeader: string | undefined;
    for (let i = 0; i < 40 && (newLeader === undefined || newLeader === oldLeader); i++) {
      await sleep(250);
      newLeader = leaderFrom((await cli(["status", "--dir", dir])).out);
    }
    expect(newLeader).toBeDefined();
    expect(newLeader).not.toBe(oldLeader);
    expect((await cli(["status", "--dir", dir])).out).toMatch(new RegExp(`${oldLeader}\\s+-\\s+DOWN`));

    expect((await cli(["put", "after", "kill", "--dir", dir])).code).toBe(0);
    expect((await cli(["restart", oldLeader!, "--dir", dir])).code).toBe(0);
    let caughtUp = false;
    for (let i = 0; i < 40 && !caughtUp; i++) {
      await sleep(250);
      const r = await cli(["get", "after", "--stale", "--via", oldLeader!, "--dir", dir]);
      caughtUp = r.code === 0 && JSON.parse(r.out).value === "kill";
    }
    expect(caughtUp).toBe(true);
    const get = await cli(["get", "hello", "--dir", dir]);
    expect(JSON.parse(get.out)).toMatchObject({ status: 200, value: "world" });

    const stop = await cli(["stop", "--dir", dir]);
    expect(stop.out).toMatch(/stopped n\d, n\d, n\d/);
    expect(processesOf(dir)).toEqual([]);
    expect(readCluster(dir).nodes).toHaveLength(3);
  });

  it("start reports a taken port at once, naming the node and the port, and leaves nothing running", async () => {
    const dir = mkdtempSync(join(tmpdir(), "raft-cli-port-"));
    dirs.push(dir);
    const [port] = await freePorts(1);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: "127.0.0.1", port }, () => resolve()));
    try {
      const r = await cli(["start", "--detach", "--base-port", String(port), "--dir", dir]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`n1 exited: n1: peer port 127\\.0\\.0\\.1:${port} is already in use`));
      expect(processesOf(dir)).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it("start in the foreground shows the live view and Ctrl-C (SIGINT) stops every node; an even count gets a warning", async () => {
    const dir = mkdtempSync(join(tmpdir(), "raft-cli-fg-"));
    dirs.push(dir);
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "start", "--nodes", "4", "--dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      for (let i = 0; i < 100 && !/events:/.test(out); i++) await sleep(100);
      expect(out).toMatch(/node\s+pid\s+role\s+term\s+leader\s+commit\s+applied\s+last/);
      expect(out).toMatch(/LEADER/);
      expect(err).toMatch(/4 nodes is an even count/);
      expect(processesOf(dir)).toHaveLength(4);
      child.kill("SIGINT");
      const code = await Promise.race([exited, sleep(10_000).then(() => "timeout" as const)]);
      expect(code).toBe(0);
      expect(out).toMatch(/stopped n1, n2, n3, n4/);
      expect(processesOf(dir)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
