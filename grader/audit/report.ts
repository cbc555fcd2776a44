// What the audit prints (the kill matrix) and writes (--json).
import type { Json } from "../../harness/types.ts";
import type { AuditResult, CleanResult, MutantResult } from "./engine.ts";
import { MUTANTS, type Mutant } from "./mutants.ts";

/** Scenario names are sentences; the matrix shows their start. */
const SCENARIO_WIDTH = 64;

export function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

const ID_WIDTH = Math.max(...MUTANTS.map((m) => m.id.length));

export function header(mutants: readonly Mutant[], labs: readonly string[], scenarios: number, workers: number): string {
  return `Mutation audit: ${mutants.length} mutant${mutants.length === 1 ? "" : "s"} against ${scenarios} scenarios of ${labs.join(", ") || "no lab"} (${workers} worker${workers === 1 ? "" : "s"})`;
}

export function cleanLine(c: CleanResult): string {
  if (c.passed) return `clean reference: passes all ${c.scenarios} scenarios (${c.runs} runs) in ${fmtMs(c.wallMs)}`;
  const lines = c.failures.slice(0, 10).map((f) => `    ${f.lab} "${f.scenario}" seed ${f.seed}: ${f.rule}: ${clip(f.message, 160)}`);
  const more = c.failures.length > 10 ? [`    ... and ${c.failures.length - 10} more`] : [];
  return [
    `clean reference: FAILS ${c.failures.length} of ${c.runs} runs (${fmtMs(c.wallMs)}). A scenario the reference fails cannot judge a mutant; those seeds are left out of the hunt. Fix these first:`,
    ...lines,
    ...more,
  ].join("\n");
}

export function matrixHeader(): string {
  return `  ${"mutant".padEnd(ID_WIDTH)}  lab  verdict   ${"killed by: lab · scenario".padEnd(SCENARIO_WIDTH + 7)}  ${"seed".padStart(10)}  rule                          runs     time`;
}

export function mutantLine(r: MutantResult): string {
  const m = r.mutant;
  const id = m.id.padEnd(ID_WIDTH);
  const lab = String(m.lab).padStart(3);
  switch (r.status) {
    case "killed": {
      const k = r.killedBy!;
      const where = `${k.lab} · ${clip(k.scenario, SCENARIO_WIDTH)}`.padEnd(SCENARIO_WIDTH + 7);
      const notes = [...(m.extraFeature ? ["extra feature: hunted by extra scenarios"] : []), ...(k.lab !== `lab${m.lab}` ? [`missed by lab ${m.lab}'s suite`] : [])];
      const later = notes.length > 0 ? `  (${notes.join("; ")})` : "";
      return `  ${id}  ${lab}  killed    ${where}  ${String(k.seed).padStart(10)}  ${clip(k.rule, 28).padEnd(28)}  ${String(r.runs).padStart(5)}  ${fmtMs(r.wallMs).padStart(7)}${later}`;
    }
    case "survived":
      return `  ${id}  ${lab}  SURVIVED  no ${m.extraFeature ? "extra" : "core"} scenario failed in ${r.planned} runs (${fmtMs(r.wallMs)}): ${m.description}`;
    case "no-suite":
      return `  ${id}  ${lab}  no suite  lab ${m.lab} has no scenarios yet: ${m.description}`;
    case "error":
      return `  ${id}  ${lab}  ERROR     the audit could not run it: ${r.error ?? "unknown error"}`;
  }
}

export function summary(r: AuditResult, opts: { json: string | null }): string {
  const count = (s: MutantResult["status"]) => r.mutants.filter((m) => m.status === s).length;
  const withSuite = r.mutants.length - count("no-suite");
  const lines = [
    "",
    `killed ${count("killed")}/${withSuite} mutants with a suite · survived ${count("survived")} · no suite yet ${count("no-suite")}${count("error") > 0 ? ` · errors ${count("error")}` : ""} · clean ${r.clean === null ? "not run" : r.clean.passed ? "passed" : "FAILED"} · wall ${fmtMs(r.wallMs)}`,
  ];
  const survivors = r.mutants.filter((m) => m.status === "survived");
  if (survivors.length > 0) {
    lines.push("Each survivor is a missing scenario: write one that this bug fails and the reference passes (lessons/instructors.md, \"Reading the audit\"), then re-run with --mutant ID:");
    for (const s of survivors) lines.push(`  ${s.mutant.id} (lab ${s.mutant.lab}): ${s.mutant.description}`);
  }
  const single = r.mutants.length === 1 ? r.mutants[0] : null;
  if (single?.killedBy != null) lines.push(`\n${single.mutant.id} was caught by ${single.killedBy.rule} at t=${single.killedBy.virtualMs} ms: ${single.killedBy.message}`);
  if (single?.killedBy != null && single.killedBy.trace !== null) lines.push(`trace: ${single.killedBy.timeline ?? single.killedBy.trace}`);
  if (opts.json !== null) lines.push(`wrote ${opts.json}`);
  return lines.join("\n");
}

/** The --json document (grader/audit/audit.schema.json). */
export function auditJson(r: AuditResult): Json {
  return {
    labs: r.labs,
    passed: r.passed,
    wallMs: r.wallMs,
    clean:
      r.clean === null
        ? null
        : {
            passed: r.clean.passed,
            wallMs: r.clean.wallMs,
            scenarios: r.clean.scenarios,
            runs: r.clean.runs,
            failures: r.clean.failures.map((f) => ({ lab: f.lab, scenario: f.scenario, seed: f.seed, rule: f.rule, message: f.message })),
          },
    mutants: r.mutants.map((m) => ({
      id: m.mutant.id,
      description: m.mutant.description,
      lab: m.mutant.lab,
      extraFeature: m.mutant.extraFeature,
      status: m.status,
      killed: m.status === "killed",
      killedBy:
        m.killedBy === null
          ? null
          : {
              scenario: m.killedBy.scenario,
              seed: m.killedBy.seed,
              rule: m.killedBy.rule,
              lab: m.killedBy.lab,
              virtualMs: m.killedBy.virtualMs,
              message: m.killedBy.message,
              trace: m.killedBy.trace,
              timeline: m.killedBy.timeline,
            },
      runs: m.runs,
      planned: m.planned,
      wallMs: m.wallMs,
      error: m.error,
    })),
  };
}
