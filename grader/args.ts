// The grader's command line: every flag with its help text and an example,
// parsed strictly. A bad argument is a UsageError (exit 2) that says what was
// wrong and lists the valid choices, with a suggestion for near misses.
import { parseSeed } from "../harness/sim/index.ts";
import { type LabDef, LABS, findLab, labChoices, labsWithScenarios } from "./labs.ts";
import { DEFAULT_HEAP_MB, type GradeOptions, UsageError, defaultWorkers, parseModuleList } from "./run/grade.ts";
import { DEFAULT_SEEDS } from "./scenario.ts";

export interface CliOptions extends GradeOptions {
  json: string | null;
  junit: string | null;
  gradescope: string | null;
  watch: boolean;
  ui: boolean;
  list: boolean;
  help: boolean;
}

type FlagKind = "bool" | "value" | "list";

interface FlagDef {
  name: string;
  kind: FlagKind;
  arg?: string;
  help: string;
  example: string;
}

export const FLAGS: readonly FlagDef[] = [
  { name: "--solution", kind: "bool", help: "grade the reference in solutions/ instead of your labs/ (what passing looks like)", example: "npm run grade lab1 -- --solution" },
  {
    name: "--use-reference",
    kind: "value",
    arg: "MODULES",
    help: "borrow these modules from solutions/ and grade the rest of the lab's modules from labs/",
    example: "npm run grade lab3 -- --use-reference election,replication",
  },
  { name: "--seeds", kind: "value", arg: "N", help: `seeds per scenario (default: each scenario's own, usually ${DEFAULT_SEEDS})`, example: "npm run grade lab2 -- --seeds 100" },
  { name: "--seed", kind: "value", arg: "S", help: "run only this seed (decimal or 0x hex, 0..4294967295): replays a failure exactly", example: "npm run grade lab2 -- --seed 1234 --scenario \"§5.3 log matching\"" },
  { name: "--scenario", kind: "value", arg: "NAME", help: "run only the scenario with this name (as printed; quote it)", example: "npm run grade lab1 -- --scenario \"§5.2 a leader is elected\"" },
  {
    name: "--scenarios",
    kind: "list",
    arg: "DIR",
    help: "also run the scenario files (*.scenario, *.ts) in DIR, e.g. an instructor's private set; repeatable",
    example: "npm run grade lab2 -- --scenarios ~/course/private-scenarios",
  },
  { name: "--json", kind: "value", arg: "FILE", help: "write the results as JSON (schema: grader/schemas/result.schema.json)", example: "npm run grade lab1 -- --json out/lab1.json" },
  { name: "--junit", kind: "value", arg: "FILE", help: "write JUnit XML: one testcase per scenario, failures with message and replay command", example: "npm run grade all -- --junit out/junit.xml" },
  { name: "--gradescope", kind: "value", arg: "FILE", help: "write a Gradescope results.json (score per scenario from its points)", example: "npm run grade all -- --gradescope /autograder/results/results.json" },
  { name: "--trace", kind: "value", arg: "DIR", help: "where to write trace files (default .grade/traces); failed seeds always get a .jsonl trace and an HTML timeline", example: "npm run grade lab1 -- --trace /tmp/traces" },
  { name: "--trace-all", kind: "bool", help: "write traces for passing seeds too (slower)", example: "npm run grade lab1 -- --seed 7 --trace-all" },
  { name: "--shard", kind: "value", arg: "I/N", help: "run part I of N of the (scenario, seed) pairs: a deterministic split for parallel CI jobs", example: "npm run grade all -- --shard 2/4 --json out/shard2.json" },
  { name: "--watch", kind: "bool", help: "re-grade whenever a file in labs/ changes; shows the score, the first failure and the next step", example: "npm run grade lab1 -- --watch" },
  { name: "--ui", kind: "bool", help: "open the lab's suite in the Vitest UI (in the browser)", example: "npm run grade lab1 -- --ui" },
  {
    name: "--shrink",
    kind: "bool",
    help: "for each failing scenario, shrink the first failing seed's fault schedule (fast-check) to a few faults that still break the same rule, and print its replay command",
    example: "npm run grade lab2 -- --shrink",
  },
  {
    name: "--keep-faults",
    kind: "value",
    arg: "LIST",
    help: "replay a seed applying only these fault actions of its schedule (numbers from a --shrink report; none for no faults)",
    example: "npm run grade lab2 -- --seed 1234 --scenario \"§5.3 agreement under faults\" --keep-faults 3,7",
  },
  { name: "--list", kind: "bool", help: "list the labs and their scenarios (with tags, points and seeds) and exit", example: "npm run grade lab2 -- --list" },
  { name: "--workers", kind: "value", arg: "N", help: "worker threads (default: one per core)", example: "npm run grade all -- --workers 1" },
  { name: "--timeout", kind: "value", arg: "SECONDS", help: "wall-clock limit per seed before the code is declared stuck (default: the scenario's, usually 5)", example: "npm run grade lab1 -- --timeout 30" },
  { name: "--heap-mb", kind: "value", arg: "MB", help: `memory limit per worker before the code is declared to grow without bound (default ${DEFAULT_HEAP_MB})`, example: "npm run grade lab4 -- --heap-mb 512" },
  { name: "--help", kind: "bool", help: "show this help", example: "npm run grade -- --help" },
];

const ALIASES: Readonly<Record<string, string>> = { "-h": "--help" };

export function helpText(): string {
  const labs = LABS.filter((l) => !l.hidden)
    .map((l) => `  ${l.name.padEnd(6)} ${l.alias.padEnd(12)} ${l.title}`)
    .join("\n");
  const flags = FLAGS.map((f) => {
    const head = `  ${f.name}${f.arg !== undefined ? ` ${f.arg}` : ""}`;
    return `${head}\n      ${f.help}\n      e.g. ${f.example}`;
  }).join("\n");
  return `Grade a Raft lab on the deterministic simulator.

usage: npm run grade <lab|all> [-- flags]

labs (name or topic):
${labs}
  all                 every lab that has scenarios (now: ${labsWithScenarios().map((l) => l.name).join(", ") || "none"})

flags (after "--", so that npm passes them on):
${flags}

exit status: 0 if every selected core scenario passed, 1 if one failed, 2 for bad arguments or a broken scenario file.
Scenario files and the scenario API: grader/README.md`;
}

/** Edit distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

export function suggest(word: string, choices: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of choices) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  if (best !== undefined && bestD <= limit) return best;
  return choices.find((c) => c.startsWith(word) || word.startsWith(c));
}

function positiveInt(flag: string, text: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new UsageError(`${flag} expects a whole number from 1 to ${max}, got "${text}"`);
  }
  return Number(text);
}

function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (m === null) throw new UsageError(`--shard expects I/N, e.g. --shard 2/4 (part 2 of 4), got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new UsageError(`--shard ${text}: I must be from 1 to N, and N at least 1`);
  return { index, count };
}

function labsFor(arg: string): { labArg: string; labs: LabDef[] } {
  if (arg.toLowerCase() === "all") {
    const labs = labsWithScenarios();
    if (labs.length === 0) throw new UsageError("no lab has scenarios yet (grader/suites/<lab>/ are empty)");
    return { labArg: "all", labs };
  }
  const lab = findLab(arg);
  if (lab === undefined) {
    const names = LABS.filter((l) => !l.hidden).flatMap((l) => [l.name, l.alias]);
    const near = suggest(arg, [...names, "all"]);
    throw new UsageError(`unknown lab "${arg}".${near !== undefined ? ` Did you mean "${near}"?` : ""}\nChoose one of: ${labChoices().join(", ")}`);
  }
  return { labArg: lab.name, labs: [lab] };
}

/** npm swallows flags that come before "--" and turns them into npm_config_* variables. */
function npmSwallowed(env: NodeJS.ProcessEnv): string[] {
  if (env.npm_lifecycle_event !== "grade") return [];
  return FLAGS.filter((f) => env[`npm_config_${f.name.slice(2).replace(/-/g, "_")}`] !== undefined).map((f) => f.name);
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): CliOptions {
  const swallowed = npmSwallowed(env);
  if (swallowed.length > 0) {
    throw new UsageError(`npm took ${swallowed.join(", ")} for itself. Put "--" before the grader's flags, e.g.:\n  npm run grade lab1 -- ${swallowed.join(" ")}`);
  }
  const values = new Map<string, string[]>();
  const positional: string[] = [];
  const names = FLAGS.map((f) => f.name);
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i];
    if (raw === "--") continue;
    if (!raw.startsWith("-") || raw === "-") {
      positional.push(raw);
      continue;
    }
    const eq = raw.indexOf("=");
    const name = ALIASES[raw] ?? (eq > 0 ? raw.slice(0, eq) : raw);
    const def = FLAGS.find((f) => f.name === name);
    if (def === undefined) {
      const near = suggest(name, names);
      throw new UsageError(`unknown flag ${name}.${near !== undefined ? ` Did you mean ${near}?` : ""}\nValid flags: ${names.join(" ")}\n(npm run grade -- --help explains each one)`);
    }
    let value: string;
    if (def.kind === "bool") {
      if (eq > 0) throw new UsageError(`${name} takes no value`);
      value = "true";
    } else if (eq > 0) {
      value = raw.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) throw new UsageError(`${name} needs a value: ${name} ${def.arg}, e.g. ${def.example}`);
      value = next;
      i++;
    }
    const list = values.get(name) ?? [];
    if (list.length > 0 && def.kind !== "list") throw new UsageError(`${name} is given twice`);
    list.push(value);
    values.set(name, list);
  }
  const one = (name: string): string | null => values.get(name)?.[0] ?? null;
  const flag = (name: string): boolean => values.has(name);

  const help = flag("--help");
  const list = flag("--list");
  if (positional.length > 1) throw new UsageError(`expected one lab, got ${positional.map((p) => `"${p}"`).join(" ")}. Choose one of: ${labChoices().join(", ")}`);
  if (positional.length === 0 && !help && !list) {
    throw new UsageError(`which lab? usage: npm run grade <lab|all> [-- flags]\nChoose one of: ${labChoices().join(", ")}`);
  }
  const { labArg, labs } = positional.length > 0 ? labsFor(positional[0]) : { labArg: "all", labs: labsWithScenarios() };

  let seed: number | null = null;
  const seedText = one("--seed");
  if (seedText !== null) {
    try {
      seed = parseSeed(seedText);
    } catch {
      throw new UsageError(`--seed expects a whole number from 0 to 4294967295 (decimal or 0x hex), got "${seedText}"`);
    }
  }
  const seedsText = one("--seeds");
  const seeds = seedsText === null ? null : positiveInt("--seeds", seedsText, 100_000);
  if (seed !== null && seeds !== null) throw new UsageError("--seed runs one seed and --seeds N runs N: give only one of them");

  const solution = flag("--solution");
  const useRefText = one("--use-reference");
  const useReference = useRefText === null ? [] : parseModuleList(useRefText);
  if (solution && useReference.length > 0) throw new UsageError("--solution already takes every module from solutions/: drop --use-reference");
  for (const lab of labs) {
    const foreign = useReference.filter((m) => !lab.modules.includes(m));
    if (foreign.length > 0 && labs.length === 1) {
      throw new UsageError(`--use-reference ${foreign.join(",")}: ${lab.name} grades only ${lab.modules.join(", ") || "no modules"}; the others come from solutions/ anyway`);
    }
  }

  const timeoutText = one("--timeout");
  const workersText = one("--workers");
  const heapText = one("--heap-mb");
  const shardText = one("--shard");
  const keepText = one("--keep-faults");
  let keepFaults: number[] | null = null;
  if (keepText !== null) {
    if (keepText !== "none" && !/^\d+(,\d+)*$/.test(keepText)) throw new UsageError(`--keep-faults expects fault numbers such as 3,7 (or none), got "${keepText}"`);
    keepFaults = keepText === "none" ? [] : keepText.split(",").map(Number);
    if (seed === null) throw new UsageError("--keep-faults replays one seed: add --seed S (and --scenario NAME), as in the --shrink report");
  }
  const watch = flag("--watch");
  const ui = flag("--ui");
  if (watch && ui) throw new UsageError("--watch and --ui both keep running: choose one (the Vitest UI re-runs on changes by itself)");
  return {
    labArg,
    labs,
    impl: { solution, useReference },
    seeds,
    seed,
    scenario: one("--scenario"),
    scenarioDirs: values.get("--scenarios") ?? [],
    shard: shardText === null ? null : parseShard(shardText),
    traceDir: one("--trace") ?? ".grade/traces",
    traceAll: flag("--trace-all"),
    workers: workersText === null ? defaultWorkers() : positiveInt("--workers", workersText, 64),
    heapMb: heapText === null ? DEFAULT_HEAP_MB : positiveInt("--heap-mb", heapText, 65_536),
    timeoutMs: timeoutText === null ? null : positiveInt("--timeout", timeoutText, 3600) * 1000,
    shrink: flag("--shrink"),
    keepFaults,
    json: one("--json"),
    junit: one("--junit"),
    gradescope: one("--gradescope"),
    watch,
    ui,
    list,
    help,
  };
}
