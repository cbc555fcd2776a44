// Operations whose outcome the client never learnt (crashes, lost replies) and
// the timeout: the two places where a checker is most tempted to cut corners.

import { describe, expect, it } from "vitest";
import { checkHistory } from "./check.ts";
import { HistoryBuilder, type History } from "./history.ts";
import { kvModel, registerModel, type KvInput, type KvOutput, type RegisterInput, type RegisterOutput } from "./model.ts";

type Kv = HistoryBuilder<KvInput, KvOutput>;

function kv(build: (h: Kv) => void): History<KvInput, KvOutput> {
  const h = new HistoryBuilder<KvInput, KvOutput>();
  build(h);
  return h.build();
}

describe("an operation with an unknown outcome may take effect any time after its invoke, or never", () => {
  it("linearizable only if the crashed write took effect: a later read sees its value", () => {
    const history = kv((h) => {
      h.info(h.invoke("c1", { op: "put", key: "x", value: "1" }, 0));
      const r = h.invoke("c2", { op: "get", key: "x" }, 10);
      h.ok(r, { value: "1" }, 11);
    });
    expect(checkHistory(kvModel, history).verdict).toBe("ok");
  });

  it("linearizable only if the crashed write did not take effect (before the end): reads keep seeing the old value", () => {
    const history = kv((h) => {
      h.ok(h.invoke("c0", { op: "put", key: "x", value: "0" }, 0), { ok: true }, 1);
      h.info(h.invoke("c1", { op: "put", key: "x", value: "1" }, 2));
      for (let t = 10; t < 60; t += 10) h.ok(h.invoke("c2", { op: "get", key: "x" }, t), { value: "0" }, t + 1);
    });
    expect(checkHistory(kvModel, history).verdict).toBe("ok");
  });

  it("the effect may land long after the client gave up: first the old value, then the new one", () => {
    // A checker that closed the crashed call when the client gave up (t=3) would reject this.
    const history = kv((h) => {
      const w = h.invoke("c1", { op: "put", key: "x", value: "1" }, 0);
      h.info(w);
      h.ok(h.invoke("c2", { op: "get", key: "x" }, 10), { value: null }, 11);
      h.ok(h.invoke("c2", { op: "get", key: "x" }, 20), { value: "1" }, 21);
    });
    expect(checkHistory(kvModel, history).verdict).toBe("ok");
  });

  it("but never before its invoke", () => {
    const history = kv((h) => {
      h.ok(h.invoke("c2", { op: "get", key: "x" }, 0), { value: "1" }, 1);
      h.info(h.invoke("c1", { op: "put", key: "x", value: "1" }, 5));
    });
    const result = checkHistory(kvModel, history);
    expect(result.verdict).toBe("illegal");
    expect(result.violation?.failingOpId).toBe(0);
  });

  it("a crashed compare-and-set either happened or not, and the check tries both", () => {
    const history = kv((h) => {
      h.ok(h.invoke("c0", { op: "put", key: "x", value: "a" }, 0), { ok: true }, 1);
      h.info(h.invoke("c1", { op: "cas", key: "x", expected: "a", value: "b" }, 2));
      h.ok(h.invoke("c2", { op: "get", key: "x" }, 10), { value: "a" }, 11);
      h.ok(h.invoke("c2", { op: "get", key: "x" }, 20), { value: "b" }, 21);
    });
    expect(checkHistory(kvModel, history).verdict).toBe("ok");
    // It cannot take effect twice, though: a -> b -> a -> b needs a second writer of b.
    const twice = kv((h) => {
      h.ok(h.invoke("c0", { op: "put", key: "x", value: "a" }, 0), { ok: true }, 1);
      h.info(h.invoke("c1", { op: "cas", key: "x", expected: "a", value: "b" }, 2));
      h.ok(h.invoke("c2", { op: "get", key: "x" }, 10), { value: "b" }, 11);
      h.ok(h.invoke("c3", { op: "put", key: "x", value: "a" }, 12), { ok: true }, 13);
      h.ok(h.invoke("c2", { op: "get", key: "x" }, 20), { value: "b" }, 21);
    });
    expect(checkHistory(kvModel, twice).verdict).toBe("illegal");
  });

  it("a failed operation had no effect: a read of its value is a violation", () => {
    const history = kv((h) => {
      h.fail(h.invoke("c1", { op: "put", key: "x", value: "1" }, 0), 5);
      h.ok(h.invoke("c2", { op: "get", key: "x" }, 10), { value: "1" }, 11);
    });
    expect(checkHistory(kvModel, history).verdict).toBe("illegal");
  });

  it("calls still open when the history is built count as crashed", () => {
    const h = new HistoryBuilder<KvInput, KvOutput>();
    h.invoke("c1", { op: "put", key: "x", value: "1" }, 0);
    h.ok(h.invoke("c2", { op: "get", key: "x" }, 10), { value: "1" }, 11);
    const history = h.build();
    expect(history.operations[0].status).toBe("info");
    expect(checkHistory(kvModel, history).verdict).toBe("ok");
  });
});

/**
 * 24 writes of distinct values all running at once, then a read of a value none
 * of them wrote: proving that no order works means trying every subset of the
 * writes, about 24 * 2^23 configurations. No budget of a few hundred ms covers it.
 */
function hardRegisterHistory(): History<RegisterInput, RegisterOutput> {
  const h = new HistoryBuilder<RegisterInput, RegisterOutput>();
  const writes = Array.from({ length: 24 }, (_, i) => h.invoke(`c${i}`, { f: "write", value: i + 1 }, i));
  const reads = Array.from({ length: 4 }, (_, i) => h.invoke(`r${i}`, { f: "read" }, 30 + i));
  writes.forEach((id, i) => h.ok(id, { ok: true }, 100 + i));
  reads.forEach((id, i) => h.ok(id, { value: i === 3 ? 999 : i + 1 }, 200 + i));
  return h.build();
}

describe("a check that runs out of time says unknown, never ok", () => {
  it("a hard history with a 100 ms budget is unknown, with the reason", () => {
    const started = performance.now();
    const result = checkHistory(registerModel, hardRegisterHistory(), { timeoutMs: 100 });
    expect(result.verdict).toBe("unknown");
    expect(result.reason).toBe("timeout");
    expect(result.explanation).toMatch(/not a pass/);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("a zero budget on a history that needs real search is unknown too", () => {
    expect(checkHistory(registerModel, hardRegisterHistory(), { timeoutMs: 0 }).verdict).toBe("unknown");
  });

  it("a tiny memo does not change the verdict, only the speed", () => {
    const h = new HistoryBuilder<RegisterInput, RegisterOutput>();
    const ws = Array.from({ length: 6 }, (_, i) => h.invoke(`c${i}`, { f: "write", value: i }, i));
    ws.forEach((id, i) => h.ok(id, { ok: true }, 20 + i));
    h.ok(h.invoke("r", { f: "read" }, 40), { value: 99 }, 41);
    const history = h.build();
    const roomy = checkHistory(registerModel, history);
    const tight = checkHistory(registerModel, history, { maxMemoBytes: 2_000 });
    expect(tight.verdict).toBe("illegal");
    expect(roomy.verdict).toBe("illegal");
    expect(tight.partitions[0].memoResets).toBeGreaterThan(0);
  });
});
