// The labs the grader knows: names, aliases, lessons, which student modules
// each one grades, and where its built-in scenarios live
// (grader/suites/<lab>/: text *.scenario files and *.ts files, in name order).
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The modules of the Raft node (labs/given/state.ts RaftModules), one per lab 1..6. */
export const RAFT_MODULES = ["election", "replication", "persistence", "snapshot", "membership", "kv"] as const;
export type RaftModuleName = (typeof RAFT_MODULES)[number];

export interface LabDef {
  readonly name: string;
  /** Also accepted on the command line: the lab's topic. */
  readonly alias: string;
  readonly title: string;
  readonly lesson: string;
  /** The lesson to read once every core scenario passes (null for the last lab). */
  readonly nextLesson: string | null;
  /** "raft": the Raft node assembled from modules; "toy": the self-test's toy cluster. */
  readonly subject: "raft" | "toy";
  /** Student modules graded by this lab: its own and every earlier lab's. */
  readonly modules: readonly RaftModuleName[];
  /** Hidden labs are not listed and not part of "all" (the grader's self-test). */
  readonly hidden: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));
export const GRADER_DIR = here;
export const REPO_DIR = dirname(here);
export const SUITES_DIR = join(here, "suites");

const raftLab = (n: number, alias: string, title: string, lesson: string, nextLesson: string | null): LabDef => ({
  name: `lab${n}`,
  alias,
  title,
  lesson,
  nextLesson,
  subject: "raft",
  modules: RAFT_MODULES.slice(0, Math.min(n, RAFT_MODULES.length)),
  hidden: false,
});

export const LABS: readonly LabDef[] = [
  raftLab(1, "election", "leader election", "lessons/01-election.md", "lessons/02-replication.md"),
  raftLab(2, "replication", "log replication", "lessons/02-replication.md", "lessons/03-persistence.md"),
  raftLab(3, "persistence", "persistence and restarts", "lessons/03-persistence.md", "lessons/04-snapshots.md"),
  raftLab(4, "snapshot", "log compaction", "lessons/04-snapshots.md", "lessons/05-membership.md"),
  raftLab(5, "membership", "membership changes", "lessons/05-membership.md", "lessons/06-kv.md"),
  raftLab(6, "kv", "the replicated KV store", "lessons/06-kv.md", "lessons/07-chaos.md"),
  { ...raftLab(7, "chaos", "chaos testing", "lessons/07-chaos.md", null), modules: [...RAFT_MODULES] },
  {
    name: "selftest",
    alias: "selftest",
    title: "the grader's own self-test (toy cluster)",
    lesson: "grader/README.md",
    nextLesson: null,
    subject: "toy",
    modules: [],
    hidden: true,
  },
];

export function suiteDir(lab: LabDef): string {
  return join(SUITES_DIR, lab.name);
}

/** Scenario files of a folder, recursively, in path order: *.scenario and *.ts (not tests, not _private). */
export function scenarioFilesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith("_") || e.name.startsWith(".")) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".scenario") || (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts"))) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** A lab by name or alias (case-insensitive), hidden ones included. */
export function findLab(arg: string): LabDef | undefined {
  const a = arg.toLowerCase();
  return LABS.find((l) => l.name === a || l.alias === a);
}

/** Visible labs that have built-in scenarios: what "all" grades. */
export function labsWithScenarios(): LabDef[] {
  return LABS.filter((l) => !l.hidden && scenarioFilesIn(suiteDir(l)).length > 0);
}

/** Every name the lab argument accepts, for error messages. */
export function labChoices(): string[] {
  const visible = LABS.filter((l) => !l.hidden);
  return [...visible.map((l) => `${l.name}|${l.alias}`), "all"];
}
