// The harness's linearizability checker. The grader and the reference KV import
// from here only; nothing here imports from labs/ or solutions/, so no student
// edit can change a verdict.
//
//   import { HistoryBuilder, checkHistory, kvModel, renderHistoryHtml } from "../harness/check/index.ts";
//   const h = new HistoryBuilder<KvInput, KvOutput>();
//   const id = h.invoke("c1", { op: "put", key: "x", value: "1" }, nowMs);
//   h.ok(id, { ok: true }, laterMs);          // or h.fail(id, t) / h.info(id)
//   const result = checkHistory(kvModel, h.build(), { timeoutMs: 5000 });
//   if (result.verdict !== "ok") writeFileSync("kv.html", renderHistoryHtml(kvModel, history, result));

export { HistoryBuilder, HistoryError, formatTime, validateHistory } from "./history.ts";
export type { ClientId, History, OpStatus, Operation, TimeUnit } from "./history.ts";
export { hashNumber, hashString, kvModel, registerModel } from "./model.ts";
export type { KvInput, KvOutput, KvState, Model, RegisterInput, RegisterOutput, RegisterState, RegisterValue } from "./model.ts";
export { checkHistory } from "./check.ts";
export type { CheckOptions, CheckResult, PartitionResult, Verdict, Violation } from "./check.ts";
export { searchPartition } from "./search.ts";
export type { SearchLimits, SearchOps, SearchOutcome, SearchStats } from "./search.ts";
export { ParseError, formatKvLog, parseJepsenEtcdLog, parseKvLog } from "./parse.ts";
export { renderHistoryHtml } from "./html.ts";
export type { HtmlOptions } from "./html.ts";
export { Prng, generateHistory, generateKvHistory, generateRegisterHistory, kvSpec, registerSpec } from "./generate.ts";
export type { KvStore, KvWorkloadOptions, SequentialSpec, WorkloadOptions } from "./generate.ts";
export { runCli } from "./cli.ts";
