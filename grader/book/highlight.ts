// A tiny syntax highlighter for the lessons' code blocks: TypeScript and
// JavaScript (keywords, strings, template literals, comments, numbers, types),
// JSON, and shell (comments, the command word). One left-to-right scan, no
// backtracking, so it cannot hang on odd input; anything it does not know is
// left as plain escaped text.

const TS_KEYWORDS = new Set(
  (
    "abstract as asserts async await break case catch class const continue debugger declare default delete do else enum export extends " +
    "false finally for from function get if implements import in infer instanceof interface is keyof let namespace new null of override " +
    "private protected public readonly return satisfies set static super switch this throw true try type typeof undefined unique var void while with yield"
  ).split(" "),
);
const TS_TYPES = new Set("any bigint boolean never number object string symbol unknown void".split(" "));

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (ch) => (ch === "&" ? "&amp;" : ch === "<" ? "&lt;" : ch === ">" ? "&gt;" : "&quot;"));
}

function span(cls: string, text: string): string {
  return `<span class="hl-${cls}">${escapeHtml(text)}</span>`;
}

/** Highlights code in a language; returns escaped HTML (no wrapper element). */
export function highlight(code: string, lang: string): string {
  const l = lang.trim().toLowerCase();
  if (l === "ts" || l === "typescript" || l === "js" || l === "javascript" || l === "tsx" || l === "mts") return highlightTs(code);
  if (l === "json" || l === "jsonl") return highlightTs(code);
  if (l === "sh" || l === "bash" || l === "shell" || l === "console") return highlightShell(code);
  return escapeHtml(code);
}

function isIdentStart(ch: string): boolean {
  return /[A-Za-z_$]/.test(ch);
}
function isIdent(ch: string): boolean {
  return /[A-Za-z0-9_$]/.test(ch);
}

export function highlightTs(code: string): string {
  let out = "";
  let i = 0;
  const n = code.length;
  while (i < n) {
    const ch = code[i];
    const next = code[i + 1];
    if (ch === "/" && next === "/") {
      const end = code.indexOf("\n", i);
      const stop = end === -1 ? n : end;
      out += span("comment", code.slice(i, stop));
      i = stop;
      continue;
    }
    if (ch === "/" && next === "*") {
      const end = code.indexOf("*/", i + 2);
      const stop = end === -1 ? n : end + 2;
      out += span("comment", code.slice(i, stop));
      i = stop;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === "`") {
      const stop = stringEnd(code, i, ch);
      out += ch === "`" ? templateHtml(code.slice(i, stop)) : span("string", code.slice(i, stop));
      i = stop;
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === "." && /[0-9]/.test(next ?? ""))) {
      let j = i + 1;
      while (j < n && /[0-9A-Za-z_.]/.test(code[j])) j++;
      out += span("number", code.slice(i, j));
      i = j;
      continue;
    }
    if (isIdentStart(ch)) {
      let j = i + 1;
      while (j < n && isIdent(code[j])) j++;
      const word = code.slice(i, j);
      const after = code.slice(j).match(/^\s*(\(|<)/);
      if (TS_KEYWORDS.has(word)) out += span("keyword", word);
      else if (TS_TYPES.has(word) || /^[A-Z][A-Za-z0-9_]*$/.test(word)) out += span("type", word);
      else if (after !== null && after[1] === "(") out += span("fn", word);
      else out += escapeHtml(word);
      i = j;
      continue;
    }
    out += escapeHtml(ch);
    i++;
  }
  return out;
}

/** The index just past a string literal that starts at i (or the end of the line/code if it never closes). */
function stringEnd(code: string, i: number, quote: string): number {
  let j = i + 1;
  let depth = 0;
  while (j < code.length) {
    const c = code[j];
    if (c === "\\") {
      j += 2;
      continue;
    }
    if (quote === "`") {
      if (c === "$" && code[j + 1] === "{") {
        depth++;
        j += 2;
        continue;
      }
      if (c === "}" && depth > 0) {
        depth--;
        j++;
        continue;
      }
      if (c === "`" && depth === 0) return j + 1;
    } else {
      if (c === quote) return j + 1;
      if (c === "\n") return j;
    }
    j++;
  }
  return code.length;
}

/** A template literal: the literal parts as strings, the ${...} parts highlighted as code. */
function templateHtml(text: string): string {
  let out = "";
  let lit = "";
  let i = 0;
  while (i < text.length) {
    if (text[i] === "\\") {
      lit += text.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (text[i] === "$" && text[i + 1] === "{") {
      let depth = 1;
      let j = i + 2;
      while (j < text.length && depth > 0) {
        if (text[j] === "{") depth++;
        else if (text[j] === "}") depth--;
        if (depth > 0) j++;
      }
      out += span("string", lit + "${") + highlightTs(text.slice(i + 2, j)) + span("string", "}");
      lit = "";
      i = j + 1;
      continue;
    }
    lit += text[i];
    i++;
  }
  return out + (lit !== "" ? span("string", lit) : "");
}

export function highlightShell(code: string): string {
  return code
    .split("\n")
    .map((line) => {
      const hash = commentStart(line);
      const body = hash === -1 ? line : line.slice(0, hash);
      const comment = hash === -1 ? "" : span("comment", line.slice(hash));
      const m = body.match(/^(\s*(?:\$\s+)?)(\S+)(.*)$/s);
      if (m === null) return escapeHtml(body) + comment;
      return escapeHtml(m[1]) + span("fn", m[2]) + shellArgs(m[3]) + comment;
    })
    .join("\n");
}

function shellArgs(rest: string): string {
  return rest
    .split(/(\s+)/)
    .map((w) => (/^--?[A-Za-z]/.test(w) ? span("keyword", w) : /^(["']).*\1$/.test(w) ? span("string", w) : escapeHtml(w)))
    .join("");
}

/** Where a # comment starts outside quotes, or -1. */
function commentStart(line: string): number {
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== "") {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) return i;
  }
  return -1;
}
