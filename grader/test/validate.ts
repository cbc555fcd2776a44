// Test helpers: a small JSON Schema validator (the keywords our schemas use:
// type, enum, required, properties, additionalProperties, items, prefixItems,
// minItems, maxItems, minimum, maximum, minLength, pattern, $ref to #/$defs),
// a small XML parser, and a checker for the JUnit element table.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
type Schema = { [k: string]: JsonValue };

export function loadSchema(name: string): Schema {
  return JSON.parse(readFileSync(join(REPO, "grader", "schemas", name), "utf8")) as Schema;
}

function typeOf(v: JsonValue): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Returns the list of violations (empty: valid). */
export function validateJson(value: JsonValue, schema: Schema, root: Schema = schema, path = "$"): string[] {
  const errs: string[] = [];
  const ref = schema.$ref;
  if (typeof ref === "string") {
    const name = ref.replace(/^#\/\$defs\//, "");
    const defs = root.$defs as { [k: string]: Schema };
    return validateJson(value, defs[name], root, path);
  }
  const t = typeOf(value);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    const ok = types.some((x) => x === t || (x === "number" && t === "integer"));
    if (!ok) return [`${path}: expected ${types.join("|")}, got ${t}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errs.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (t === "object" && value !== null && !Array.isArray(value) && typeof value === "object") {
    const obj = value as { [k: string]: JsonValue };
    const props = (schema.properties ?? {}) as { [k: string]: Schema };
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) errs.push(`${path}: missing required "${r}"`);
    for (const [k, v] of Object.entries(obj)) {
      if (k in props) errs.push(...validateJson(v, props[k], root, `${path}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${path}: unexpected property "${k}"`);
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) errs.push(`${path}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) errs.push(`${path}: more than ${schema.maxItems} items`);
    const prefix = (schema.prefixItems ?? []) as Schema[];
    value.forEach((v, i) => {
      const s = i < prefix.length ? prefix[i] : (schema.items as Schema | undefined);
      if (s !== undefined) errs.push(...validateJson(v, s, root, `${path}[${i}]`));
    });
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) errs.push(`${path}: ${value} < ${schema.minimum}`);
    if (typeof schema.maximum === "number" && value > schema.maximum) errs.push(`${path}: ${value} > ${schema.maximum}`);
  }
  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && value.length < schema.minLength) errs.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern).test(value)) errs.push(`${path}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  }
  return errs;
}

// ------------------------------------------------------------------ XML

export interface XmlElement {
  name: string;
  attrs: Map<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: { [k: string]: string } = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) => {
    if (e.startsWith("#x")) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith("#")) return String.fromCodePoint(Number(e.slice(1)));
    const v = ENTITIES[e];
    if (v === undefined) throw new Error(`unknown XML entity ${m}`);
    return v;
  });
}

/** Parses well-formed XML (no DTD, no CDATA); throws on anything malformed. */
export function parseXml(xml: string): XmlElement {
  let i = 0;
  const skipWs = () => {
    while (i < xml.length && /\s/.test(xml[i])) i++;
  };
  if (xml.startsWith("<?xml")) i = xml.indexOf("?>") + 2;
  const parseElement = (): XmlElement => {
    skipWs();
    if (xml[i] !== "<") throw new Error(`expected < at ${i}`);
    const m = /^<([A-Za-z_][\w.-]*)/.exec(xml.slice(i));
    if (m === null) throw new Error(`bad tag at ${i}`);
    const el: XmlElement = { name: m[1], attrs: new Map(), children: [], text: "" };
    i += m[0].length;
    for (;;) {
      skipWs();
      if (xml.startsWith("/>", i)) {
        i += 2;
        return el;
      }
      if (xml[i] === ">") {
        i++;
        break;
      }
      const a = /^([A-Za-z_][\w.:-]*)="([^"<]*)"/.exec(xml.slice(i));
      if (a === null) throw new Error(`bad attribute in <${el.name}> at ${i}: ${xml.slice(i, i + 40)}`);
      if (el.attrs.has(a[1])) throw new Error(`duplicate attribute ${a[1]}`);
      el.attrs.set(a[1], unescapeXml(a[2]));
      i += a[0].length;
    }
    for (;;) {
      const lt = xml.indexOf("<", i);
      if (lt < 0) throw new Error(`unclosed <${el.name}>`);
      const text = xml.slice(i, lt);
      if (text.includes(">")) throw new Error(`raw > is fine in XML but we never write one: ${text.slice(0, 40)}`);
      el.text += unescapeXml(text);
      i = lt;
      if (xml.startsWith(`</${el.name}>`, i)) {
        i += el.name.length + 3;
        return el;
      }
      if (xml.startsWith("</", i)) throw new Error(`mismatched close tag at ${i}, expected </${el.name}>`);
      el.children.push(parseElement());
    }
  };
  const root = parseElement();
  skipWs();
  if (i !== xml.length) throw new Error("content after the root element");
  return root;
}

interface ElementRule {
  required: string[];
  optional: string[];
  children: string[];
  text: boolean;
}

export function validateJunit(xml: string): string[] {
  const table = JSON.parse(readFileSync(join(REPO, "grader", "schemas", "junit.schema.json"), "utf8")) as {
    root: string;
    elements: { [k: string]: ElementRule };
    numeric: string[];
  };
  const errs: string[] = [];
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (err) {
    return [`not well-formed XML: ${err instanceof Error ? err.message : String(err)}`];
  }
  if (root.name !== table.root) errs.push(`root is <${root.name}>, expected <${table.root}>`);
  const walk = (el: XmlElement, path: string) => {
    const rule = table.elements[el.name];
    if (rule === undefined) {
      errs.push(`${path}: unknown element <${el.name}>`);
      return;
    }
    for (const r of rule.required) if (!el.attrs.has(r)) errs.push(`${path}: missing attribute ${r}`);
    for (const a of el.attrs.keys()) if (!rule.required.includes(a) && !rule.optional.includes(a)) errs.push(`${path}: unexpected attribute ${a}`);
    for (const a of table.numeric) {
      const v = el.attrs.get(a);
      if (v !== undefined && !/^\d+(\.\d+)?$/.test(v)) errs.push(`${path}: ${a}="${v}" is not a number`);
    }
    if (!rule.text && el.text.trim() !== "") errs.push(`${path}: text not allowed in <${el.name}>`);
    for (const c of el.children) {
      if (!rule.children.includes(c.name)) errs.push(`${path}: <${c.name}> not allowed in <${el.name}>`);
      walk(c, `${path}/${c.name}`);
    }
  };
  walk(root, root.name);
  return errs;
}

// ------------------------------------------------------------ running

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

const TSX_CLI = join(REPO, "node_modules", "tsx", "dist", "cli.mjs");

/** Runs `npm run grade` (without npm) with CI=true, so the output is plain lines. */
export function grade(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TSX_CLI, join(REPO, "grader", "cli.ts"), ...args],
      { cwd: REPO, env: { ...process.env, npm_lifecycle_event: "", CI: "true", NO_COLOR: "1", ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 180_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : -1;
        resolve({ code, stdout, stderr, ms: performance.now() - t0 });
      },
    );
  });
}
