// The two log formats and the command line: good input gives the right verdicts
// and exit codes, bad input gives the file and line and exit 2.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { checkHistory } from "./check.ts";
import { runCli } from "./cli.ts";
import { generateKvHistory } from "./generate.ts";
import { HistoryBuilder } from "./history.ts";
import { kvModel, type KvInput, type KvOutput } from "./model.ts";
import { ParseError, formatKvLog, parseJepsenEtcdLog, parseKvLog } from "./parse.ts";
import { etcdDir, readEtcdExpectations, repoRoot } from "./testdata.ts";

function run(argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "check-cli-"));
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const ETCD_OK = readEtcdExpectations().filter((e) => e.linearizable).map((e) => join(etcdDir, e.file));
const ETCD_ALL = readEtcdExpectations().map((e) => join(etcdDir, e.file));

describe("parsers", () => {
  it("Jepsen etcd: :info stays open to the end, :fail :cas is a failed compare, :fail :read had no effect", () => {
    const log = [
      "INFO  jepsen.util - 0\t:invoke\t:write\t3",
      "INFO  jepsen.util - 1\t:invoke\t:cas\t[3 4]",
      "INFO  jepsen.util - 2  :invoke  :read  nil",
      "INFO  jepsen.util - 0\t:info\t:write\t:timed-out",
      "INFO  jepsen.util - 1\t:fail\t:cas\t[3 4]",
      "INFO  jepsen.util - 2\t:fail\t:read\t:timed-out",
      "",
    ].join("\n");
    const h = parseJepsenEtcdLog(log, "x.log");
    expect(h.timeUnit).toBe("line");
    expect(h.operations.map((op) => [op.status, op.callMs, op.returnMs, op.output])).toEqual([
      ["info", 1, null, undefined],
      ["ok", 2, 5, { ok: false }],
      ["fail", 3, 6, undefined],
    ]);
  });

  it("KV: reads Porcupine's format and our extensions, escapes included", () => {
    const log = [
      '{:process 0, :type :invoke, :f :put, :key "a\\"b", :value "x\\ny"}',
      '{:process 1, :type :invoke, :f :cas, :key "k", :value [nil "v"]}',
      '{:process 0, :type :ok, :f :put, :key "a\\"b", :value "x\\ny", :previous nil}',
      '{:process 1, :type :fail, :f :cas, :key "k", :value [nil "v"]}',
      '{:process 2, :type :invoke, :f :get, :key "k", :value nil}',
      '{:process 2, :type :ok, :f :get, :key "k", :value "v"}',
    ].join("\n");
    const h = parseKvLog(log, "kv.log");
    expect(h.operations.map((op) => [op.input, op.output])).toEqual([
      [{ op: "put", key: 'a"b', value: "x\ny" }, { ok: true, previous: null }],
      [{ op: "cas", key: "k", expected: null, value: "v" }, { ok: false }],
      [{ op: "get", key: "k" }, { value: "v" }],
    ]);
  });

  it("KV: formatKvLog and parseKvLog round-trip generated histories, verdict and all", () => {
    for (let seed = 0; seed < 20; seed++) {
      const h = generateKvHistory({ seed, clients: 1 + (seed % 9), operations: 200, keys: 3, infoProbability: 0.05, failProbability: 0.05, reportPrevious: seed % 2 === 0 });
      const again = parseKvLog(formatKvLog(h), "rt.log");
      // Ids follow line order, which may differ for calls made at the same instant: compare as sets.
      const canon = (ops: typeof h.operations): string[] => ops.map((op) => JSON.stringify([op.clientId, op.input, op.output, op.status])).sort();
      expect(canon(again.operations)).toEqual(canon(h.operations));
      expect(checkHistory(kvModel, again).verdict).toBe("ok");
    }
  });

  const bad: [string, string, RegExp][] = [
    ["etcd", "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0 :ok :frobnicate 3\n", /bad\.log:2: not a Jepsen etcd event/],
    ["etcd", "INFO  jepsen.util - 4\t:ok\t:write\t3\n", /bad\.log:1: :ok :write for process 4, which has no open :invoke/],
    ["etcd", "INFO  jepsen.util - 1\t:invoke\t:write\t3\nINFO  jepsen.util - 1\t:invoke\t:write\t4\n", /bad\.log:2: process 1 invokes :write while its :write from line 1 is still open/],
    ["etcd", "INFO  jepsen.util - 1\t:invoke\t:cas\t[1]\n", /bad\.log:1: .*expected \[A B\]/],
    ["kv", '{:process 0, :type :invoke, :f :get, :key "k", :value nil}\n{:process 0, :type :ok, :f :get, :key "k", :value 12x}\n', /bad\.log:2: unexpected/],
    ["kv", '{:process 0, :type :ok, :f :get, :key "k", :value nil}\n', /bad\.log:1: :ok :get for process 0, which has no open :invoke/],
    ["kv", '{:process 0, :type :invoke, :f :lock, :key "k", :value nil}\n', /bad\.log:1: :f must be/],
  ];
  it.each(bad)("%s: a bad line is reported with its file and line number", (model, text, message) => {
    const parse = model === "etcd" ? parseJepsenEtcdLog : parseKvLog;
    expect(() => parse(text, "bad.log")).toThrow(ParseError);
    expect(() => parse(text, "bad.log")).toThrow(message);
  });
});

describe("npm run check", () => {
  it("all 103 etcd logs: one line each, 24 linearizable, exit 1 because some are not", () => {
    const json = join(dir, "all.json");
    const { code, out } = run(["--model", "etcd", "--json", json, ...ETCD_ALL]);
    expect(code).toBe(1);
    const lines = out.split("\n");
    expect(lines).toHaveLength(104);
    expect(lines.filter((l) => /^\S+\s+linearizable /.test(l))).toHaveLength(24);
    expect(lines.filter((l) => /NOT linearizable/.test(l))).toHaveLength(79);
    const report = JSON.parse(readFileSync(json, "utf8")) as { results: { file: string; verdict: string; ms: number; operations: number }[] };
    expect(report.results).toHaveLength(103);
    for (const r of report.results) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(["file", "verdict", "ms", "operations"]));
      expect(["ok", "illegal"]).toContain(r.verdict);
    }
  });

  it("only linearizable logs: exit 0", () => {
    expect(run(["--model", "etcd", ...ETCD_OK]).code).toBe(0);
  });

  it("--html writes one self-contained page per file", () => {
    const out = join(dir, "html");
    run(["--model", "etcd", "--html", out, ETCD_ALL[0]]);
    const page = readFileSync(join(out, "etcd_000.log.html"), "utf8");
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
  });

  it("bad input: exit 2 with the file and line, and the other files are still checked", () => {
    const bad = file("broken.log", "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nnonsense\n");
    const { code, out, err } = run(["--model", "etcd", ETCD_OK[0], bad]);
    expect(code).toBe(2);
    expect(err).toContain(`${bad}:2: not a Jepsen etcd event`);
    expect(out).toMatch(/linearizable/);
  });

  it("a completion without an invoke: exit 2 naming the line", () => {
    const bad = file("orphan.log", "INFO  jepsen.util - 3\t:ok\t:read\t1\n");
    const { code, err } = run(["--model", "etcd", bad]);
    expect(code).toBe(2);
    expect(err).toContain(`${bad}:1: :ok :read for process 3, which has no open :invoke`);
  });

  it("an unknown model, a missing file, no files: exit 2 with a clear message", () => {
    expect(run(["--model", "zookeeper", ETCD_OK[0]])).toMatchObject({ code: 2, err: expect.stringContaining('unknown model "zookeeper"') });
    expect(run(["--model", "etcd", join(dir, "nope.log")])).toMatchObject({ code: 2, err: expect.stringContaining("cannot read") });
    expect(run(["--model", "etcd"])).toMatchObject({ code: 2, err: expect.stringContaining("no files given") });
    expect(run(["--model", "etcd", "--timeout-ms", "soon", ETCD_OK[0]]).code).toBe(2);
  });

  it("a verdict that runs out of time is unknown: exit 2", () => {
    // 20 puts of distinct values at once, then a read of a value none wrote.
    const h = new HistoryBuilder<KvInput, KvOutput>();
    const ids = Array.from({ length: 22 }, (_, i) => h.invoke(`c${i}`, { op: "put", key: "k", value: `v${i}` }, i));
    const read = h.invoke("r", { op: "get", key: "k" }, 50);
    ids.forEach((id, i) => h.ok(id, { ok: true }, 100 + i));
    h.ok(read, { value: "zzz" }, 200);
    const hard = file("hard.log", formatKvLog(h.build()));
    const { code, out } = run(["--model", "kv", "--timeout-ms", "50", hard]);
    expect(out).toContain("unknown (timeout)");
    expect(code).toBe(2);
  });

  it("runs as `npm run check` from the repository root", () => {
    const out = execFileSync("npm", ["run", "--silent", "check", "--", "--model", "etcd", ETCD_OK[0], ETCD_OK[1]], { cwd: repoRoot, encoding: "utf8" });
    expect(out).toMatch(/2 files: 2 linearizable, 0 not, 0 unknown/);
  });
});
