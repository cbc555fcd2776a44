// The one entry point for every benchmark: `npm run bench -- <name> [--json FILE]`.
// Each bench/<name>.ts exports `run(args)` returning figures; this file prints them
// and, with --json, writes {"bench": name, "results": [{"name","value","unit"}]}.
import { readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}
export interface BenchModule {
  /** One line saying what the bench measures, for --help. */
  readonly description: string;
  run(args: readonly string[]): Promise<BenchResult[]>;
}

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "main.ts" && !f.endsWith(".test.ts") && !f.startsWith("_"))
  .map((f) => f.slice(0, -3))
  .sort();

function usage(): string {
  return `usage: npm run bench -- <name> [--json FILE] [bench options]\n  names: ${available.join(", ")}`;
}

async function main(argv: string[]): Promise<number> {
  const name = argv[0];
  if (name === undefined || name === "--help" || name === "-h") {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (!available.includes(name)) {
    console.error(`unknown benchmark "${name}"\n${usage()}`);
    return 2;
  }
  const rest = argv.slice(1);
  const jsonAt = rest.indexOf("--json");
  let jsonFile: string | undefined;
  if (jsonAt >= 0) {
    jsonFile = rest[jsonAt + 1];
    if (jsonFile === undefined) {
      console.error("--json needs a file name");
      return 2;
    }
    rest.splice(jsonAt, 2);
  }
  const mod = (await import(join(here, `${name}.ts`))) as BenchModule;
  const results = await mod.run(rest);
  if (jsonFile !== undefined) {
    writeFileSync(jsonFile, JSON.stringify({ bench: name, results }, null, 2) + "\n");
    console.log(`wrote ${jsonFile}`);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
