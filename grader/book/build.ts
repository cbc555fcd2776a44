// Builds the lesson book: lessons/*.md rendered with markdown-it into a small
// static site (dist/book by default) that works from disk with no network.
//
//   index.html        contents, labs in order (01-election ... 07-chaos), then other lessons
//   NN-name.html      one page per lesson: highlighted code, paper citations linked,
//                     the lab's grade command in a box, prev/next links
//   references.html   every paper/thesis section the lessons cite: what it is about,
//                     and which lessons cite it (the book never links off-site for these)
//   book.css
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import MarkdownIt from "markdown-it";
import type { Env, MarkdownIt as Markdown, StateCore, Token } from "markdown-it";
import { escapeHtml, highlight } from "./highlight.ts";
import { findRefs, KNOWN_REFS, refAnchor, type RefEntry, type RefSource } from "./references.ts";

export interface BookOptions {
  lessonsDir: string;
  outDir: string;
  /** Where relative links to repository files (../labs/election.ts) resolve; default: the lessons dir's parent. */
  repoRoot?: string;
}

export interface BookPage {
  /** Output file name, e.g. "01-election.html". */
  file: string;
  /** The markdown file it came from. */
  source: string;
  title: string;
  /** The lab number for numbered lessons (01-election.md → 1), else null. */
  lab: number | null;
  summary: string;
}

export interface Citation {
  source: RefSource;
  key: string;
  page: string;
  /** The id of the heading the citation sits under ("" before the first heading). */
  anchor: string;
  headingText: string;
}

export interface BookResult {
  outDir: string;
  pages: BookPage[];
  citations: Citation[];
  /** Problems a lesson author should fix (links to files that do not exist, ...). */
  warnings: string[];
}

const MARKER = ".raft-workbook-book";
const INTRO_FILES = new Set(["readme.md", "index.md"]);

/** Lesson files in book order: numbered lessons by number, then the others by name. */
export function lessonOrder(files: readonly string[]): string[] {
  const md = files.filter((f) => f.toLowerCase().endsWith(".md") && !INTRO_FILES.has(f.toLowerCase()));
  const num = (f: string) => {
    const m = /^(\d+)[-_.]/.exec(f);
    return m === null ? null : Number(m[1]);
  };
  const numbered = md.filter((f) => num(f) !== null).sort((a, b) => num(a)! - num(b)! || (a < b ? -1 : 1));
  const others = md.filter((f) => num(f) === null).sort((a, b) => a.localeCompare(b));
  return [...numbered, ...others];
}

export function labOf(file: string): number | null {
  const m = /^(\d+)[-_.]/.exec(file);
  return m === null ? null : Number(m[1]);
}

function slugify(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[`*_~]/g, "")
    .replace(/§/g, "s")
    .replace(/[^a-z0-9\s-]/g, "")
    .trim()
    .replace(/\s+/g, "-")
    .replace(/-+/g, "-");
  return s === "" ? "section" : s;
}

/** The plain text of an inline token (markup stripped). */
function inlineText(tok: Token | undefined): string {
  if (tok === undefined) return "";
  if (tok.children === null) return tok.content;
  return tok.children.map((c) => (c.type === "text" || c.type === "code_inline" ? c.content : c.type === "softbreak" ? " " : "")).join("");
}

interface RenderEnv extends Env {
  page: string;
  lessonsDir: string;
  outDir: string;
  repoRoot: string;
  lessonFiles: ReadonlySet<string>;
  citations: Citation[];
  warnings: string[];
  headings: { level: number; id: string; text: string }[];
}

function createRenderer(): Markdown {
  const md = new MarkdownIt({
    html: false,
    linkify: false,
    typographer: false,
    highlight: (code, lang) => highlight(code, lang),
  });
  md.core.ruler.push("book_headings", headingIds);
  md.core.ruler.push("book_refs", linkCitations);
  md.core.ruler.push("book_links", rewriteLinks);
  // Code blocks say which language they are in.
  const fence = md.renderer.rules.fence!;
  md.renderer.rules.fence = (tokens, idx, options, env, self) => {
    const lang = tokens[idx].info.trim().split(/\s+/)[0] ?? "";
    const html = fence(tokens, idx, options, env, self);
    return lang === "" ? html : html.replace(/^<pre>/, `<pre data-lang="${escapeHtml(lang)}">`);
  };
  return md;
}

function envOf(state: StateCore): RenderEnv {
  return state.env as unknown as RenderEnv;
}

/** An attribute as a string (markdown-it's types allow numbers too). */
function attr(tok: Token, name: string): string {
  const v = tok.attrGet(name);
  return v === null ? "" : String(v);
}

/** Gives every heading a unique id and records the outline (for the page's sidebar). */
function headingIds(state: StateCore): void {
  const env = envOf(state);
  const used = new Set<string>();
  const tokens = state.tokens;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].type !== "heading_open") continue;
    const text = inlineText(tokens[i + 1]);
    let id = slugify(text);
    for (let n = 2; used.has(id); n++) id = `${slugify(text)}-${n}`;
    used.add(id);
    tokens[i].attrSet("id", id);
    env.headings.push({ level: Number(tokens[i].tag.slice(1)), id, text });
  }
}

/** Turns "§5.4.1", "Figure 8", "thesis §9.6" in text (not in code, not inside links) into links to the references page. */
function linkCitations(state: StateCore): void {
  const env = envOf(state);
  let anchor = "";
  let headingText = "";
  for (let i = 0; i < state.tokens.length; i++) {
    const block = state.tokens[i];
    if (block.type === "heading_open") {
      anchor = attr(block, "id");
      headingText = inlineText(state.tokens[i + 1]);
    }
    if (block.type !== "inline" || block.children === null) continue;
    const out: Token[] = [];
    let linkDepth = 0;
    for (const tok of block.children) {
      if (tok.type === "link_open") linkDepth++;
      if (tok.type === "link_close") linkDepth--;
      if (tok.type !== "text" || linkDepth > 0) {
        out.push(tok);
        continue;
      }
      const found = findRefs(tok.content);
      if (found.length === 0) {
        out.push(tok);
        continue;
      }
      let at = 0;
      for (const ref of found) {
        const source = ref.source;
        if (ref.start > at) out.push(textToken(state, tok.content.slice(at, ref.start)));
        const open = new state.Token("link_open", "a", 1);
        open.attrSet("href", `references.html#${refAnchor(source, ref.key)}`);
        open.attrSet("class", "ref");
        open.attrSet("title", refTitle(source, ref.key));
        out.push(open, textToken(state, tok.content.slice(ref.start, ref.end)), new state.Token("link_close", "a", -1));
        env.citations.push({ source, key: ref.key, page: env.page, anchor, headingText });
        at = ref.end;
      }
      if (at < tok.content.length) out.push(textToken(state, tok.content.slice(at)));
    }
    block.children = out;
  }
}

function textToken(state: StateCore, content: string): Token {
  const t = new state.Token("text", "", 0);
  t.content = content;
  return t;
}

const KNOWN_BY_ID = new Map(KNOWN_REFS.map((r) => [refAnchor(r.source, r.key), r]));

function refTitle(source: RefSource, key: string): string {
  const known = KNOWN_BY_ID.get(refAnchor(source, key));
  const where = source === "thesis" ? "Ongaro's thesis" : "the Raft paper";
  return known === undefined ? `${where}, ${labelOf(source, key)}` : `${where}: ${known.title}`;
}

function labelOf(source: RefSource, key: string): string {
  if (key.startsWith("fig-")) return `Figure ${key.slice(4)}`;
  return source === "thesis" ? `thesis §${key}` : `§${key}`;
}

/**
 * Links between lessons (02-replication.md#x) go to their pages; links to
 * repository files are re-aimed from the book's folder; links to files that do
 * not exist become plain text and a warning, so the book has no broken links.
 */
function rewriteLinks(state: StateCore): void {
  const env = envOf(state);
  for (const block of state.tokens) {
    if (block.type !== "inline" || block.children === null) continue;
    const opened: Token[] = [];
    for (const tok of block.children) {
      if (tok.type === "link_open") {
        opened.push(tok);
        const href = attr(tok, "href");
        if (/^[a-z][a-z0-9+.-]*:/i.test(href)) {
          if (/^https?:/i.test(href)) tok.attrSet("class", "external");
          continue;
        }
        if (href.startsWith("#") || attr(tok, "class") === "ref") continue;
        const hashAt = href.indexOf("#");
        const path = decodeURIComponent(hashAt === -1 ? href : href.slice(0, hashAt));
        const hash = hashAt === -1 ? "" : href.slice(hashAt);
        const target = resolve(env.lessonsDir, path);
        if (dirname(target) === resolve(env.lessonsDir) && env.lessonFiles.has(basename(target))) {
          tok.attrSet("href", pageFile(basename(target)) + hash);
        } else if (existsSync(target)) {
          tok.attrSet("href", relative(env.outDir, target).split("\\").join("/") + hash);
          tok.attrSet("class", "repo-file");
        } else {
          env.warnings.push(`${env.page}: link to ${href}, which does not exist (shown as plain text)`);
          tok.tag = "span";
          tok.attrs = [
            ["class", "missing-link"],
            ["title", `${href} does not exist yet`],
          ];
          tok.markup = "missing";
        }
      } else if (tok.type === "link_close") {
        const open = opened.pop();
        if (open !== undefined && open.markup === "missing") tok.tag = "span";
      }
    }
  }
}

function pageFile(md: string): string {
  return md.replace(/\.md$/i, ".html");
}

// ------------------------------------------------------------------ pages

interface Rendered {
  page: BookPage;
  html: string;
  headings: RenderEnv["headings"];
}

export function buildBook(opts: BookOptions): BookResult {
  const lessonsDir = resolve(opts.lessonsDir);
  const outDir = resolve(opts.outDir);
  const repoRoot = resolve(opts.repoRoot ?? dirname(lessonsDir));
  prepareOutDir(outDir);
  const all = existsSync(lessonsDir) ? readdirSync(lessonsDir).filter((f) => statSync(join(lessonsDir, f)).isFile()) : [];
  const files = lessonOrder(all);
  const lessonFiles = new Set(files);
  const citations: Citation[] = [];
  const warnings: string[] = [];
  if (!existsSync(lessonsDir)) warnings.push(`no lessons folder at ${lessonsDir}: the book has only its contents and references pages`);
  const md = createRenderer();

  const rendered: Rendered[] = files.map((file) => {
    const env: RenderEnv = { page: pageFile(file), lessonsDir, outDir, repoRoot, lessonFiles, citations, warnings, headings: [] };
    const source = readFileSync(join(lessonsDir, file), "utf8");
    const tokens = md.parse(source, env);
    const h1 = tokens.findIndex((t: Token) => t.type === "heading_open" && t.tag === "h1");
    const title = h1 === -1 ? titleFromFile(file) : inlineText(tokens[h1 + 1]);
    const firstPara = tokens.findIndex((t: Token, i: number) => t.type === "paragraph_open" && i > h1);
    const summary = firstPara === -1 ? "" : clip(inlineText(tokens[firstPara + 1]).replace(/\s+/g, " "), 240);
    const html = md.renderer.render(tokens, md.options, env);
    return { page: { file: pageFile(file), source: join(lessonsDir, file), title, lab: labOf(file), summary }, html, headings: env.headings };
  });

  const pages = rendered.map((r) => r.page);
  const introFile = all.find((f) => INTRO_FILES.has(f.toLowerCase()));
  const intro = introFile === undefined ? "" : md.render(readFileSync(join(lessonsDir, introFile), "utf8"), { page: "index.html", lessonsDir, outDir, repoRoot, lessonFiles, citations: [], warnings, headings: [] } satisfies RenderEnv);

  writeFileSync(join(outDir, "book.css"), readFileSync(new URL("./book.css", import.meta.url), "utf8"));
  writeFileSync(join(outDir, "index.html"), contentsPage(pages, intro));
  rendered.forEach((r, i) => writeFileSync(join(outDir, r.page.file), lessonPage(r, pages, pages[i - 1], pages[i + 1])));
  writeFileSync(join(outDir, "references.html"), referencesPage(pages, citations));
  return { outDir, pages, citations, warnings };
}

/** Empties the output folder, but only one this builder made (or an empty/new one). */
function prepareOutDir(outDir: string): void {
  if (existsSync(outDir)) {
    const entries = readdirSync(outDir);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new Error(`${outDir} is not empty and was not made by the book builder; choose another --out or empty it yourself`);
    }
    rmSync(outDir, { recursive: true, force: true });
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, MARKER), "made by grader/book.ts; the folder is emptied on every build\n");
}

function titleFromFile(file: string): string {
  const base = file.replace(/\.md$/i, "").replace(/^\d+[-_.]/, "");
  return base.charAt(0).toUpperCase() + base.slice(1).replace(/[-_]/g, " ");
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, s.lastIndexOf(" ", n - 1) > n / 2 ? s.lastIndexOf(" ", n - 1) : n - 1) + " …" : s;
}

function shell(opts: { title: string; nav: string; body: string; current: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)} · Raft Workbook</title>
<link rel="stylesheet" href="book.css">
</head>
<body data-page="${escapeHtml(opts.current)}">
<nav class="side" aria-label="Contents">
${opts.nav}
</nav>
<main class="content">
${opts.body}
</main>
</body>
</html>
`;
}

function navHtml(pages: readonly BookPage[], current: string, outline: RenderEnv["headings"] = []): string {
  const item = (p: BookPage) => {
    const here = p.file === current;
    const label = p.lab !== null ? `<span class="num">${p.lab}</span> ${escapeHtml(shortTitle(p.title))}` : escapeHtml(p.title);
    const sub = here
      ? `<ul class="outline">${outline
          .filter((h) => h.level === 2)
          .map((h) => `<li><a href="#${escapeHtml(h.id)}">${escapeHtml(h.text)}</a></li>`)
          .join("")}</ul>`
      : "";
    return `<li${here ? ' class="here"' : ""}><a href="${escapeHtml(p.file)}"${here ? ' aria-current="page"' : ""}>${label}</a>${sub}</li>`;
  };
  const labs = pages.filter((p) => p.lab !== null);
  const others = pages.filter((p) => p.lab === null);
  return `<a class="brand" href="index.html">Raft Workbook</a>
<h2>Labs</h2>
<ol class="toc">${labs.map(item).join("") || '<li class="muted">none yet</li>'}</ol>
${others.length > 0 ? `<h2>More</h2><ul class="toc">${others.map(item).join("")}</ul>` : ""}
<h2>Reference</h2>
<ul class="toc"><li${current === "references.html" ? ' class="here"' : ""}><a href="references.html">Paper sections cited</a></li></ul>`;
}

/** "Lab 1 — Leader election" → "Leader election" for the sidebar, which shows the number itself. */
function shortTitle(title: string): string {
  return title.replace(/^lab\s*\d+\s*[—–:-]\s*/i, "");
}

function gradeBox(lab: number): string {
  return `<aside class="grade" data-lab="${lab}">
<div class="grade-head">Grade this lab</div>
<pre><code>npm run grade lab${lab}</code></pre>
<p>Pass/fail per scenario, the rule that broke with its paper section, a replay command and a timeline. <code>npm run grade lab${lab} -- --solution</code> shows what passing looks like.</p>
</aside>`;
}

function lessonPage(r: Rendered, pages: readonly BookPage[], prev: BookPage | undefined, next: BookPage | undefined): string {
  let body = r.html;
  if (r.page.lab !== null) {
    const box = gradeBox(r.page.lab);
    const at = body.indexOf("</h1>");
    body = at === -1 ? box + body : body.slice(0, at + 5) + "\n" + box + body.slice(at + 5);
  }
  const pager = `<nav class="pager" aria-label="Previous and next">${prev ? `<a class="prev" href="${escapeHtml(prev.file)}">← ${escapeHtml(prev.title)}</a>` : "<span></span>"}${
    next ? `<a class="next" href="${escapeHtml(next.file)}">${escapeHtml(next.title)} →</a>` : "<span></span>"
  }</nav>`;
  return shell({ title: r.page.title, current: r.page.file, nav: navHtml(pages, r.page.file, r.headings), body: `<article>${body}</article>\n${pager}` });
}

function contentsPage(pages: readonly BookPage[], intro: string): string {
  const labs = pages.filter((p) => p.lab !== null);
  const others = pages.filter((p) => p.lab === null);
  const card = (p: BookPage) => `<li class="card">
<a class="card-title" href="${escapeHtml(p.file)}">${p.lab !== null ? `<span class="num">${p.lab}</span>` : ""}${escapeHtml(p.title)}</a>
${p.summary !== "" ? `<p>${escapeHtml(p.summary)}</p>` : ""}
${p.lab !== null ? `<p class="cmd"><code>npm run grade lab${p.lab}</code></p>` : ""}
</li>`;
  const body = `<h1>Raft Workbook</h1>
${intro !== "" ? `<div class="intro">${intro.replace(/<h1[^>]*>.*?<\/h1>/s, "")}</div>` : `<p class="lead">Build Raft in TypeScript, lab by lab, on a deterministic simulator. Each lesson explains one part of the algorithm next to the paper; <code>npm run grade labN</code> shows whether your code keeps Raft's rules, and exactly how and when it broke them.</p>`}
<h2 id="labs">Labs</h2>
${labs.length > 0 ? `<ol class="cards">${labs.map(card).join("")}</ol>` : '<p class="muted">No lessons yet: the lessons folder is empty.</p>'}
${others.length > 0 ? `<h2 id="more">More</h2><ul class="cards">${others.map(card).join("")}</ul>` : ""}
<h2 id="reference">Reference</h2>
<p><a href="references.html">Paper sections cited in the lessons</a>: what each section of the Raft paper and of Ongaro's thesis is about, and which lessons lean on it.</p>`;
  return shell({ title: "Contents", current: "index.html", nav: navHtml(pages, "index.html"), body });
}

function referencesPage(pages: readonly BookPage[], citations: readonly Citation[]): string {
  const titleOf = new Map(pages.map((p) => [p.file, p.title]));
  const cited = new Map<string, Citation[]>();
  for (const c of citations) {
    const id = refAnchor(c.source, c.key);
    if (!cited.has(id)) cited.set(id, []);
    cited.get(id)!.push(c);
  }
  const entries: RefEntry[] = [...KNOWN_REFS];
  for (const c of citations) {
    const id = refAnchor(c.source, c.key);
    if (!KNOWN_BY_ID.has(id) && !entries.some((e) => refAnchor(e.source, e.key) === id)) {
      entries.push({
        source: c.source,
        key: c.key,
        label: labelOf(c.source, c.key),
        title: c.source === "thesis" ? "A section of the thesis" : "A section of the paper",
        about: "Cited by the lessons below; this book has no summary of it yet. Look it up in the document's table of contents.",
      });
    }
  }
  const order = (e: RefEntry) => (e.key.startsWith("fig-") ? [1, Number(e.key.slice(4))] : [0, ...e.key.split(".").map(Number)]);
  const cmp = (a: RefEntry, b: RefEntry) => {
    const x = order(a);
    const y = order(b);
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const d = (x[i] ?? -1) - (y[i] ?? -1);
      if (d !== 0) return d;
    }
    return 0;
  };
  const entryHtml = (e: RefEntry) => {
    const id = refAnchor(e.source, e.key);
    const uses = cited.get(id) ?? [];
    const byPlace = new Map<string, { href: string; text: string; n: number }>();
    for (const u of uses) {
      const href = `${u.page}${u.anchor !== "" ? `#${u.anchor}` : ""}`;
      const place = byPlace.get(href) ?? { href, text: `${titleOf.get(u.page) ?? u.page}${u.headingText !== "" && u.anchor !== "" ? ` › ${u.headingText}` : ""}`, n: 0 };
      place.n++;
      byPlace.set(href, place);
    }
    const usesHtml =
      uses.length === 0
        ? '<p class="uses muted">Not cited by a lesson yet.</p>'
        : `<ul class="uses">${[...byPlace.values()].map((p) => `<li><a href="${escapeHtml(p.href)}">${escapeHtml(p.text)}</a>${p.n > 1 ? ` <span class="muted">(${p.n}×)</span>` : ""}</li>`).join("")}</ul>`;
    return `<section class="ref-entry${uses.length === 0 ? " uncited" : ""}" id="${escapeHtml(id)}">
<h3><span class="ref-label">${escapeHtml(e.label)}</span> ${escapeHtml(e.title)}</h3>
<p>${escapeHtml(e.about)}</p>
${usesHtml}
</section>`;
  };
  const group = (source: RefSource, figures: boolean) =>
    entries
      .filter((e) => e.source === source && e.key.startsWith("fig-") === figures)
      .sort(cmp)
      .map(entryHtml)
      .join("\n");
  const body = `<h1>Paper sections cited</h1>
<p class="lead">The lessons cite two documents. <b>The paper</b>: Diego Ongaro and John Ousterhout, <i>In Search of an Understandable Consensus Algorithm (Extended Version)</i>, 2014, cited as §5.4.1 or Figure 8. <b>The thesis</b>: Diego Ongaro, <i>Consensus: Bridging Theory and Practice</i>, PhD thesis, Stanford University, 2014, cited as thesis §9.6. Each entry says what the section gives a Raft implementer, in our words, and links back to where the lessons use it.</p>
<p class="muted">${cited.size} sections and figures cited, ${citations.length} citations in all.</p>
<h2 id="paper">The paper: sections</h2>
${group("paper", false)}
<h2 id="paper-figures">The paper: figures</h2>
${group("paper", true)}
<h2 id="thesis">The thesis</h2>
${group("thesis", false)}`;
  return shell({ title: "Paper sections cited", current: "references.html", nav: navHtml(pages, "references.html"), body });
}
