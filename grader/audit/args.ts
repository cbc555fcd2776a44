// The audit's command line, parsed strictly: a bad argument is a UsageError
// (exit 2) that says what was wrong and what would be right.
import { suggest } from "../args.ts";
import { DEFAULT_HEAP_MB, UsageError, defaultWorkers } from "../run/grade.ts";
import { LABS, type LabDef, findLab, labsWithScenarios } from "../labs.ts";
import { MUTANTS, type Mutant } from "./mutants.ts";

export interface AuditCliOptions {
  /** The mutants to audit (all, one lab's, or the named ones). */
  mutants: Mutant[];
  /** --lab N, as a number, or null. */
  lab: number | null;
  json: string | null;
  traceDir: string | null;
  /** --suites: hunt with (and run clean) only these labs' suites; null: every lab with scenarios. */
  suites: LabDef[] | null;
  workers: number;
  heapMb: number;
  scenarioDirs: string[];
  clean: boolean;
  list: boolean;
  help: boolean;
}

interface FlagDef {
  name: string;
  arg?: string;
  repeatable?: true;
  help: string;
}

const FLAGS: readonly FlagDef[] = [
  { name: "--lab", arg: "N", help: "audit only the mutants of lab N (1-7, or its name: lab2, replication); every suite still hunts them" },
  { name: "--mutant", arg: "ID[,ID]", repeatable: true, help: "audit only these mutants (names from solutions/bugs.ts; --list shows them)" },
  { name: "--json", arg: "FILE", help: "write the results as JSON (schema: grader/audit/audit.schema.json)" },
  { name: "--suites", arg: "LABS", help: "hunt with only these labs' suites, e.g. lab1,lab2 (default: every lab that has scenarios); the clean run covers the same" },
  { name: "--trace", arg: "DIR", help: "write each kill's trace and HTML timeline under DIR/<mutant>/ (to see how the bug shows)" },
  { name: "--scenarios", arg: "DIR", repeatable: true, help: "also hunt with the scenario files in DIR (an instructor's private set), as `npm run grade` does" },
  { name: "--no-clean", help: "skip the clean reference run (its verdict, and the costs that order each mutant's runs)" },
  { name: "--workers", arg: "N", help: "worker threads (default: one per core)" },
  { name: "--heap-mb", arg: "MB", help: `memory limit per worker (default ${DEFAULT_HEAP_MB})` },
  { name: "--list", help: "list the mutants (id, lab, what bug it plants) and exit" },
  { name: "--help", help: "show this help" },
];

export function auditHelp(): string {
  const flags = FLAGS.map((f) => `  ${f.name}${f.arg !== undefined ? ` ${f.arg}` : ""}\n      ${f.help}`).join("\n");
  return `Mutation audit: does the suite catch known Raft bugs?

usage: npm run audit [-- flags]

The clean reference (solutions/) must pass every scenario. Then each mutant — the
reference with one bug switch of solutions/bugs.ts on — runs core scenarios on
their default seeds, its own lab's first, until one fails (the kill). A mutant
nothing kills survived: the suite is missing a scenario.

flags (after "--", so that npm passes them on):
${flags}

examples:
  npm run audit
  npm run audit -- --lab 2 --json out/audit-lab2.json
  npm run audit -- --mutant commit-old-term,vote-twice --no-clean --trace /tmp/audit

exit status: 0 if the clean reference passed and every mutant whose lab has a
suite was killed; 1 otherwise; 2 for bad arguments.
How to read the output: lessons/instructors.md, "Reading the audit".`;
}

function positiveInt(flag: string, text: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) throw new UsageError(`${flag} expects a whole number from 1 to ${max}, got "${text}"`);
  return Number(text);
}

function parseLab(text: string): number {
  const byName = findLab(/^\d+$/.test(text) ? `lab${text}` : text);
  const m = byName === undefined || byName.hidden ? null : /^lab(\d+)$/.exec(byName.name);
  if (m === null) {
    const names = LABS.filter((l) => !l.hidden).map((l) => `${l.name.slice(3)} (${l.alias})`);
    throw new UsageError(`--lab: unknown lab "${text}"; choose one of ${names.join(", ")}`);
  }
  return Number(m[1]);
}

function parseSuites(text: string): LabDef[] {
  const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const have = labsWithScenarios();
  if (names.length === 0) throw new UsageError(`--suites needs lab names, e.g. --suites lab1,lab2 (labs with scenarios: ${have.map((l) => l.name).join(", ")})`);
  return names.map((n) => {
    const lab = findLab(/^\d+$/.test(n) ? `lab${n}` : n);
    if (lab === undefined || lab.hidden || !have.includes(lab)) {
      throw new UsageError(`--suites: "${n}" is not a lab with scenarios; choose from ${have.map((l) => l.name).join(", ")}`);
    }
    return lab;
  });
}

function parseMutants(texts: readonly string[]): Mutant[] {
  const ids = texts.flatMap((t) => t.split(",")).map((s) => s.trim()).filter((s) => s !== "");
  if (ids.length === 0) throw new UsageError("--mutant needs names, e.g. --mutant vote-twice (npm run audit -- --list shows them all)");
  return ids.map((id) => {
    const m = MUTANTS.find((x) => x.id === id);
    if (m === undefined) {
      const near = suggest(id, MUTANTS.map((x) => x.id));
      throw new UsageError(`unknown mutant "${id}".${near !== undefined ? ` Did you mean "${near}"?` : ""} npm run audit -- --list shows them all`);
    }
    return m;
  });
}

/** npm takes flags given before "--" for itself, as npm_config_* variables. */
function npmSwallowed(env: NodeJS.ProcessEnv): string[] {
  if (env.npm_lifecycle_event !== "audit") return [];
  return FLAGS.filter((f) => env[`npm_config_${f.name.slice(2).replace(/-/g, "_")}`] !== undefined).map((f) => f.name);
}

export function parseAuditArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): AuditCliOptions {
  const swallowed = npmSwallowed(env);
  if (swallowed.length > 0) throw new UsageError(`npm took ${swallowed.join(", ")} for itself. Put "--" before the audit's flags, e.g.:\n  npm run audit -- ${swallowed.join(" ")} ...`);
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i];
    if (raw === "--") continue;
    const eq = raw.indexOf("=");
    const name = raw === "-h" ? "--help" : eq > 0 ? raw.slice(0, eq) : raw;
    const def = FLAGS.find((f) => f.name === name);
    if (def === undefined) {
      const near = suggest(name, FLAGS.map((f) => f.name));
      throw new UsageError(`${raw.startsWith("-") ? "unknown flag" : "unexpected argument"} ${raw}.${near !== undefined ? ` Did you mean ${near}?` : ""}\nValid flags: ${FLAGS.map((f) => f.name).join(" ")}`);
    }
    let value = "true";
    if (def.arg === undefined) {
      if (eq > 0) throw new UsageError(`${name} takes no value`);
    } else if (eq > 0) {
      value = raw.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`${name} needs a value: ${name} ${def.arg}`);
      value = next;
      i++;
    }
    const list = values.get(name) ?? [];
    if (list.length > 0 && def.repeatable !== true) throw new UsageError(`${name} is given twice`);
    values.set(name, [...list, value]);
  }
  const one = (name: string): string | null => values.get(name)?.[0] ?? null;
  const labText = one("--lab");
  const lab = labText === null ? null : parseLab(labText);
  const named = values.has("--mutant") ? parseMutants(values.get("--mutant")!) : null;
  let mutants = named ?? [...MUTANTS];
  if (lab !== null) {
    mutants = mutants.filter((m) => m.lab === lab);
    if (mutants.length === 0) throw new UsageError(named !== null ? `none of the named mutants is in lab ${lab}` : `lab ${lab} has no mutants yet (solutions/bugs.ts; placed in grader/audit/mutants.ts)`);
  }
  const suitesText = one("--suites");
  const suites = suitesText === null ? null : parseSuites(suitesText);
  const workersText = one("--workers");
  const heapText = one("--heap-mb");
  return {
    mutants,
    lab,
    json: one("--json"),
    traceDir: one("--trace"),
    suites,
    workers: workersText === null ? defaultWorkers() : positiveInt("--workers", workersText, 64),
    heapMb: heapText === null ? DEFAULT_HEAP_MB : positiveInt("--heap-mb", heapText, 65_536),
    scenarioDirs: values.get("--scenarios") ?? [],
    clean: !values.has("--no-clean"),
    list: values.has("--list"),
    help: values.has("--help"),
  };
}
