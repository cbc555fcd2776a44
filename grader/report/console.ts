// The console report: a line per scenario as it finishes, then the failures in
// detail (the rule, the seed, the time, the servers, their last events, the
// replay command, the trace), then the score and the next step. In a terminal
// a progress bar runs on stderr; with CI=true or when piped, plain lines only.
import { relative } from "node:path";
import { replayCommand, type GradeOptions, type PlannedScenario } from "../run/grade.ts";
import type { GradeResult, ScenarioResult, SeedResult } from "./model.ts";

export interface Style {
  color: boolean;
}

const ansi = (code: string) => (s: string, st: Style) => (st.color ? `\x1b[${code}m${s}\x1b[0m` : s);
const red = ansi("31");
const green = ansi("32");
const yellow = ansi("33");
const dim = ansi("2");
const bold = ansi("1");

export function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function relPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r.startsWith("..") ? p : r;
}

/** One line per scenario: ✓/✗, name, tag, seeds passed, time. */
export function scenarioLine(s: ScenarioResult, st: Style, nameWidth = 60): string {
  const kind = s.tags.includes("core") ? "core " : "extra";
  const ok = s.seeds.filter((x) => x.passed).length;
  const mark = s.passed ? green("✓", st) : kind === "core " ? red("✗", st) : yellow("✗", st);
  const name = s.name.length > nameWidth ? s.name.slice(0, nameWidth - 1) + "…" : s.name.padEnd(nameWidth);
  const seeds = `${ok}/${s.seeds.length} seeds`.padStart(13);
  return `  ${mark} ${name} ${dim(kind, st)} ${seeds}  ${dim(fmtMs(s.wallMs).padStart(8), st)}`;
}

/** The full story of one failed seed. */
export type ReplayOpts = Parameters<typeof replayCommand>[0];

export function failureText(s: ScenarioResult, seed: SeedResult, opts: ReplayOpts, st: Style): string {
  const f = seed.failure!;
  const replay = replayCommand(opts, s, seed.seed);
  const lines: string[] = [];
  lines.push(`${bold(red("FAIL", st), st)} ${bold(s.name, st)} ${dim(`(${s.lab}, seed ${seed.seed})`, st)}`);
  // A scenario's section names the rule it tests; it does not apply to a hang or a load error.
  const section = f.section !== "" ? f.section : f.kind === "expectation" || f.kind === "violation" ? s.section : "";
  lines.push(`  rule     ${f.rule}${section !== "" ? ` (${section})` : ""}`);
  lines.push(`  what     ${f.message}`);
  if (f.timeMs !== null || f.step !== null) {
    lines.push(`  when     ${f.timeMs !== null ? `t=${f.timeMs} ms virtual time` : ""}${f.step !== null ? `${f.timeMs !== null ? ", " : ""}during step ${f.step}` : ""}`);
  }
  if (f.nodes.length > 0) {
    lines.push("  servers");
    for (const n of f.nodes) lines.push(`    ${n.id.padEnd(4)} ${n.summary}`);
  }
  const events = f.lastEvents.filter((e) => e.lines.length > 0);
  if (events.length > 0) {
    lines.push("  last events");
    for (const e of events) {
      lines.push(`    ${bold(e.node, st)}`);
      for (const l of e.lines) lines.push(`      ${l}`);
    }
  }
  if (f.stack !== null && f.kind === "exception") {
    const frames = f.stack
      .split("\n")
      .slice(1)
      .filter((l) => !/node:internal|harness\/sim\/|grader\/(run|cluster\.ts)/.test(l))
      .slice(0, 6)
      .map((l) => `    ${l.trim()}`);
    if (frames.length > 0) lines.push("  stack", ...frames);
  }
  if (f.trace !== null) lines.push(`  trace    ${relPath(f.trace)}`);
  if (f.timeline !== null) lines.push(`  timeline ${relPath(f.timeline)}  (open it in a browser)`);
  lines.push(`  replay   ${bold(replay, st)}`);
  if (f.shrunk != null) {
    const sh = f.shrunk;
    lines.push(`  shrunk   ${sh.total} fault actions -> ${sh.keep.length} that still break ${f.rule}:`);
    for (const a of sh.actions) lines.push(`             ${a}`);
    lines.push(`  replay the shrunk run: ${bold(replayCommand(opts, s, seed.seed, sh.keep), st)}`);
  }
  return lines.join("\n");
}

/** The seed whose failure a report shows (one that ran, if any); undefined if every seed passed. */
export function firstBadSeed(s: ScenarioResult): SeedResult | undefined {
  return s.seeds.find((x) => !x.passed && x.failure?.kind !== "not-run") ?? s.seeds.find((x) => !x.passed);
}

/** Why a scenario whose seeds all passed still failed: it never reached a required case. */
export function coverageText(s: ScenarioResult, st: Style): string {
  return `${bold(red("FAIL", st), st)} ${bold(s.name, st)} ${dim(`(${s.lab}, ${s.seeds.length} seeds)`, st)}\n  rule     coverage\n  what     every seed passed, but ${s.coverageGap}`;
}

/** The (rule, message) of a failed scenario, for grouping repeated failures. */
export function failureKey(s: ScenarioResult): string {
  const f = firstBadSeed(s)?.failure;
  return f === undefined || f === null ? `coverage\u0000${s.coverageGap}` : `${f.rule}\u0000${f.message}`;
}

export function failureBlock(s: ScenarioResult, opts: ReplayOpts, st: Style): string {
  const bad = firstBadSeed(s);
  if (bad === undefined) return coverageText(s, st);
  const text = failureText(s, bad, opts, st);
  const others = s.seeds.filter((x) => !x.passed && x !== bad);
  if (others.length === 0) return text;
  const shown = others.slice(0, 8).map((x) => `${x.seed} (${x.failure?.rule ?? "?"})`);
  return `${text}\n  also failed: ${shown.join(", ")}${others.length > shown.length ? `, and ${others.length - shown.length} more` : ""}`;
}

export function scoreLine(r: GradeResult, st: Style): string {
  const [cp, ct] = r.score.core;
  const [ep, et] = r.score.extra;
  const core = `core ${cp}/${ct}`;
  return `${bold("score", st)} ${cp === ct ? green(core, st) : red(core, st)}${et > 0 ? ` · extra ${ep}/${et}` : ""} · ${fmtMs(r.wallMs)}${r.shard !== null ? ` · shard ${r.shard}` : ""}`;
}

/** Failures shown in full; later ones get a short form (rule, message, replay), so the first stays on screen. */
const MAX_DETAILED_FAILURES = 3;

/** The report printed after all scenario lines. */
export function finalReport(r: GradeResult, opts: ReplayOpts, st: Style): string {
  const out: string[] = [];
  const failed = r.scenarios.filter((s) => !s.passed);
  const shown = new Map<string, string>();
  let detailed = 0;
  for (const s of failed) {
    const key = failureKey(s);
    const same = shown.get(key);
    const bad = firstBadSeed(s);
    if (same !== undefined) {
      out.push("", `${red("FAIL", st)} ${s.name}: the same failure as "${same}"`);
    } else if (detailed >= MAX_DETAILED_FAILURES && bad?.failure != null) {
      out.push("", `${red("FAIL", st)} ${bold(s.name, st)}: ${bad.failure.rule}: ${bad.failure.message}`, `  replay   ${replayCommand(opts, s, bad.seed)}`);
    } else {
      out.push("", failureBlock(s, opts, st));
      detailed++;
    }
    if (same === undefined) shown.set(key, s.name);
  }
  out.push("", scoreLine(r, st), `${bold("next", st)}  ${r.nextStep}`);
  return out.join("\n");
}

/** The short form for --watch: score, first failure, next step. */
export function watchReport(r: GradeResult, opts: ReplayOpts, st: Style): string {
  const out: string[] = [scoreLine(r, st)];
  const first = r.scenarios.find((s) => !s.passed && s.tags.includes("core")) ?? r.scenarios.find((s) => !s.passed);
  if (first !== undefined) out.push("", failureBlock(first, opts, st), "");
  out.push(`${bold("next", st)}  ${r.nextStep}`);
  return out.join("\n");
}

export function header(opts: GradeOptions, planned: readonly PlannedScenario[], totalSeeds: number, implText: string): string {
  const labs = opts.labs.map((l) => `${l.name} (${l.title})`).join(", ");
  const seeds = opts.seed !== null ? `seed ${opts.seed}` : `${totalSeeds} runs`;
  return `Grading ${labs}: ${implText}. ${planned.length} scenario${planned.length === 1 ? "" : "s"}, ${seeds}${opts.shard !== null ? `, shard ${opts.shard.index}/${opts.shard.count}` : ""}.`;
}

// ------------------------------------------------------------- progress

/** A one-line progress bar on stderr, redrawn at most every 100 ms; silent unless enabled. */
export class Progress {
  private done = 0;
  private current = "";
  private lastDraw = 0;
  private shown = false;
  private readonly t0 = performance.now();

  constructor(
    private readonly total: number,
    private readonly enabled: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  seedStarted(name: string): void {
    this.current = name;
    this.draw(false);
  }

  seedDone(): void {
    this.done++;
    this.draw(false);
  }

  /** Prints a line above the bar. */
  println(line: string): void {
    this.clear();
    process.stdout.write(line + "\n");
    this.draw(true);
  }

  clear(): void {
    if (this.enabled && this.shown) {
      this.stream.write("\r\x1b[K");
      this.shown = false;
    }
  }

  private draw(force: boolean): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 24;
    const filled = this.total === 0 ? width : Math.round((this.done / this.total) * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const cols = this.stream.columns ?? 100;
    let text = `${bar} ${this.done}/${this.total} runs · ${fmtMs(now - this.t0)} · ${this.current}`;
    if (text.length > cols - 1) text = text.slice(0, cols - 2) + "…";
    this.stream.write(`\r\x1b[K${text}`);
    this.shown = true;
  }
}

export function wantsColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined && env.CI !== "true" && env.TERM !== "dumb";
}

export function wantsProgress(env: NodeJS.ProcessEnv): boolean {
  return process.stderr.isTTY === true && env.CI !== "true" && env.CI !== "1" && env.TERM !== "dumb";
}
