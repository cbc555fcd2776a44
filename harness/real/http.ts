// The HTTP face of a node process: /status, /metrics, /health, /admin/backup,
// and whatever the service (the Raft KV) adds. Small helpers for JSON replies
// and bounded request bodies live here too.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Json } from "../types.ts";
import { LOOPBACK } from "./transport.ts";

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export interface Route {
  method: string;
  /** Matches the path; "/kv/" matches any path under it. */
  prefix: string;
  exact?: boolean;
  handler: Handler;
}

export function sendJson(res: ServerResponse, status: number, body: Json, headers: { [name: string]: string } = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body) + "\n";
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A JSON error in one shape everywhere: {error, detail, ...extra}. */
export function sendError(res: ServerResponse, status: number, error: string, detail: string, extra: { [k: string]: Json } = {}, headers: { [name: string]: string } = {}): void {
  sendJson(res, status, { error, detail, ...extra }, headers);
}

export class BodyTooLarge extends Error {}

/** Reads a request body of at most maxBytes; rejects with BodyTooLarge past it (without buffering the rest). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > maxBytes) return Promise.reject(new BodyTooLarge(`body of ${declared} bytes exceeds the limit of ${maxBytes}`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let failed = false;
    req.on("data", (c: Buffer) => {
      if (failed) return;
      bytes += c.length;
      if (bytes > maxBytes) {
        failed = true;
        reject(new BodyTooLarge(`body exceeds the limit of ${maxBytes} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", (err) => {
      if (!failed) reject(err);
    });
  });
}

export function startHttp(port: number, routes: readonly Route[], who: string): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://${LOOPBACK}`);
    const route = routes.find((r) => r.method === req.method && (r.exact === true ? url.pathname === r.prefix : url.pathname.startsWith(r.prefix)));
    if (route === undefined) {
      const known = routes.some((r) => (r.exact === true ? url.pathname === r.prefix : url.pathname.startsWith(r.prefix)));
      if (known) sendError(res, 405, "method_not_allowed", `${req.method} is not supported on ${url.pathname}`);
      else sendError(res, 404, "no_such_endpoint", `no endpoint ${url.pathname}; try /kv/{key}, /status, /metrics`);
      req.resume();
      return;
    }
    Promise.resolve()
      .then(() => route.handler(req, res, url))
      .catch((err: unknown) => sendError(res, 500, "internal", err instanceof Error ? err.message : String(err)));
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      reject(
        err.code === "EADDRINUSE"
          ? new Error(`${who}: HTTP port ${LOOPBACK}:${port} is already in use (another cluster or process holds it); stop it or choose other ports`)
          : err,
      );
    });
    server.listen({ host: LOOPBACK, port, exclusive: true }, () => resolve(server));
  });
}
