// Every ```ts block in lessons/*.md must type-check against the real code, so a
// lesson can never teach an API that does not exist. Snippets are written as if
// they lived in labs/ (imports like "./given/state.ts"), next to the student's files.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

export function extractTsBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (/^```(ts|typescript)\s*$/.test(lines[i])) {
      const start = i + 1;
      let j = start;
      while (j < lines.length && !/^```\s*$/.test(lines[j])) j++;
      blocks.push({ line: start + 1, code: lines.slice(start, j).join("\n") });
      i = j;
    }
  }
  return blocks;
}

/** Type-checks snippets; returns tsc's complaints, with snippet files named after their lesson and line. */
function typecheck(snippets: { name: string; code: string }[]): string {
  const dir = mkdtempSync(join(tmpdir(), "lesson-snippets-"));
  try {
    mkdirSync(join(dir, "labs"));
    symlinkSync(join(root, "labs", "given"), join(dir, "labs", "given"));
    for (const d of ["harness", "solutions", "node_modules"]) symlinkSync(join(root, d), join(dir, d));
    const base = JSON.parse(readFileSync(join(root, "tsconfig.json"), "utf8")) as { compilerOptions: object };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: base.compilerOptions, include: ["labs/*.ts"] }));
    for (const s of snippets) writeFileSync(join(dir, "labs", `${s.name}.ts`), s.code + "\nexport {};\n");
    try {
      execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", dir], { encoding: "utf8", stdio: "pipe" });
      return "";
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      return `${e.stdout ?? ""}${e.stderr ?? ""}`.trim() || "tsc failed";
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("lesson code snippets", () => {
  it("every ```ts block in lessons/ type-checks against the real code", () => {
    const lessons = readdirSync(join(root, "lessons")).filter((f) => f.endsWith(".md")).sort();
    const snippets = lessons.flatMap((f) =>
      extractTsBlocks(readFileSync(join(root, "lessons", f), "utf8")).map((b) => ({ name: `${f.replace(/\W/g, "_")}_line${b.line}`, code: b.code })),
    );
    expect(snippets.length).toBeGreaterThan(0);
    expect(typecheck(snippets)).toBe("");
  });

  it("the check bites: a snippet calling an API that does not exist fails", () => {
    const out = typecheck([{ name: "bad", code: 'import type { RaftState } from "./given/state.ts";\nexport function f(s: RaftState) { s.becomeKing(); }' }]);
    expect(out).toMatch(/becomeKing/);
  });
});
