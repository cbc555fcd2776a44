// Where the shared, read-only benchmark data lives, for tests and benchmarks:
// ../shared next to the repository root (never copied into the repo).

import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const etcdDir = join(resolve(repoRoot, "..", "shared"), "bench", "porcupine-etcd");

export interface EtcdExpectation {
  readonly file: string;
  readonly linearizable: boolean;
  /** Porcupine's Go check time for this file, ms (median of 5, parse excluded). */
  readonly porcupineGoMs: number;
}

/** The rows of EXPECTED.tsv, in file order. */
export function readEtcdExpectations(): EtcdExpectation[] {
  const lines = readFileSync(join(etcdDir, "EXPECTED.tsv"), "utf8").trim().split("\n");
  const header = lines[0].split("\t");
  if (header.join(",") !== "file,linearizable,porcupine_go_ms") throw new Error(`EXPECTED.tsv: unexpected header ${header.join(",")}`);
  return lines.slice(1).map((line, i) => {
    const [file, lin, ms] = line.split("\t");
    if (lin !== "true" && lin !== "false") throw new Error(`EXPECTED.tsv line ${i + 2}: linearizable must be true or false`);
    return { file, linearizable: lin === "true", porcupineGoMs: Number(ms) };
  });
}
