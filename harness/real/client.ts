// HTTP client for a running cluster, used by the CLI, the tests and the
// benchmark: plain node:http with keep-alive, bounded timeouts, and a
// ClusterClient that finds the leader, follows redirects and retries while
// an election is under way.
import { Agent, request } from "node:http";
import type { Json, NodeId } from "../types.ts";
import { type ClusterFile, readCluster } from "./layout.ts";
import { LOOPBACK } from "./transport.ts";

export interface HttpResult {
  status: number;
  headers: { [name: string]: string | string[] | undefined };
  body: string;
}

export class HttpTimeout extends Error {
  override name = "HttpTimeout";
}

/** One request to 127.0.0.1:port. Rejects on connection errors and with HttpTimeout after timeoutMs. */
export function httpRequest(port: number, method: string, path: string, body: string | Buffer | null, opts: { agent?: Agent; timeoutMs?: number; headers?: { [k: string]: string } } = {}): Promise<HttpResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const headers: { [k: string]: string | number } = { ...opts.headers };
    if (body !== null) headers["content-length"] = Buffer.byteLength(body);
    const req = request({ host: LOOPBACK, port, method, path, agent: opts.agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const timer = setTimeout(() => {
      req.destroy(new HttpTimeout(`${method} ${path} on port ${port}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body ?? undefined);
  });
}

export function parseJson(text: string): { [key: string]: Json } {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as { [key: string]: Json }) : { value: v as Json };
  } catch {
    return { raw: text };
  }
}

/** The /status of a node, or null if it does not answer. */
export async function nodeStatus(port: number, timeoutMs = 1000): Promise<{ [key: string]: Json } | null> {
  try {
    const r = await httpRequest(port, "GET", "/status", null, { timeoutMs });
    return r.status === 200 ? parseJson(r.body) : null;
  } catch {
    return null;
  }
}

export interface KvAnswer {
  /** The final HTTP status after redirects: 200, 404, 4xx/5xx. */
  status: number;
  body: { [key: string]: Json };
  /** The node that answered last. */
  node: NodeId;
}

/**
 * Answers worth retrying elsewhere or later: a redirect, no leader yet, busy,
 * the node is down; a timeout only when a retry is harmless (a read, or a write
 * with a session).
 */
function retryable(status: number, error: Json | undefined, safeToRepeat: boolean): boolean {
  return status === 503 || status === 307 || error === "connection" || (status === 504 && safeToRepeat);
}

/**
 * Talks to a cluster through whichever node is reachable. An operation is sent
 * to the node believed to lead; a 307 moves it to the named leader; a dead
 * node or "no leader yet" moves it to the next node after a short pause.
 * Definite answers (200, 404, 4xx) return at once. Writes that time out (504)
 * are returned as is: they may or may not have taken effect.
 */
export class ClusterClient {
  private leaderGuess: NodeId | null = null;
  readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });

  constructor(
    private readonly dirOrCluster: string | ClusterFile,
    private readonly opts: { deadlineMs?: number; requestTimeoutMs?: number } = {},
  ) {}

  cluster(): ClusterFile {
    return typeof this.dirOrCluster === "string" ? readCluster(this.dirOrCluster) : this.dirOrCluster;
  }

  private port(id: NodeId): number | undefined {
    return this.cluster().nodes.find((n) => n.id === id)?.httpPort;
  }

  /**
   * Sends method path (body) with leader-finding and retries until deadlineMs.
   * Give a session to make retried writes apply once.
   */
  async send(method: string, path: string, body: string | null, via?: NodeId, session?: { clientId: string; seq: number }): Promise<KvAnswer> {
    const headers: { [k: string]: string } = session === undefined ? {} : { "x-raft-client-id": session.clientId, "x-raft-seq": String(session.seq) };
    const deadline = performance.now() + (this.opts.deadlineMs ?? 10_000);
    const ids = this.cluster().nodes.map((n) => n.id);
    let target: NodeId = via ?? this.leaderGuess ?? ids[0];
    let attempt = 0;
    let last: KvAnswer = { status: 0, body: { error: "connection", detail: "no node answered" }, node: target };
    while (performance.now() < deadline) {
      attempt++;
      const port = this.port(target);
      let answer: KvAnswer;
      if (port === undefined) {
        answer = { status: 0, body: { error: "connection", detail: `unknown node ${target}` }, node: target };
      } else {
        try {
          const r = await httpRequest(port, method, path, body, { agent: this.agent, timeoutMs: this.opts.requestTimeoutMs ?? 6000, headers });
          answer = { status: r.status, body: parseJson(r.body), node: target };
        } catch (err) {
          answer = { status: 0, body: { error: "connection", detail: (err as Error).message }, node: target };
        }
      }
      last = answer;
      if (!retryable(answer.status, answer.body.error, method === "GET" || session !== undefined)) {
        if (answer.status === 200 || answer.status === 404) this.leaderGuess = target;
        return answer;
      }
      if (answer.status === 307 && typeof answer.body.leader === "string" && answer.body.leader !== target) {
        target = answer.body.leader;
        this.leaderGuess = target;
        continue;
      }
      // Dead node, no leader known, or busy: try the next node after a pause.
      if (via === undefined || answer.status === 0) target = ids[(ids.indexOf(target) + 1) % ids.length];
      this.leaderGuess = null;
      await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 300)));
    }
    return last;
  }

  put(key: string, value: string, via?: NodeId, session?: { clientId: string; seq: number }): Promise<KvAnswer> {
    return this.send("PUT", `/kv/${encodeURIComponent(key)}`, value, via, session);
  }

  get(key: string, opts: { stale?: boolean; via?: NodeId } = {}): Promise<KvAnswer> {
    return this.send("GET", `/kv/${encodeURIComponent(key)}${opts.stale === true ? "?stale=true" : ""}`, null, opts.via);
  }

  del(key: string, via?: NodeId, session?: { clientId: string; seq: number }): Promise<KvAnswer> {
    return this.send("DELETE", `/kv/${encodeURIComponent(key)}`, null, via, session);
  }

  close(): void {
    this.agent.destroy();
  }
}
