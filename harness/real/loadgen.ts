// One client load generator for both our KV and etcd, so both pay the same
// client cost: N concurrent clients, each with one request in flight over a
// keep-alive HTTP/1.1 connection, small values, latency measured per request.
//
//   ours: PUT /kv/{key} (body = value), GET /kv/{key}            (linearizable read)
//   etcd: POST /v3/kv/put {key,value} (base64), POST /v3/kv/range {key}  (linearizable read)
import { Agent } from "node:http";
import { httpRequest } from "./client.ts";

export interface LoadTarget {
  kind: "raft" | "etcd";
  /** Client ports to spread clients over (usually the leader's only). */
  ports: readonly number[];
}

export interface LoadOptions {
  name: string;
  target: LoadTarget;
  clients: number;
  /** Total operations across all clients. */
  ops: number;
  op: "put" | "get";
  valueBytes: number;
  /** Keys are k0..k(keySpace-1). */
  keySpace?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
}

export interface LoadResult {
  name: string;
  ops: number;
  errors: number;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** The first few error descriptions, to say why. */
  errorSamples: string[];
  /** Requests that had to follow a redirect to a new leader (a leader change during the run). */
  redirects: number;
}

function b64(s: string): string {
  return Buffer.from(s, "utf8").toString("base64");
}

/** The request for one operation: method, path, body, and which status means success. */
function requestFor(kind: LoadTarget["kind"], op: "put" | "get", key: string, value: string): { method: string; path: string; body: string | null; okStatus: readonly number[] } {
  if (kind === "raft") {
    return op === "put"
      ? { method: "PUT", path: `/kv/${key}`, body: value, okStatus: [200] }
      : { method: "GET", path: `/kv/${key}`, body: null, okStatus: [200, 404] };
  }
  return op === "put"
    ? { method: "POST", path: "/v3/kv/put", body: JSON.stringify({ key: b64(key), value: b64(value) }), okStatus: [200] }
    : { method: "POST", path: "/v3/kv/range", body: JSON.stringify({ key: b64(key) }), okStatus: [200] };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  if (!(o.clients >= 1 && o.ops >= 1)) throw new RangeError("clients and ops must be >= 1");
  const agent = new Agent({ keepAlive: true, maxSockets: o.clients });
  const keySpace = o.keySpace ?? 1000;
  const value = "v".repeat(o.valueBytes);
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let redirects = 0;
  let next = 0;
  const started = performance.now();
  const timeoutMs = o.timeoutMs ?? 10_000;
  const worker = async (w: number): Promise<void> => {
    let port = o.target.ports[w % o.target.ports.length];
    while (next < o.ops) {
      const i = next++;
      const req = requestFor(o.target.kind, o.op, `k${i % keySpace}`, value);
      const headers: { [k: string]: string } = req.body === null ? {} : { "content-type": o.target.kind === "etcd" ? "application/json" : "application/octet-stream" };
      const t0 = performance.now();
      // A leader change mid-run: follow our redirect to the new leader, wait out
      // "no leader yet"; the operation's latency includes it. Give up after timeoutMs.
      for (let attempt = 0; ; attempt++) {
        let problem: string;
        try {
          const r = await httpRequest(port, req.method, req.path, req.body, { agent, timeoutMs, headers });
          if (req.okStatus.includes(r.status)) {
            latencies.push(performance.now() - t0);
            break;
          }
          problem = `${r.status} ${r.body.slice(0, 160)}`;
          const location = r.headers.location;
          if (r.status === 307 && typeof location === "string") {
            const moved = Number(new URL(location).port);
            if (moved > 0) {
              port = moved;
              redirects++;
            }
          } else if (r.status === 503) await new Promise((res) => setTimeout(res, 20));
          else attempt = Infinity; // a definite error: do not retry
        } catch (err) {
          problem = (err as Error).message;
          attempt = Infinity;
        }
        if (attempt === Infinity || performance.now() - t0 > timeoutMs || attempt >= 50) {
          errors++;
          if (errorSamples.length < 3) errorSamples.push(problem);
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: o.clients }, (_, w) => worker(w)));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    name: o.name,
    ops: latencies.length,
    errors,
    seconds,
    opsPerSec: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errorSamples,
    redirects,
  };
}
