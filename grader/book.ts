// npm run book [-- --lessons DIR] [--out DIR]
//
// Renders the lessons into a static site (dist/book by default): open
// dist/book/index.html in a browser. Works offline; nothing is fetched.
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBook } from "./book/build.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = `usage: npm run book [-- --lessons DIR] [--out DIR]

Renders lessons/*.md into a static site: a contents page in lab order, one
page per lesson with its paper citations linked and its grade command, and a
references page. Defaults: --lessons lessons --out dist/book.`;

function main(argv: readonly string[]): number {
  let lessonsDir = join(REPO, "lessons");
  let outDir = join(REPO, "dist", "book");
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h" || a === "--help") {
      console.log(USAGE);
      return 0;
    }
    if ((a === "--lessons" || a === "--out") && argv[i + 1] !== undefined) {
      if (a === "--lessons") lessonsDir = resolve(argv[++i]);
      else outDir = resolve(argv[++i]);
    } else {
      console.error(`unexpected argument ${a}\n\n${USAGE}`);
      return 2;
    }
  }
  let result;
  try {
    result = buildBook({ lessonsDir, outDir, repoRoot: REPO });
  } catch (err) {
    console.error(`book: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const labs = result.pages.filter((p) => p.lab !== null).length;
  const where = relative(process.cwd(), join(result.outDir, "index.html")) || join(result.outDir, "index.html");
  console.log(`${where}: ${result.pages.length} lessons (${labs} labs), ${new Set(result.citations.map((c) => `${c.source}:${c.key}`)).size} paper sections cited`);
  for (const w of result.warnings) console.log(`  warning: ${w}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
