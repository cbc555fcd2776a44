import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { launchChromium, watchPage } from "../timeline/browser.ts";
import { buildBook, lessonOrder, type BookResult } from "./build.ts";
import { highlight } from "./highlight.ts";
import { findRefs } from "./references.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const OUT_DIR = join(tmpdir(), "raft-workbook-test-output", "book");

function sampleLessons(): string {
  const dir = mkdtempSync(join(tmpdir(), "book-lessons-"));
  writeFileSync(
    join(dir, "01-election.md"),
    `# Lab 1 — Leader election

Raft elects one leader per term (§5.2). Keep Figure 2 open; PreVote is thesis §9.6, leader stickiness is in [thesis §4.2.2, §4.2.3].

## The vote

A voter refuses a stale candidate (§5.4.1). Next: [replication](02-replication.md#the-figure-8-rule), or [the top](#the-vote).
A link to a file that is not there: [missing](../labs/nowhere.ts). And \`§5.3 in code\` stays code.

\`\`\`ts
// grant at most one vote per term
export function handleRequestVote(s: RaftState, msg: RequestVote): boolean {
  const ok = msg.term >= s.currentTerm && s.votedFor === null; /* Figure 2 */
  return ok && \`\${msg.candidateId}\`.length > 0 && 3 > 2;
}
\`\`\`

\`\`\`sh
npm run grade lab1 -- --seed 42   # one seed
\`\`\`
`,
  );
  writeFileSync(join(dir, "02-replication.md"), "# Lab 2 — Log replication\n\nAppendEntries (§5.3).\n\n## The Figure 8 rule\n\nOnly current-term entries are committed by counting (§5.4.2, Figure 8).\n");
  writeFileSync(join(dir, "10-extra.md"), "# Lab 10 — Sorted after 2\n\nNumbers sort as numbers.\n");
  writeFileSync(join(dir, "instructors.md"), "# For instructors\n\nHow to add a scenario. See [lab 1](01-election.md).\n");
  writeFileSync(join(dir, "README.md"), "# About the lessons\n\nRead them in order.\n");
  return dir;
}

describe("lesson book", () => {
  test("orders numbered lessons by number, then the others by name", () => {
    expect(lessonOrder(["instructors.md", "10-x.md", "02-b.md", "01-a.md", "README.md", "notes.txt", "glossary.md"])).toEqual(["01-a.md", "02-b.md", "10-x.md", "glossary.md", "instructors.md"]);
  });

  test("recognises paper, figure and thesis citations", () => {
    const refs = (s: string) => findRefs(s).map((r) => `${r.source}:${r.key}`);
    expect(refs("see §5.4.1, Figure 8 and thesis §9.6.")).toEqual(["paper:5.4.1", "paper:fig-8", "thesis:9.6"]);
    expect(refs("(thesis 4.2.1, §4.2.2 and §4.2.3); then §5.2.")).toEqual(["thesis:4.2.1", "thesis:4.2.2", "thesis:4.2.3", "paper:5.2"]);
    expect(refs("[§6; thesis §4]")).toEqual(["paper:6", "thesis:4"]);
  });

  test("highlights TypeScript keywords, strings, comments and template parts", () => {
    const html = highlight('const x: number = 1; // one\nlet s = `a${b}c` + "q";', "ts");
    expect(html).toContain('<span class="hl-keyword">const</span>');
    expect(html).toContain('<span class="hl-type">number</span>');
    expect(html).toContain('<span class="hl-comment">// one</span>');
    expect(html).toContain('<span class="hl-string">&quot;q&quot;</span>');
    expect(html).toContain('<span class="hl-string">`a${</span>b<span class="hl-string">}</span>');
    expect(highlight("a < b", "text")).toBe("a &lt; b");
  });

  test("builds a contents page, lesson pages, grade boxes and a references page", () => {
    const out = join(OUT_DIR, "sample");
    const result = buildBook({ lessonsDir: sampleLessons(), outDir: out });
    expect(result.pages.map((p) => p.file)).toEqual(["01-election.html", "02-replication.html", "10-extra.html", "instructors.html"]);
    const lesson = readFileSync(join(out, "01-election.html"), "utf8");
    expect(lesson).toContain('<aside class="grade" data-lab="1">');
    expect(lesson).toContain("npm run grade lab1");
    expect(lesson).toContain('href="references.html#paper-5-4-1"');
    expect(lesson).toContain('href="references.html#thesis-4-2-3"');
    expect(lesson).toContain('href="02-replication.html#the-figure-8-rule"');
    expect(lesson).toContain("<code>§5.3 in code</code>");
    expect(lesson).toContain('<span class="hl-keyword">export</span>');
    expect(lesson).toContain('class="missing-link"');
    expect(result.warnings.some((w) => w.includes("../labs/nowhere.ts"))).toBe(true);
    expect(readFileSync(join(out, "instructors.html"), "utf8")).not.toContain('class="grade"');
    const refs = readFileSync(join(out, "references.html"), "utf8");
    expect(refs).toContain('id="paper-fig-8"');
    expect(refs).toContain('href="01-election.html#the-vote"');
    expect(readFileSync(join(out, "index.html"), "utf8")).toContain("Read them in order.");
  });

  test("an empty or missing lessons folder still builds", () => {
    const empty = mkdtempSync(join(tmpdir(), "book-empty-"));
    const result = buildBook({ lessonsDir: empty, outDir: join(OUT_DIR, "empty") });
    expect(result.pages).toEqual([]);
    expect(existsSync(join(OUT_DIR, "empty", "index.html"))).toBe(true);
    expect(buildBook({ lessonsDir: join(empty, "nope"), outDir: join(OUT_DIR, "none") }).warnings[0]).toContain("no lessons folder");
  });

  test("refuses to empty a folder it did not make", () => {
    const dir = mkdtempSync(join(tmpdir(), "book-foreign-"));
    writeFileSync(join(dir, "precious.txt"), "keep me");
    expect(() => buildBook({ lessonsDir: dir, outDir: dir })).toThrow(/not empty/);
    expect(existsSync(join(dir, "precious.txt"))).toBe(true);
  });
});

describe("lesson book in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(OUT_DIR, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens every page, fails on console errors or network use, and follows every link that stays on disk. */
  async function crawl(result: BookResult, shotName: string): Promise<{ pages: number; links: number }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const seen = watchPage(page);
    const files = ["index.html", "references.html", ...result.pages.map((p) => p.file)];
    const idsOf = new Map<string, Set<string>>();
    const broken: string[] = [];
    let links = 0;
    const pending: { from: string; url: URL }[] = [];
    for (const file of files) {
      await page.goto(pathToFileURL(join(result.outDir, file)).href);
      const title = await page.title();
      expect(title, file).toContain("Raft Workbook");
      idsOf.set(file, new Set(await page.$$eval("[id]", (els) => els.map((e) => e.id))));
      const hrefs = await page.$$eval("a[href]", (as) => as.map((a) => (a as unknown as { href: string }).href));
      for (const href of hrefs) {
        const url = new URL(href);
        if (url.protocol !== "file:") continue;
        links++;
        pending.push({ from: file, url });
      }
      if (file === result.pages[0]?.file) await page.screenshot({ path: join(OUT_DIR, `${shotName}-lesson.png`), fullPage: false });
      if (file === "index.html") await page.screenshot({ path: join(OUT_DIR, `${shotName}-contents.png`), fullPage: false });
    }
    for (const { from, url } of pending) {
      const path = decodeURIComponent(url.pathname);
      if (!existsSync(path)) {
        broken.push(`${from} → ${path}`);
        continue;
      }
      const hash = decodeURIComponent(url.hash.slice(1));
      if (hash === "" || !path.startsWith(result.outDir)) continue;
      const target = path.slice(result.outDir.length + 1);
      if (!idsOf.get(target)?.has(hash)) broken.push(`${from} → ${target}#${hash} (no such anchor)`);
    }
    expect(broken).toEqual([]);
    expect(seen.errors).toEqual([]);
    expect(seen.requests).toEqual([]);
    await page.close();
    return { pages: files.length, links };
  }

  test("every page of a sample book loads, with no broken internal links", async () => {
    const result = buildBook({ lessonsDir: sampleLessons(), outDir: join(OUT_DIR, "sample-browser") });
    const { pages, links } = await crawl(result, "sample");
    expect(pages).toBe(6);
    expect(links).toBeGreaterThan(20);
  });

  test("the real lessons/ build, load, and link only to what exists", async () => {
    const result = buildBook({ lessonsDir: join(REPO, "lessons"), outDir: join(OUT_DIR, "real"), repoRoot: REPO });
    const { pages, links } = await crawl(result, "real");
    console.log(`book from lessons/: ${result.pages.length} lessons, ${pages} pages, ${links} internal links checked, ${result.citations.length} citations; screenshots in ${OUT_DIR}`);
    for (const w of result.warnings) console.log(`  book warning: ${w}`);
  });
});
