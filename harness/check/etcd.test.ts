import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkHistory } from "./check.ts";
import { registerModel } from "./model.ts";
import { parseJepsenEtcdLog } from "./parse.ts";
import { etcdDir, readEtcdExpectations } from "./testdata.ts";

const expectations = readEtcdExpectations();

describe("Jepsen etcd histories from Porcupine: every verdict matches EXPECTED.tsv", () => {
  it("EXPECTED.tsv lists 103 files, 24 linearizable and 79 not", () => {
    expect(expectations).toHaveLength(103);
    expect(expectations.filter((e) => e.linearizable)).toHaveLength(24);
  });

  it.each(expectations)("$file is linearizable: $linearizable", ({ file, linearizable }) => {
    const history = parseJepsenEtcdLog(readFileSync(join(etcdDir, file), "utf8"), file);
    const result = checkHistory(registerModel, history, { timeoutMs: 30_000, explainBudgetMs: 500 });
    expect(result.verdict).toBe(linearizable ? "ok" : "illegal");
    if (linearizable) {
      expect(result.violation).toBeUndefined();
      return;
    }
    // A violation names its failing operation inside the core, and the core is in call order.
    const v = result.violation;
    expect(v).toBeDefined();
    if (v === undefined) return;
    expect(v.coreOpIds).toContain(v.failingOpId);
    const callOf = new Map(history.operations.map((op) => [op.id, op.callMs]));
    const calls = v.coreOpIds.map((id) => callOf.get(id) as number);
    expect([...calls].sort((a, b) => a - b)).toEqual(calls);
    expect(result.explanation).toContain("<- fails here");
  });
});
