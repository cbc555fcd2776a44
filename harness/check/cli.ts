// npm run check -- --model etcd|kv [--timeout-ms N] [--json OUT] [--html DIR] [--explain] FILE...
//
// One line per file: linearizable / NOT linearizable / unknown (timeout), with
// the check time. Exit 0 if every file is linearizable, 1 if any is not, 2 if a
// verdict is unknown or the input is bad (bad input wins over a violation: the
// run as a whole cannot be trusted).

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { checkHistory, type CheckResult, type Verdict } from "./check.ts";
import { HistoryError, type History } from "./history.ts";
import { renderHistoryHtml } from "./html.ts";
import { kvModel, registerModel, type Model } from "./model.ts";
import { ParseError, parseJepsenEtcdLog, parseKvLog } from "./parse.ts";

const USAGE = `usage: npm run check -- --model etcd|kv [--timeout-ms N] [--json OUT] [--html DIR] [--explain] FILE...
  --model etcd     Jepsen etcd logs (register: read/write/cas), as in Porcupine's test_data/jepsen
  --model kv       KV logs, one {:process P, :type :invoke|:ok|:fail|:info, :f :get|:put|..., :key "K", :value V} per line
  --timeout-ms N   budget per file; past it the verdict is unknown (default 10000)
  --json OUT       also write {"results":[{"file","verdict","ms","operations"}]} to OUT
  --html DIR       write a picture of each history to DIR/<file>.html
  --explain        print why each non-linearizable history fails
exit status: 0 all linearizable, 1 some history is not, 2 unknown verdict or bad input`;

/** What one model name means: how to read a file and what to check it against. */
interface Checker {
  check(text: string, file: string, timeoutMs: number): { result: CheckResult; operations: number; parseMs: number; html: () => string };
}

function checker<S, I, O>(model: Model<S, I, O>, parse: (text: string, file: string) => History<I, O>): Checker {
  return {
    check(text, file, timeoutMs) {
      const t0 = performance.now();
      const history = parse(text, file);
      const parseMs = performance.now() - t0;
      const result = checkHistory(model, history, { timeoutMs });
      return { result, operations: history.operations.length, parseMs, html: () => renderHistoryHtml(model, history, result, { title: file }) };
    },
  };
}

const CHECKERS: Record<string, Checker> = {
  etcd: checker(registerModel, parseJepsenEtcdLog),
  kv: checker(kvModel, parseKvLog),
};

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

interface FileResult {
  file: string;
  verdict: Verdict;
  ms: number;
  parseMs: number;
  operations: number;
  error?: string;
  explanation?: string;
}

interface Args {
  model: string;
  timeoutMs: number;
  json?: string;
  html?: string;
  explain: boolean;
  files: string[];
}

function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = { model: "", timeoutMs: 10_000, explain: false, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string | undefined => argv[++i];
    if (a === "--model") args.model = value() ?? "";
    else if (a === "--timeout-ms") {
      const v = Number(value());
      if (!Number.isFinite(v) || v < 0) return "--timeout-ms needs a non-negative number";
      args.timeoutMs = v;
    } else if (a === "--json") {
      const v = value();
      if (v === undefined) return "--json needs a file name";
      args.json = v;
    } else if (a === "--html") {
      const v = value();
      if (v === undefined) return "--html needs a directory";
      args.html = v;
    } else if (a === "--explain") args.explain = true;
    else if (a === "--help" || a === "-h") return "";
    else if (a.startsWith("--")) return `unknown option ${a}`;
    else args.files.push(a);
  }
  if (args.model === "") return "--model is required (etcd or kv)";
  if (CHECKERS[args.model] === undefined) return `unknown model "${args.model}": use etcd or kv`;
  if (args.files.length === 0) return "no files given";
  return args;
}

const LABEL: Record<Verdict, string> = { ok: "linearizable", illegal: "NOT linearizable", unknown: "unknown (timeout)" };

/** Runs the CLI; returns the exit status. */
export function runCli(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    if (args !== "") io.err(`check: ${args}`);
    io.err(USAGE);
    return args === "" ? 0 : 2;
  }
  const chk = CHECKERS[args.model];
  const results: FileResult[] = [];
  const width = Math.min(40, Math.max(...args.files.map((f) => basename(f).length)));
  let bad = false;
  for (const file of args.files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      io.err(`${file}: cannot read: ${why}`);
      results.push({ file, verdict: "unknown", ms: 0, parseMs: 0, operations: 0, error: `cannot read: ${why}` });
      bad = true;
      continue;
    }
    try {
      const { result, operations, parseMs, html } = chk.check(text, file, args.timeoutMs);
      const ms = result.elapsedMs;
      io.out(`${basename(file).padEnd(width)}  ${LABEL[result.verdict].padEnd(17)}  ${ms.toFixed(2).padStart(9)} ms  ${operations} operations`);
      if (args.explain && result.verdict !== "ok") io.out(result.explanation.replace(/^/gm, "    "));
      if (args.html !== undefined) {
        mkdirSync(args.html, { recursive: true });
        writeFileSync(join(args.html, `${basename(file)}.html`), html());
      }
      results.push({
        file,
        verdict: result.verdict,
        ms,
        parseMs,
        operations,
        ...(result.verdict === "ok" ? {} : { explanation: result.explanation }),
      });
    } catch (e) {
      if (!(e instanceof ParseError || e instanceof HistoryError)) throw e;
      const where = e instanceof ParseError ? e.message : `${file}: ${e.message}`;
      io.err(`${where}\n  (the file is not a valid ${args.model} history; fix or remove it and run again)`);
      results.push({ file, verdict: "unknown", ms: 0, parseMs: 0, operations: 0, error: where });
      bad = true;
    }
  }
  if (args.json !== undefined) writeFileSync(args.json, JSON.stringify({ results }, null, 2) + "\n");
  const count = (v: Verdict): number => results.filter((r) => r.verdict === v && r.error === undefined).length;
  const totalMs = results.reduce((s, r) => s + r.ms, 0);
  io.out(
    `${results.length} files: ${count("ok")} linearizable, ${count("illegal")} not, ${count("unknown")} unknown` +
      `${bad ? `, ${results.filter((r) => r.error !== undefined).length} bad input` : ""}; check time ${totalMs.toFixed(1)} ms`,
  );
  if (bad) return 2;
  if (count("illegal") > 0) return 1;
  if (count("unknown") > 0) return 2;
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = runCli(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) });
}
