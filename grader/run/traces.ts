// Trace files for a seed: the simulator's JSON lines (plus the grader's failure
// line, agreed with the timeline viewer), and the HTML timeline next to it.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Simulation } from "../../harness/sim/index.ts";
import type { Json } from "../../harness/types.ts";
import type { FailureInfo } from "../report/model.ts";

type Renderer = (jsonl: string, opts?: { title?: string }) => string;
let renderer: Promise<Renderer | null> | undefined;

/**
 * The timeline viewer (grader/timeline/render.ts, written separately). Loaded
 * lazily and by a computed path, so the grader still writes .jsonl traces if
 * the viewer is absent or broken.
 */
function timelineRenderer(): Promise<Renderer | null> {
  renderer ??= (async () => {
    const path = "../timeline/render.ts";
    try {
      const mod = (await import(path)) as { renderTimelineHtml?: unknown };
      return typeof mod.renderTimelineHtml === "function" ? (mod.renderTimelineHtml as Renderer) : null;
    } catch {
      return null;
    }
  })();
  return renderer;
}

/** A file-name-safe form of a scenario name: "§5.2 one leader" -> "5.2-one-leader". */
export function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/§/g, "")
      .replace(/[^a-z0-9.]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 80) || "scenario"
  );
}

export function tracePaths(dir: string, lab: string, scenario: string, seed: number): { jsonl: string; html: string; folder: string } {
  const folder = join(dir, lab, slug(scenario));
  return { folder, jsonl: join(folder, `seed-${seed}.jsonl`), html: join(folder, `seed-${seed}.html`) };
}

/** Writes the trace of a finished run; returns the paths written. */
export async function writeTrace(
  sim: Simulation<Json>,
  failure: FailureInfo | null,
  where: { dir: string; lab: string; scenario: string; seed: number },
): Promise<{ jsonl: string; html: string | null }> {
  const paths = tracePaths(where.dir, where.lab, where.scenario, where.seed);
  mkdirSync(paths.folder, { recursive: true });
  let jsonl = sim.trace.toJsonl();
  if (failure !== null) {
    const f = sim.failure;
    const line = {
      k: "failure",
      i: f?.eventIndex ?? failure.eventIndex ?? sim.trace.count - 1,
      t: f?.timeMs ?? failure.timeMs ?? sim.now(),
      rule: failure.rule,
      message: failure.message,
      section: failure.section,
      node: f?.node ?? "",
    };
    jsonl += JSON.stringify(line) + "\n";
  }
  writeFileSync(paths.jsonl, jsonl);
  const render = await timelineRenderer();
  if (render === null) return { jsonl: paths.jsonl, html: null };
  try {
    writeFileSync(paths.html, render(jsonl, { title: `${where.lab} · ${where.scenario} · seed ${where.seed}` }));
    return { jsonl: paths.jsonl, html: paths.html };
  } catch {
    return { jsonl: paths.jsonl, html: null };
  }
}
