// Finds and loads scenario files: the built-in suites (grader/suites/<lab>/)
// and instructors' folders given with --scenarios DIR. Text files are parsed by
// grader/dsl.ts; TS files export scenarios made with defineScenario().
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type LabDef, REPO_DIR, findLab, scenarioFilesIn, suiteDir } from "./labs.ts";
import { parseScenarioText } from "./dsl.ts";
import { type Scenario, type ScenarioInput, ScenarioError, defineScenario } from "./scenario.ts";

export interface LoadedScenario {
  readonly scenario: Scenario;
  readonly lab: LabDef;
  /** Absolute path of the file it came from (workers load it again from there). */
  readonly file: string;
  /** The --scenarios folder it came from, or null for a built-in one. */
  readonly externalDir: string | null;
}

const cache = new Map<string, Promise<Scenario[]>>();

/** Forgets loaded files, so the next load reads them again (--watch). */
export function clearScenarioCache(): void {
  cache.clear();
}

/** The scenarios of one file (cached per process). */
export function loadScenarioFile(file: string): Promise<Scenario[]> {
  const abs = resolve(file);
  let p = cache.get(abs);
  if (p === undefined) {
    p = abs.endsWith(".ts") ? loadTsFile(abs) : Promise.resolve(parseScenarioText(readFileSync(abs, "utf8"), displayPath(abs)));
    cache.set(abs, p);
  }
  return p;
}

async function loadTsFile(abs: string): Promise<Scenario[]> {
  let mod: Record<string, unknown>;
  try {
    // The mtime in the URL makes --watch pick up an edited file (ESM caches by URL).
    mod = (await import(`${pathToFileURL(abs).href}?v=${Math.round(statSync(abs).mtimeMs)}`)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    throw new ScenarioError(displayPath(abs), 1, `could not load the file: ${err instanceof Error ? err.message : String(err)}`);
  }
  const exported = mod.default ?? mod.scenarios;
  if (exported === undefined) throw new ScenarioError(displayPath(abs), 1, "expected `export default [defineScenario({...}), ...]` (or `export const scenarios = [...]`)");
  const list = Array.isArray(exported) ? exported : [exported];
  return list.map((s, i) => {
    if (s === null || typeof s !== "object" || typeof (s as { name?: unknown }).name !== "string" || !Array.isArray((s as { steps?: unknown }).steps)) {
      throw new ScenarioError(displayPath(abs), 1, `export #${i + 1} is not a scenario: expected an object made with defineScenario({ name, steps, ... })`);
    }
    if ("source" in s) {
      const sc = s as Scenario;
      return sc.source.file.startsWith("/") ? { ...sc, source: { ...sc.source, file: displayPath(sc.source.file) } } : sc;
    }
    return defineScenario(s as ScenarioInput, { file: displayPath(abs), line: 1 });
  });
}

/** A path relative to the repo when inside it, for messages. */
export function displayPath(abs: string): string {
  const rel = relative(REPO_DIR, abs);
  return rel.startsWith("..") ? abs : rel;
}

/** The lab a file from an external folder belongs to: its `lab` line, else a folder named after a lab, else the only lab graded. */
function labOfExternal(s: Scenario, file: string, dir: string, selected: readonly LabDef[]): LabDef {
  const declared = s.lab ?? null;
  if (declared !== null) {
    const lab = findLab(declared);
    if (lab === undefined) throw new ScenarioError(s.source.file, s.source.line, `unknown lab "${declared}"`);
    return lab;
  }
  for (let d = dirname(file); d.length >= dir.length && d !== dirname(d); d = dirname(d)) {
    const lab = findLab(basename(d));
    if (lab !== undefined) return lab;
    if (d === dir) break;
  }
  if (selected.length === 1) return selected[0];
  throw new ScenarioError(
    s.source.file,
    s.source.line,
    `which lab is "${s.name}" for? Grading several labs, a scenario from --scenarios needs a "lab NAME" line (or to sit in a folder named after its lab)`,
  );
}

/** Every scenario of the selected labs, built-in first, then the external folders'; names are unique per lab. */
export async function loadScenarios(labs: readonly LabDef[], externalDirs: readonly string[]): Promise<LoadedScenario[]> {
  const out: LoadedScenario[] = [];
  for (const lab of labs) {
    for (const file of scenarioFilesIn(suiteDir(lab))) {
      for (const scenario of await loadScenarioFile(file)) out.push({ scenario, lab, file, externalDir: null });
    }
  }
  for (const rawDir of externalDirs) {
    const dir = resolve(rawDir);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      /* reported below */
    }
    if (!isDir) throw new ScenarioError(rawDir, 0, "--scenarios expects a folder of *.scenario or *.ts files, and this is not a folder");
    const files = scenarioFilesIn(dir);
    if (files.length === 0) throw new ScenarioError(rawDir, 0, "the folder holds no *.scenario or *.ts files");
    for (const file of files) {
      for (const scenario of await loadScenarioFile(file)) {
        const lab = labOfExternal(scenario, file, dir, labs);
        if (labs.includes(lab)) out.push({ scenario, lab, file, externalDir: dir });
      }
    }
  }
  const seen = new Map<string, LoadedScenario>();
  for (const l of out) {
    const key = `${l.lab.name}\u0000${l.scenario.name.toLowerCase()}`;
    const other = seen.get(key);
    if (other !== undefined) {
      const s = l.scenario.source;
      const o = other.scenario.source;
      throw new ScenarioError(s.file, s.line, `${l.lab.name} already has a scenario named "${l.scenario.name}" (${o.file}:${o.line}); names must be unique, they select a scenario for replay`);
    }
    seen.set(key, l);
  }
  return out;
}
