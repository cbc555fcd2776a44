// The class outputs: JSON (our schema), JUnit XML, Gradescope results.json.
// Schemas: grader/schemas/*.json; grader/test/formats.test.ts validates each.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { replayCommand } from "../run/grade.ts";
import type { GradeResult, ScenarioResult, SeedResult } from "./model.ts";
import { coverageText, failureText, firstBadSeed } from "./console.ts";

type ImplOpts = Parameters<typeof replayCommand>[0];

function implOpts(r: GradeResult): ImplOpts {
  return { impl: { solution: r.impl === "solution", useReference: r.useReference as ImplOpts["impl"]["useReference"] }, keepFaults: r.keepFaults };
}

// ------------------------------------------------------------------- JSON

export interface JsonSeed {
  seed: number;
  passed: boolean;
  virtualMs: number;
  wallMs: number;
  traceHash: string;
  failure: null | { rule: string; section: string; message: string; replay: string };
}

export interface JsonReport {
  lab: string;
  impl: "student" | "solution";
  passed: boolean;
  score: { core: [number, number]; extra: [number, number] };
  /** coverageGap: only present when every seed passed but a required case was never reached. */
  scenarios: { name: string; tags: string[]; passed: boolean; seeds: JsonSeed[]; coverageGap?: string }[];
  wallMs: number;
}

export function toJsonReport(r: GradeResult): JsonReport {
  const opts = implOpts(r);
  const seed = (s: ScenarioResult, x: SeedResult): JsonSeed => ({
    seed: x.seed,
    passed: x.passed,
    virtualMs: x.virtualMs,
    wallMs: x.wallMs,
    traceHash: x.traceHash,
    failure: x.failure === null ? null : { rule: x.failure.rule, section: x.failure.section, message: x.failure.message, replay: replayCommand(opts, s, x.seed) },
  });
  return {
    lab: r.lab,
    impl: r.impl,
    passed: r.passed,
    score: r.score,
    scenarios: r.scenarios.map((s) => ({
      name: s.name,
      tags: s.tags,
      passed: s.passed,
      seeds: s.seeds.map((x) => seed(s, x)),
      ...(s.coverageGap !== null ? { coverageGap: s.coverageGap } : {}),
    })),
    wallMs: r.wallMs,
  };
}

// ------------------------------------------------------------------ JUnit

function xmlEscape(text: string): string {
  // XML 1.0 forbids most control characters even as references: drop them.
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function toJunitXml(r: GradeResult): string {
  const opts = implOpts(r);
  const byLab = new Map<string, ScenarioResult[]>();
  for (const s of r.scenarios) byLab.set(s.lab, [...(byLab.get(s.lab) ?? []), s]);
  const suites: string[] = [];
  for (const [lab, scenarios] of byLab) {
    const failures = scenarios.filter((s) => !s.passed).length;
    const time = scenarios.reduce((a, s) => a + s.wallMs, 0);
    const cases = scenarios.map((s) => {
      const kind = s.tags.includes("core") ? "core" : "extra";
      const passedSeeds = s.seeds.filter((x) => x.passed).length;
      const head = `    <testcase name="${xmlEscape(s.name)}" classname="${xmlEscape(`${lab}.${kind}`)}" time="${seconds(s.wallMs)}" file="${xmlEscape(s.source.replace(/:\d+$/, ""))}">`;
      const out = `      <system-out>${xmlEscape(`${kind}; ${passedSeeds}/${s.seeds.length} seeds passed; seeds: ${s.seeds.map((x) => `${x.seed}${x.passed ? "" : "✗"}`).join(" ")}`)}</system-out>`;
      if (s.passed) return `${head}\n${out}\n    </testcase>`;
      const bad = firstBadSeed(s);
      if (bad === undefined || bad.failure === null) {
        const gap = `coverage: every seed passed, but ${s.coverageGap ?? "the scenario failed"}`;
        return `${head}\n      <failure message="${xmlEscape(gap)}" type="coverage">${xmlEscape(gap)}</failure>\n${out}\n    </testcase>`;
      }
      const f = bad.failure;
      const replay = replayCommand(opts, s, bad.seed);
      const message = `${f.rule}${f.section !== "" ? ` (${f.section})` : ""}: ${f.message} [seed ${bad.seed}; replay: ${replay}]`;
      const body = failureText(s, bad, opts, { color: false });
      return `${head}\n      <failure message="${xmlEscape(message)}" type="${xmlEscape(f.rule)}">${xmlEscape(body)}</failure>\n${out}\n    </testcase>`;
    });
    suites.push(
      `  <testsuite name="${xmlEscape(lab)}" tests="${scenarios.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(time)}">\n${cases.join("\n")}\n  </testsuite>`,
    );
  }
  const failures = r.scenarios.filter((s) => !s.passed).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlEscape(`grade ${r.lab} (${r.impl})`)}" tests="${r.scenarios.length}" failures="${failures}" errors="0" time="${seconds(r.wallMs)}">\n${suites.join("\n")}\n</testsuites>\n`;
}

// ------------------------------------------------------------- Gradescope

export interface GradescopeTest {
  name: string;
  number: string;
  score: number;
  max_score: number;
  status: "passed" | "failed";
  output: string;
  tags: string[];
  visibility: "visible" | "hidden" | "after_due_date" | "after_published";
}

export interface GradescopeResults {
  score: number;
  execution_time: number;
  output: string;
  visibility: "visible";
  tests: GradescopeTest[];
}

export function toGradescope(r: GradeResult): GradescopeResults {
  const opts = implOpts(r);
  const tests = r.scenarios.map((s, i): GradescopeTest => {
    const passedSeeds = s.seeds.filter((x) => x.passed).length;
    let output = `${passedSeeds}/${s.seeds.length} seeds passed.`;
    if (!s.passed) {
      const bad = firstBadSeed(s);
      output += `\n\n${bad === undefined ? coverageText(s, { color: false }) : failureText(s, bad, opts, { color: false })}`;
    }
    return {
      name: `${s.lab}: ${s.name}`,
      number: `${s.lab.replace(/^lab/, "")}.${i + 1}`,
      score: s.passed ? s.points : 0,
      max_score: s.points,
      status: s.passed ? "passed" : "failed",
      output,
      tags: s.tags,
      visibility: s.visibility as GradescopeTest["visibility"],
    };
  });
  const score = tests.reduce((a, t) => a + t.score, 0);
  const { core, extra } = r.score;
  return {
    score,
    execution_time: Math.round(r.wallMs / 1000),
    output: `core ${core[0]}/${core[1]}, extra ${extra[0]}/${extra[1]}. ${r.nextStep}`,
    visibility: "visible",
    tests,
  };
}

export function writeOutput(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

export function writeReports(r: GradeResult, files: { json: string | null; junit: string | null; gradescope: string | null }): string[] {
  const written: string[] = [];
  if (files.json !== null) {
    writeOutput(files.json, JSON.stringify(toJsonReport(r), null, 2) + "\n");
    written.push(files.json);
  }
  if (files.junit !== null) {
    writeOutput(files.junit, toJunitXml(r));
    written.push(files.junit);
  }
  if (files.gradescope !== null) {
    writeOutput(files.gradescope, JSON.stringify(toGradescope(r), null, 2) + "\n");
    written.push(files.gradescope);
  }
  return written;
}
