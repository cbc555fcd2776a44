// The text scenario format: one directive or step per line, for the common case.
//
//   # 5.4.1: a node with a stale log cannot become leader
//   tags core
//   nodes 5
//   run until leader within 2s
//   remember leader as $old
//   partition {leader} | rest
//   propose 3 on $old
//   run 1s
//   heal
//   expect leader not in {$old} within 2s
//
// The first comment line of the form "# 5.4.1: what it proves" gives the name
// ("§5.4.1 what it proves") and the section, unless a `scenario` line names it. Several scenarios may share a
// file, separated by a line of three dashes. See grader/README.md for the whole
// grammar; errors name the file, the line and what was expected.
import type { LinkFaults } from "../harness/sim/index.ts";
import type { Json } from "../harness/types.ts";
import {
  type Condition,
  type NodeSet,
  type Scenario,
  ScenarioError,
  type ScenarioInput,
  type Step,
  SWARM_KINDS,
  type SwarmKind,
  type Timing,
  VISIBILITIES,
  type Visibility,
  defineScenario,
} from "./scenario.ts";

/** Limits so that a typo cannot ask for a run of years. */
const MAX_DURATION_MS = 3_600_000;
const MAX_COUNT = 100_000;

class Line {
  private pos = 0;
  constructor(
    readonly file: string,
    readonly number: number,
    readonly text: string,
    readonly tokens: string[],
  ) {}

  fail(detail: string): never {
    throw new ScenarioError(this.file, this.number, detail);
  }

  peek(): string | undefined {
    return this.tokens[this.pos];
  }

  next(what: string): string {
    const t = this.tokens[this.pos];
    if (t === undefined) this.fail(`expected ${what} after "${this.tokens.join(" ")}"`);
    this.pos++;
    return t;
  }

  /** Consumes the word if it is next. */
  accept(...words: string[]): boolean {
    const t = this.tokens[this.pos];
    if (t !== undefined && words.includes(t.toLowerCase())) {
      this.pos++;
      return true;
    }
    return false;
  }

  expectWord(...words: string[]): void {
    const t = this.peek();
    if (!this.accept(...words)) this.fail(`expected ${words.map((w) => `"${w}"`).join(" or ")}${t === undefined ? " at the end of the line" : `, got "${t}"`}`);
  }

  rest(): string[] {
    const r = this.tokens.slice(this.pos);
    this.pos = this.tokens.length;
    return r;
  }

  done(): void {
    const t = this.peek();
    if (t !== undefined) this.fail(`unexpected "${this.tokens.slice(this.pos).join(" ")}" at the end of the line`);
  }

  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }
}

const TOKEN = /\{[^}]*\}?|->|\||"[^"]*"?|[^\s{}|]+/g;

function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

// ----------------------------------------------------------------- values

function parseDuration(line: Line, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text);
  if (m === null) line.fail(`expected a duration such as 500ms or 2s, got "${text}"`);
  const ms = Math.round(Number(m[1]) * (m[2] === "s" ? 1000 : 1));
  if (ms > MAX_DURATION_MS) line.fail(`duration ${text} is longer than the limit of ${MAX_DURATION_MS / 1000}s`);
  return ms;
}

function parseCount(line: Line, text: string, what: string): number {
  if (!/^\d+$/.test(text)) line.fail(`expected ${what} (a whole number), got "${text}"`);
  const n = Number(text);
  if (n > MAX_COUNT) line.fail(`${what} ${n} is above the limit of ${MAX_COUNT}`);
  return n;
}

function parseProbability(line: Line, text: string, what: string): number {
  const n = Number(text);
  if (!/^\d*\.?\d+$/.test(text) || !(n >= 0 && n <= 1)) line.fail(`expected ${what} as a probability from 0 to 1, got "${text}"`);
  return n;
}

function parseRange(line: Line, text: string, what: string): [number, number] {
  const m = /^(\d+)(?:\.\.(\d+))?(ms)?$/.exec(text);
  if (m === null) line.fail(`expected ${what} as N or MIN..MAX (milliseconds), got "${text}"`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (hi < lo) line.fail(`${what} ${text}: MIN must not be above MAX`);
  return [lo, hi];
}

const REF = /^(n\d+|\d+|leader|followers|all|up|down|rest|random|\$[A-Za-z_][\w-]*)$/;

/** "{leader, n4}", "leader", "3" (= n3), "$old". */
function parseSet(line: Line, text: string): NodeSet {
  const inner = text.startsWith("{") ? (text.endsWith("}") ? text.slice(1, -1) : line.fail(`missing "}" in "${text}"`)) : text;
  const refs = inner
    .split(/[\s,]+/)
    .filter((r) => r !== "")
    .map((r) => (/^\d+$/.test(r) ? `n${r}` : r));
  if (refs.length === 0) line.fail(`expected servers in "${text}", e.g. {n1, n2}`);
  for (const r of refs) {
    if (!REF.test(r)) line.fail(`"${r}" is not a server: use n1..nN (or 1..N), leader, followers, all, up, down, rest, random or a $name from remember`);
  }
  return refs;
}

function parseSetToken(line: Line, what: string): NodeSet {
  return parseSet(line, line.next(what));
}

function parseConfigValue(text: string): Json {
  if (text === "on" || text === "true") return true;
  if (text === "off" || text === "false") return false;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text.startsWith('"') || text.startsWith("[") || text.startsWith("{")) {
    try {
      return JSON.parse(text) as Json;
    } catch {
      /* a plain string */
    }
  }
  return text;
}

function parseFaults(line: Line): LinkFaults {
  const faults: LinkFaults = {};
  if (line.atEnd()) line.fail('expected link faults, e.g. "faults drop 0.1 dupe 0.05 delay 1..20" or "faults none"');
  if (line.accept("none")) return { drop: 0, dupe: 0, delayMs: { min: 1, max: 5 } };
  while (!line.atEnd()) {
    const key = line.next("a fault").toLowerCase();
    if (key === "drop") faults.drop = parseProbability(line, line.next("a drop probability"), "drop");
    else if (key === "dupe") faults.dupe = parseProbability(line, line.next("a duplication probability"), "dupe");
    else if (key === "delay") {
      const [min, max] = parseRange(line, line.next("a delay range"), "delay");
      faults.delayMs = { min, max };
    } else line.fail(`unknown fault "${key}": expected drop P, dupe P or delay MIN..MAX`);
  }
  return faults;
}

// ------------------------------------------------------------- conditions

interface ParsedCondition {
  cond: Condition;
  /** Only meaningful over a window (`for T`). */
  needsWindow: boolean;
}

function parseCondition(line: Line): ParsedCondition {
  const first = line.next("a condition").toLowerCase();
  switch (first) {
    case "leader": {
      if (line.accept("in", "among", "is")) {
        if (line.accept("not")) return { cond: { kind: "leaderNotIn", among: parseSetToken(line, "servers") }, needsWindow: false };
        return { cond: { kind: "leaderIn", among: parseSetToken(line, "servers") }, needsWindow: false };
      }
      if (line.accept("not")) {
        line.accept("in", "among");
        return { cond: { kind: "leaderNotIn", among: parseSetToken(line, "servers") }, needsWindow: false };
      }
      return { cond: { kind: "oneLeader" }, needsWindow: false };
    }
    case "one":
    case "a":
      line.expectWord("leader");
      return { cond: { kind: "oneLeader" }, needsWindow: false };
    case "no":
      if (line.accept("election", "elections")) return { cond: { kind: "termsStable" }, needsWindow: true };
      line.expectWord("leader");
      if (line.accept("among", "in")) return { cond: { kind: "noLeader", among: parseSetToken(line, "servers") }, needsWindow: false };
      return { cond: { kind: "noLeader" }, needsWindow: false };
    case "no-leader-among":
      return { cond: { kind: "noLeader", among: parseSetToken(line, "servers") }, needsWindow: false };
    case "committed": {
      const count = parseCount(line, line.next("how many proposals"), "the number of committed proposals");
      line.expectWord("on");
      const target = line.next("servers (or majority)");
      const on: NodeSet | "majority" = target.toLowerCase() === "majority" ? "majority" : parseSet(line, target);
      return { cond: { kind: "committed", count, on }, needsWindow: false };
    }
    case "at": {
      line.expectWord("most");
      const count = parseCount(line, line.next("a message count"), "the message budget");
      line.expectWord("messages");
      return { cond: { kind: "messagesAtMost", count }, needsWindow: true };
    }
    case "stable":
      line.expectWord("terms", "term");
      return { cond: { kind: "termsStable" }, needsWindow: true };
    default:
      return line.fail(
        `unknown condition "${first}": expected one of: leader, one leader, no leader [among SET], no-leader-among SET, leader in SET, leader not in SET, committed N on SET|majority, at most N messages, no election`,
      );
  }
}

function parseTiming(line: Line): Timing {
  if (line.accept("within")) return { mode: "within", ms: parseDuration(line, line.next("a duration")) };
  if (line.accept("for")) return { mode: "for", ms: parseDuration(line, line.next("a duration")) };
  return { mode: "now" };
}

// ------------------------------------------------------------------ steps

/** The default time `run until` waits before failing. */
const DEFAULT_UNTIL_MS = 10_000;

function parseStep(line: Line): Step {
  const verb = line.next("a step").toLowerCase();
  const step = ((): Step => {
    switch (verb) {
      case "run": {
        if (line.accept("until")) {
          const { cond, needsWindow } = parseCondition(line);
          if (needsWindow) line.fail("run until needs a condition that can become true, not one over a window");
          let withinMs = DEFAULT_UNTIL_MS;
          if (line.accept("within")) withinMs = parseDuration(line, line.next("a duration"));
          return { do: "runUntil", until: cond, withinMs };
        }
        line.accept("for");
        return { do: "run", ms: parseDuration(line, line.next("a duration, e.g. 2s, or until CONDITION")) };
      }
      case "expect": {
        const { cond, needsWindow } = parseCondition(line);
        const timing = parseTiming(line);
        if (needsWindow && timing.mode !== "for") line.fail('this condition is about a window of time: add "for DURATION", e.g. "for 2s"');
        return { do: "expect", cond, timing };
      }
      case "partition": {
        const groups: NodeSet[] = [];
        for (;;) {
          groups.push(parseSetToken(line, "a group of servers"));
          if (line.atEnd()) break;
          const sep = line.next('"|"');
          if (sep !== "|") line.fail(`expected "|" between groups, got "${sep}"`);
        }
        if (groups.length < 2) line.fail('a partition needs at least two groups: partition {leader} | rest');
        return { do: "partition", groups };
      }
      case "isolate":
        return { do: "isolate", who: parseSetToken(line, "servers") };
      case "cut": {
        const from = parseSetToken(line, "servers");
        const arrow = line.next('"->"');
        if (arrow !== "->") line.fail(`expected "->" in cut FROM -> TO, got "${arrow}"`);
        return { do: "cut", from, to: parseSetToken(line, "servers") };
      }
      case "heal":
        return { do: "heal" };
      case "crash": {
        const who = parseSetToken(line, "servers");
        return { do: "crash", who, torn: line.accept("torn") };
      }
      case "restart":
        return { do: "restart", who: parseSetToken(line, "servers") };
      case "pause": {
        const who = parseSetToken(line, "servers");
        line.expectWord("for");
        return { do: "pause", who, ms: parseDuration(line, line.next("a duration")) };
      }
      case "clock": {
        const who = parseSetToken(line, "servers");
        let driftPpm = 0;
        let offsetMs = 0;
        while (!line.atEnd()) {
          if (line.accept("drift")) {
            const t = line.next("a drift in ppm");
            const m = /^(-?\d+)(ppm)?$/.exec(t);
            if (m === null) line.fail(`expected a drift such as 1000ppm, got "${t}"`);
            driftPpm = Number(m[1]);
            if (Math.abs(driftPpm) >= 1_000_000) line.fail("drift must be within ±999999 ppm");
          } else if (line.accept("offset")) {
            offsetMs = parseDuration(line, line.next("an offset"));
          } else line.fail(`expected "drift Nppm" or "offset DURATION", got "${line.peek()}"`);
        }
        return { do: "clock", who, driftPpm, offsetMs };
      }
      case "faults":
        return { do: "faults", faults: parseFaults(line) };
      case "propose": {
        const count = parseCount(line, line.next("how many commands"), "the number of proposals");
        if (count < 1) line.fail("propose at least 1 command");
        line.expectWord("on", "to");
        return { do: "propose", count, on: parseSetToken(line, "servers") };
      }
      case "remember": {
        const who = parseSetToken(line, "servers");
        line.expectWord("as");
        const name = line.next("a $name");
        if (!/^\$[A-Za-z_][\w-]*$/.test(name)) line.fail(`expected a name such as $old, got "${name}"`);
        return { do: "remember", who, as: name };
      }
      case "nemesis": {
        const ms = parseDuration(line, line.next("how long the nemesis runs"));
        return { do: "nemesis", ms, allowMajorityDown: line.accept("majority-down") };
      }
      case "note":
        return { do: "note", text: line.rest().join(" ") };
      default:
        return line.fail(`unknown step "${verb}": expected one of run, expect, partition, isolate, cut, heal, crash, restart, pause, clock, faults, propose, remember, nemesis, note`);
    }
  })();
  line.done();
  return { ...step, line: line.number };
}

// ----------------------------------------------------------------- files

const DIRECTIVES = ["scenario", "section", "tags", "core", "extra", "points", "seeds", "nodes", "timing", "config", "swarm", "visibility", "lab", "timeout", "requires"] as const;

interface Draft {
  input: Partial<ScenarioInput> & { steps: Step[]; config: Record<string, Json> };
  startLine: number;
  titleComment: { name: string; section: string } | null;
  sawStep: boolean;
}

function newDraft(startLine: number): Draft {
  return { input: { steps: [], config: {} }, startLine, titleComment: null, sawStep: false };
}

/** "# 5.4.1: a stale log cannot win" or "# §5.4.1 a stale log cannot win". */
function titleFromComment(text: string): { name: string; section: string } | null {
  const m = /^#\s*§?(\d+(?:\.\d+)*)\s*:?\s+(\S.*)$/.exec(text.trim());
  if (m === null) return null;
  return { name: `§${m[1]} ${m[2].trim()}`, section: `§${m[1]}` };
}

function applyDirective(d: Draft, line: Line, word: string): void {
  const input = d.input;
  const once = <K extends keyof ScenarioInput>(key: K) => {
    if (input[key] !== undefined) line.fail(`"${word}" is given twice`);
  };
  switch (word) {
    case "scenario":
      once("name");
      input.name = line.rest().join(" ").replace(/^"(.*)"$/, "$1");
      if (input.name === "") line.fail("expected the scenario's name after scenario");
      return;
    case "section": {
      once("section");
      const s = line.next("a paper section such as §5.4.1");
      input.section = s.startsWith("§") || /^(Figure|thesis)/i.test(s) ? [s, ...line.rest()].join(" ") : `§${s}`;
      return;
    }
    case "core":
    case "extra":
      once("tags");
      input.tags = [word, ...line.rest()];
      return;
    case "tags": {
      once("tags");
      const tags = line.rest();
      if (tags.length === 0) line.fail("expected tags, e.g. tags core election");
      input.tags = tags;
      return;
    }
    case "points": {
      once("points");
      const t = line.next("points");
      const n = Number(t);
      if (!/^\d+(\.\d+)?$/.test(t)) line.fail(`expected points as a number, got "${t}"`);
      input.points = n;
      break;
    }
    case "seeds":
      once("seeds");
      input.seeds = parseCount(line, line.next("the number of seeds"), "seeds");
      if (input.seeds < 1) line.fail("seeds must be at least 1");
      break;
    case "nodes":
      once("nodes");
      input.nodes = parseCount(line, line.next("the number of servers"), "nodes");
      break;
    case "timing":
      while (!line.atEnd()) {
        const key = line.next("election or heartbeat").toLowerCase();
        if (key === "election") {
          const [lo, hi] = parseRange(line, line.next("an election timeout range"), "election timeout");
          input.config.electionTimeoutMinMs = lo;
          input.config.electionTimeoutMaxMs = hi;
        } else if (key === "heartbeat") {
          const [hb] = parseRange(line, line.next("a heartbeat interval"), "heartbeat interval");
          input.config.heartbeatIntervalMs = hb;
        } else line.fail(`expected "election MIN..MAX" or "heartbeat MS", got "${key}"`);
      }
      return;
    case "config": {
      const key = line.next("a config key");
      const value = line.rest().join(" ");
      if (value === "") line.fail(`expected a value after config ${key}`);
      input.config[key] = parseConfigValue(value);
      return;
    }
    case "swarm": {
      once("swarm");
      const kinds = line.rest();
      if (kinds.length === 0) line.fail(`expected fault kinds after swarm (or none/all); known: ${SWARM_KINDS.join(", ")}`);
      if (kinds.length === 1 && kinds[0] === "none") input.swarm = [];
      else if (kinds.length === 1 && kinds[0] === "all") input.swarm = [...SWARM_KINDS];
      else {
        for (const k of kinds) if (!SWARM_KINDS.includes(k as SwarmKind)) line.fail(`unknown swarm fault "${k}"; known: ${SWARM_KINDS.join(", ")}, or none/all`);
        input.swarm = kinds as SwarmKind[];
      }
      return;
    }
    case "visibility": {
      once("visibility");
      const v = line.next("a visibility");
      if (!VISIBILITIES.includes(v as Visibility)) line.fail(`expected visibility ${VISIBILITIES.join(", ")}, got "${v}"`);
      input.visibility = v as Visibility;
      break;
    }
    case "lab":
      once("lab");
      input.lab = line.next("a lab name");
      break;
    case "requires": {
      const cases = line.rest();
      if (cases.length === 0) line.fail("expected case names after requires, e.g. requires leader-change crash");
      input.requires = [...(input.requires ?? []), ...cases];
      return;
    }
    case "timeout":
      once("wallMsPerSeed");
      input.wallMsPerSeed = parseDuration(line, line.next("a wall-clock limit per seed, e.g. 20s"));
      break;
  }
  line.done();
}

function finishDraft(d: Draft, file: string): Scenario {
  const input = d.input;
  if (input.name === undefined && d.titleComment !== null) {
    input.name = d.titleComment.name;
    if (input.section === undefined) input.section = d.titleComment.section;
  }
  if (input.name === undefined) {
    throw new ScenarioError(file, d.startLine, 'a scenario needs a name: start it with "# 5.2: what it proves" or a line "scenario NAME"');
  }
  if (input.steps.length === 0) throw new ScenarioError(file, d.startLine, `scenario "${input.name}" has no steps: add e.g. "run until leader"`);
  return defineScenario({ ...input, name: input.name, steps: input.steps }, { file, line: d.startLine });
}

/** Parses a scenario file's text. `file` is only used in error messages and reports. */
export function parseScenarioText(text: string, file: string): Scenario[] {
  const out: Scenario[] = [];
  const lines = text.split(/\r?\n/);
  let draft = newDraft(1);
  let any = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const trimmed = raw.trim();
    const number = i + 1;
    if (trimmed === "---") {
      if (any) out.push(finishDraft(draft, file));
      draft = newDraft(number + 1);
      any = false;
      continue;
    }
    if (trimmed === "") continue;
    if (trimmed.startsWith("#")) {
      if (!any && draft.titleComment === null) {
        draft.titleComment = titleFromComment(trimmed);
        if (draft.titleComment !== null) draft.startLine = number;
      }
      continue;
    }
    if (!any) draft.startLine = draft.titleComment === null ? number : draft.startLine;
    any = true;
    const code = trimmed.replace(/\s+#.*$/, "");
    const line = new Line(file, number, code, tokenize(code));
    const word = (line.peek() ?? "").toLowerCase();
    if (word === "faults" && !draft.sawStep) {
      // Before the first step, faults are the scenario's link faults from time 0 (data); later, a step.
      line.next(word);
      draft.input.faults = { ...draft.input.faults, ...parseFaults(line) };
    } else if ((DIRECTIVES as readonly string[]).includes(word)) {
      if (draft.sawStep) line.fail(`"${word}" describes the whole scenario: put it before the first step`);
      line.next(word);
      applyDirective(draft, line, word);
    } else {
      draft.sawStep = true;
      draft.input.steps.push(parseStep(line));
    }
  }
  if (any) out.push(finishDraft(draft, file));
  if (out.length === 0) throw new ScenarioError(file, 1, "the file holds no scenario");
  return out;
}

/**
 * Steps written in the text format, for TS scenarios:
 *   steps`run until leader within 2s
 *          expect one leader for 3s`
 * Line numbers in errors count from the template's first line.
 */
export function steps(strings: TemplateStringsArray, ...values: (string | number)[]): Step[] {
  const text = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ""), "");
  const file = callerFile() ?? "<steps template>";
  const out: Step[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim().replace(/\s+#.*$/, "");
    if (trimmed === "" || trimmed.startsWith("#")) return;
    out.push(parseStep(new Line(file, i + 1, trimmed, tokenize(trimmed))));
  });
  return out;
}

/** The file that called steps``, from the stack, for error messages. */
function callerFile(): string | undefined {
  const stack = new Error().stack?.split("\n") ?? [];
  for (const frame of stack.slice(3)) {
    const m = /(?:file:\/\/)?(\/[^:)]+\.[cm]?[tj]s)/.exec(frame);
    if (m !== null && !m[1].endsWith("/dsl.ts")) return m[1];
  }
  return undefined;
}

/** One step back in the text format, for trace notes and reports. */
export function describeStep(step: Step): string {
  const set = (s: NodeSet) => (s.length === 1 ? s[0] : `{${s.join(", ")}}`);
  const dur = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
  switch (step.do) {
    case "run":
      return `run ${dur(step.ms)}`;
    case "runUntil":
      return `run until ${describeCondition(step.until)} within ${dur(step.withinMs)}`;
    case "expect": {
      const t = step.timing;
      return `expect ${describeCondition(step.cond)}${t.mode === "within" ? ` within ${dur(t.ms)}` : t.mode === "for" ? ` for ${dur(t.ms)}` : ""}`;
    }
    case "partition":
      return `partition ${step.groups.map(set).join(" | ")}`;
    case "isolate":
      return `isolate ${set(step.who)}`;
    case "cut":
      return `cut ${set(step.from)} -> ${set(step.to)}`;
    case "heal":
      return "heal";
    case "crash":
      return `crash ${set(step.who)}${step.torn ? " torn" : ""}`;
    case "restart":
      return `restart ${set(step.who)}`;
    case "pause":
      return `pause ${set(step.who)} for ${dur(step.ms)}`;
    case "clock":
      return `clock ${set(step.who)} drift ${step.driftPpm}ppm offset ${dur(step.offsetMs)}`;
    case "faults":
      return `faults ${JSON.stringify(step.faults)}`;
    case "propose":
      return `propose ${step.count} on ${set(step.on)}`;
    case "remember":
      return `remember ${set(step.who)} as ${step.as}`;
    case "nemesis":
      return `nemesis ${dur(step.ms)}${step.allowMajorityDown ? " majority-down" : ""}`;
    case "note":
      return `note ${step.text}`;
    case "code":
      return `code: ${step.label}`;
  }
}

export function describeCondition(c: Condition): string {
  const set = (s: NodeSet) => (s.length === 1 && !/^n\d+$/.test(s[0]) ? s[0] : `{${s.join(", ")}}`);
  switch (c.kind) {
    case "oneLeader":
      return "one leader";
    case "noLeader":
      return c.among === undefined ? "no leader" : `no leader among ${set(c.among)}`;
    case "leaderIn":
      return `leader in ${set(c.among)}`;
    case "leaderNotIn":
      return `leader not in ${set(c.among)}`;
    case "committed":
      return `committed ${c.count} on ${c.on === "majority" ? "majority" : set(c.on)}`;
    case "messagesAtMost":
      return `at most ${c.count} messages`;
    case "termsStable":
      return "no election";
  }
}
