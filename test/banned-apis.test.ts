// Node code must be a deterministic handler over Env (DESIGN.md, "The node model"):
// no clock, no randomness, no timers, no process, no await, no I/O of its own.
// This check runs over every node module in labs/ and solutions/, so a student
// meets the rule on day one, with the file and line that broke it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

const BANNED: { pattern: RegExp; why: string }[] = [
  { pattern: /\bMath\.random\b/, why: "use env.random(): it is seeded, so a failure replays" },
  { pattern: /\bDate\b/, why: "use env.now(): virtual time, the node's own clock" },
  { pattern: /\bperformance\.now\b/, why: "use env.now()" },
  { pattern: /\bset(Timeout|Interval|Immediate)\s*\(/, why: "use env.setTimer(ms, name)" },
  { pattern: /\bprocess\b/, why: "a node has no process: everything goes through env" },
  { pattern: /\bawait\b|\basync\b/, why: "handlers are synchronous: do the work now, or set a timer" },
  { pattern: /from\s+["']node:|require\(/, why: "no I/O of its own: storage is env.storage, the network is env.send" },
];

function walk(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (p.endsWith(".ts") && !p.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

/** Blanks out comments and string contents, keeping line numbers, so prose about Date is fine. */
export function codeOnly(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " "))
    .replace(/\/\/[^\n]*/g, "")
    .replace(/(["'`])(?:\\.|(?!\1)[^\\\n])*\1/g, (m) => m[0] + " ".repeat(m.length - 2) + m[0]);
}

export function findBanned(file: string, text: string): string[] {
  const problems: string[] = [];
  codeOnly(text)
    .split("\n")
    .forEach((line, i) => {
      for (const { pattern, why } of BANNED) {
        if (pattern.test(line)) problems.push(`${file}:${i + 1}: ${pattern.source.replace(/\\b/g, "")} is not allowed in node code: ${why}`);
      }
    });
  return problems;
}

describe("node code uses only its Env", () => {
  it("the checker catches a banned call (and ignores the same words in comments and strings)", () => {
    expect(findBanned("x.ts", "const t = Date.now();")).toHaveLength(1);
    expect(findBanned("x.ts", "// Date.now() is banned\nconst s = 'Math.random';")).toHaveLength(0);
    expect(findBanned("x.ts", "setTimeout(() => {}, 5)")[0]).toMatch(/x\.ts:1: .*env\.setTimer/);
  });

  for (const dir of ["labs", "solutions"]) {
    it(`${dir}/ has no banned APIs`, () => {
      let files: string[] = [];
      try {
        files = walk(join(root, dir));
      } catch {
        files = [];
      }
      const problems = files
        .map((f) => relative(root, f))
        .flatMap((f) => findBanned(f, readFileSync(join(root, f), "utf8")));
      expect(problems, problems.join("\n")).toEqual([]);
    });
  }
});
