// npm run trace -- FILE.jsonl [--out FILE.html] [--title TEXT]
//
// Turns a simulator trace (JSON lines; the grader writes one per failed
// scenario) into a self-contained HTML timeline and prints where it went.
import { readFileSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { buildTimelineModel } from "./timeline/model.ts";
import { renderModelHtml } from "./timeline/render.ts";

const USAGE = `usage: npm run trace -- FILE.jsonl [--out FILE.html] [--title TEXT]

Renders a simulator trace as a timeline you open in a browser: one lane per
node, roles and terms as bands, messages as arrows, faults shaded, and the
violated rule marked. Without --out the page goes next to the trace.`;

interface Args {
  input: string;
  out: string;
  title: string | undefined;
}

function parseArgs(argv: readonly string[]): Args | string {
  let input: string | undefined;
  let out: string | undefined;
  let title: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h" || a === "--help") return USAGE;
    if (a === "--out" || a === "-o" || a === "--title") {
      const v = argv[i + 1];
      if (v === undefined) return `${a} needs a value\n\n${USAGE}`;
      if (a === "--title") title = v;
      else out = v;
      i++;
    } else if (a.startsWith("--out=")) out = a.slice("--out=".length);
    else if (a.startsWith("--title=")) title = a.slice("--title=".length);
    else if (a.startsWith("-")) return `unknown option ${a}\n\n${USAGE}`;
    else if (input === undefined) input = a;
    else return `one trace file at a time (got ${input} and ${a})\n\n${USAGE}`;
  }
  if (input === undefined) return USAGE;
  return { input, out: out ?? input.replace(/\.jsonl?$/i, "") + ".html", title };
}

function main(): number {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  if (typeof args === "string") {
    const asked = argv.includes("-h") || argv.includes("--help");
    if (asked) console.log(args);
    else console.error(args);
    return asked ? 0 : 2;
  }
  let jsonl: string;
  try {
    jsonl = readFileSync(args.input, "utf8");
  } catch (err) {
    console.error(`cannot read ${args.input}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const model = buildTimelineModel(jsonl, { title: args.title ?? basename(args.input) });
  if (model.events.length === 0) {
    console.error(`${args.input} holds no trace records (expected JSON lines such as {"i":0,"t":0,"k":"start","node":"n1"}); is it the right file?`);
    return 1;
  }
  writeFileSync(args.out, renderModelHtml(model));
  const c = model.counts;
  console.log(`${resolve(args.out)}`);
  console.log(`  ${model.lanes.length} lanes, ${c.events} events, ${c.messages} messages (${c.dropped} dropped, ${c.duplicated} duplicated), t=${model.tStart}..${model.tEnd} ms`);
  if (model.failure !== null) console.log(`  failure: ${model.failure.rule} at event #${model.failure.i}, t=${model.failure.t} ms: ${model.failure.message}`);
  if (c.badLines > 0) console.log(`  warning: ${c.badLines} line(s) were not trace records and were skipped`);
  if (c.states === 0) console.log("  note: no state records; run with recordStates: true to see logs and indices per node");
  return 0;
}

process.exitCode = main();
