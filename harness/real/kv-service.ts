// The Raft KV behind HTTP: the very node of solutions/ (referenceNode), and an
// HTTP API that turns each request into a ClientRequest from a client endpoint
// that lives in this process, then waits for the node's ClientReply.
//
//   PUT    /kv/{key}            body = value            200 {"key","prev","index"...}
//   GET    /kv/{key}[?stale=true|?lease=true][&raw]     200 {"key","value"} / 404
//   DELETE /kv/{key}                                    200 {"key","prev"}
//   POST   /admin/members       {"change":"addServer","server":"n4"} ...
//
// A follower answers what only the leader may serve with 307 to the leader's
// URL (and a JSON body naming it), or 503 when no leader is known.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AdminReply, ClientReply, KvOp, MembershipChange, Msg, ReadMode } from "../raft/messages.ts";
import type { Json, NodeFactory, NodeId } from "../types.ts";
import { raftConfig, type RaftConfig } from "../../labs/given/config.ts";
import type { RaftNode } from "../../labs/given/node.ts";
import type { RaftState } from "../../labs/given/state.ts";
import { referenceNode } from "../../solutions/node.ts";
import { BodyTooLarge, readBody, type Route, sendError, sendJson } from "./http.ts";
import type { ClusterFile } from "./layout.ts";
import { type Counter, type Histogram, LATENCY_BUCKETS_S, type Registry } from "./metrics.ts";
import { LOOPBACK } from "./transport.ts";

/** How long an HTTP request waits for the node before answering 504 (the operation may still take effect). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
export const MAX_REQUEST_TIMEOUT_MS = 60_000;
/** Client-endpoint slots kept for reuse; each holds one operation at a time. */
const MAX_IDLE_SLOTS = 4096;

interface Waiter {
  seq: number;
  resolve(reply: ClientReply | null): void;
}

/** A client's own session: retries with the same (clientId, seq) apply once [thesis §6.3]. */
export interface Session {
  clientId: string;
  seq: number;
}

interface Slot {
  clientId: string;
  seq: number;
  waiter: Waiter | null;
}

export interface KvServiceDeps {
  id: NodeId;
  cluster: () => ClusterFile;
  registry: Registry;
  /** Hands a message from a local client endpoint to the node. */
  deliver(from: NodeId, msg: Msg): void;
}

/** The Raft knobs of cluster.json, checked against the known names. */
export function raftOverrides(c: ClusterFile): Partial<Omit<RaftConfig, "members">> {
  const known = raftConfig(c.members);
  const out: { [k: string]: number | boolean } = {};
  for (const [k, v] of Object.entries(c.raft)) {
    if (!(k in known) || k === "members" || k === "bugs") {
      const names = Object.keys(known).filter((n) => n !== "members" && n !== "bugs");
      throw new RangeError(`unknown raft knob "${k}" (known: ${names.join(", ")})`);
    }
    out[k] = v;
  }
  return out as Partial<Omit<RaftConfig, "members">>;
}

export class KvService {
  readonly factory: NodeFactory<Msg>;
  readonly config: RaftConfig;
  node: RaftNode | null = null;
  /** Local endpoint ids start with this; unique per process start so a restart never reuses a session's seq. */
  private readonly prefix: string;
  private readonly slots = new Map<string, Slot>();
  private readonly idle: Slot[] = [];
  private slotCounter = 0;
  private inFlight = 0;
  private readonly adminId: string;
  private adminSeq = 0;
  private readonly adminWaiters = new Map<number, (r: AdminReply | null) => void>();
  private lastLeader: NodeId | null = null;
  private readonly leaderChanges: Counter;
  private readonly requestSeconds: { [op: string]: Histogram };
  private readonly httpErrors: Counter;

  constructor(private readonly deps: KvServiceDeps) {
    const c = deps.cluster();
    this.config = raftConfig(c.members, raftOverrides(c));
    const inner = referenceNode(c.members, raftOverrides(c));
    this.factory = (env) => {
      const n = inner(env) as RaftNode;
      this.node = n;
      return n;
    };
    this.prefix = `http-${deps.id}-${process.pid}-${Date.now().toString(36)}-`;
    this.adminId = `${this.prefix}admin`;
    const reg = deps.registry;
    this.leaderChanges = reg.counter("raft_leader_changes_total", "Times this node saw the leader change (including to no leader).");
    this.httpErrors = reg.counter("raft_http_errors_total", "HTTP requests answered with a 4xx/5xx status.");
    this.requestSeconds = {};
    for (const op of ["put", "get", "del", "admin"]) {
      this.requestSeconds[op] = reg.histogram("raft_http_request_duration_seconds", "Time from an HTTP request's arrival to its reply, by operation.", LATENCY_BUCKETS_S, { op });
    }
    const st = (): RaftState | null => this.node?.state ?? null;
    reg.gauge("raft_term", "The node's current term.", () => st()?.currentTerm ?? 0);
    reg.gauge("raft_is_leader", "1 if this node is the leader.", () => (st()?.role === "leader" ? 1 : 0));
    reg.gauge("raft_role", "1 for the node's current role.", () =>
      ["follower", "precandidate", "candidate", "leader"].map((role) => ({ labels: { role }, value: st()?.role === role ? 1 : 0 })),
    );
    reg.gauge("raft_commit_index", "Highest log index known committed.", () => st()?.commitIndex ?? 0);
    reg.gauge("raft_applied_index", "Highest log index applied to the KV state machine.", () => st()?.lastApplied ?? 0);
    reg.gauge("raft_apply_lag_entries", "Committed entries not yet applied here.", () => (st() === null ? 0 : st()!.commitIndex - st()!.lastApplied));
    reg.gauge("raft_last_log_index", "Index of the last entry in the log.", () => st()?.log.lastIndex() ?? 0);
    reg.gauge("raft_snapshot_index", "Last index covered by the snapshot.", () => st()?.log.snapshotIndex ?? 0);
    reg.gauge("raft_follower_match_lag_entries", "Leader only: leader's last log index minus the follower's match index.", () => this.followerLag("match"));
    reg.gauge("raft_follower_commit_lag_entries", "Leader only: leader's commit index minus the follower's match index (0 when it has everything committed).", () =>
      this.followerLag("commit"),
    );
    reg.gauge("raft_proposal_queue_depth", "Leader only: entries appended but not committed.", () => {
      const s = st();
      return s === null || s.role !== "leader" ? 0 : s.log.lastIndex() - s.commitIndex;
    });
    reg.gauge("raft_pending_client_requests", "Client writes and reads the node holds (waiting to commit or to confirm leadership).", () => {
      const s = st();
      return s === null ? 0 : s.kv.pendingWrites.size + s.kv.pendingReads.length;
    });
    reg.gauge("raft_http_in_flight", "HTTP requests waiting for the node.", () => this.inFlight);
    reg.gauge("raft_kv_keys", "Keys in the state machine.", () => st()?.kv.data.size ?? 0);
  }

  private followerLag(kind: "match" | "commit"): { labels: { follower: string }; value: number }[] {
    const s = this.node?.state;
    if (s === undefined || s.role !== "leader") return [];
    const top = kind === "match" ? s.log.lastIndex() : s.commitIndex;
    return [...s.progress.entries()].map(([follower, p]) => ({ labels: { follower }, value: Math.max(0, top - p.matchIndex) }));
  }

  // ------------------------------------------------------ local endpoints

  isLocal(to: NodeId): boolean {
    return to.startsWith(this.prefix);
  }

  deliverLocal(to: NodeId, msg: Msg): void {
    if (msg.type === "ClientReply") {
      const slot = this.slots.get(to);
      const w = slot?.waiter;
      if (slot !== undefined && w !== null && w !== undefined && w.seq === msg.seq) {
        slot.waiter = null;
        w.resolve(msg);
      }
    } else if (msg.type === "AdminReply" && to === this.adminId) {
      const w = this.adminWaiters.get(msg.requestId);
      if (w !== undefined) {
        this.adminWaiters.delete(msg.requestId);
        w(msg);
      }
    }
  }

  /** After each node event: count leader changes. */
  afterEvent(): void {
    const s = this.node?.state;
    if (s === undefined) return;
    const leader = s.role === "leader" ? s.id : s.leaderId;
    if (leader !== this.lastLeader) {
      this.lastLeader = leader;
      this.leaderChanges.inc();
    }
  }

  private takeSlot(): Slot {
    const slot = this.idle.pop();
    if (slot !== undefined) return slot;
    const s: Slot = { clientId: `${this.prefix}c${++this.slotCounter}`, seq: 0, waiter: null };
    this.slots.set(s.clientId, s);
    return s;
  }

  private putBack(slot: Slot, timedOut: boolean): void {
    // A slot whose request timed out is retired: its session may still apply that seq later.
    if (timedOut || this.idle.length >= MAX_IDLE_SLOTS) this.slots.delete(slot.clientId);
    else this.idle.push(slot);
  }

  /**
   * Sends one KV operation to the node and waits for its reply (null on
   * timeout). With a session (the client's own id and sequence number) a retry
   * of the same operation, through any node, is applied at most once.
   */
  request(op: KvOp, readMode: ReadMode, timeoutMs: number, session: Session | null = null): Promise<ClientReply | null> {
    const slot = this.takeSlot();
    const clientId = session?.clientId ?? slot.clientId;
    const seq = session?.seq ?? ++slot.seq;
    this.inFlight++;
    return new Promise<ClientReply | null>((resolve) => {
      const timer = setTimeout(() => {
        slot.waiter = null;
        finish(null);
      }, timeoutMs);
      const finish = (r: ClientReply | null): void => {
        clearTimeout(timer);
        this.inFlight--;
        this.putBack(slot, r === null);
        resolve(r);
      };
      slot.waiter = { seq, resolve: finish };
      this.deps.deliver(slot.clientId, { type: "ClientRequest", clientId, seq, op, readMode });
    });
  }

  adminRequest(request: MembershipChange, timeoutMs: number): Promise<AdminReply | null> {
    const requestId = ++this.adminSeq;
    this.inFlight++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.adminWaiters.delete(requestId);
        done(null);
      }, timeoutMs);
      const done = (r: AdminReply | null): void => {
        clearTimeout(timer);
        this.inFlight--;
        resolve(r);
      };
      this.adminWaiters.set(requestId, done);
      this.deps.deliver(this.adminId, { type: "AdminRequest", requestId, request });
    });
  }

  // ------------------------------------------------------------- status

  status(): { [key: string]: Json } {
    const s = this.node?.state;
    if (s === undefined) return { role: "starting" };
    const followers: { [id: string]: Json } = {};
    if (s.role === "leader") {
      for (const [id, p] of s.progress) {
        followers[id] = { matchIndex: p.matchIndex, nextIndex: p.nextIndex, mode: p.mode, lagEntries: Math.max(0, s.log.lastIndex() - p.matchIndex) };
      }
    }
    return {
      role: s.role,
      term: s.currentTerm,
      leader: s.role === "leader" ? s.id : s.leaderId,
      votedFor: s.votedFor,
      commitIndex: s.commitIndex,
      appliedIndex: s.lastApplied,
      log: { first: s.log.firstIndex(), last: s.log.lastIndex() },
      snapshotIndex: s.log.snapshotIndex,
      membership: { voters: [...s.cluster.voters], votersOutgoing: [...s.cluster.votersOutgoing], learners: [...s.cluster.learners] },
      followers,
      pending: { writes: s.kv.pendingWrites.size, reads: s.kv.pendingReads.length, http: this.inFlight },
      keys: s.kv.data.size,
    };
  }

  // --------------------------------------------------------------- HTTP

  private leaderUrl(leader: NodeId | null, path: string, search: string): string | null {
    if (leader === null) return null;
    const n = this.deps.cluster().nodes.find((x) => x.id === leader);
    return n === undefined ? null : `http://${LOOPBACK}:${n.httpPort}${path}${search}`;
  }

  /** Maps a ClientReply error (or no reply) to an HTTP answer. */
  private replyError(res: ServerResponse, url: URL, reply: ClientReply | null): void {
    this.httpErrors.inc();
    if (reply === null) {
      return sendError(res, 504, "timeout", "no answer from the cluster in time; the operation may or may not have taken effect (retry is safe for get, not for a blind put)");
    }
    if (reply.ok) return;
    switch (reply.error) {
      case "not_leader": {
        const leader = reply.leaderHint;
        const target = this.leaderUrl(leader, url.pathname, url.search);
        if (target === null) {
          return sendError(res, 503, "no_leader", "this node is not the leader and knows no leader yet (an election may be under way); retry shortly", { node: this.deps.id }, { "retry-after": "1" });
        }
        return sendError(res, 307, "not_leader", `this node (${this.deps.id}) is not the leader; ${leader} is`, { leader, leaderUrl: target }, { location: target });
      }
      case "busy":
        return sendError(res, 503, "busy", "the leader's proposal queue is full; back off and retry", {}, { "retry-after": "1" });
      case "too_large":
        return sendError(res, 413, "too_large", `key over ${this.config.maxKeyBytes} bytes or value over ${this.config.maxValueBytes} bytes`);
      case "bad_request":
        return sendError(res, 400, "bad_request", "the node rejected the request as malformed");
    }
  }

  private timeoutOf(url: URL): number {
    const t = Number(url.searchParams.get("timeout_ms") ?? DEFAULT_REQUEST_TIMEOUT_MS);
    return Number.isFinite(t) && t > 0 ? Math.min(t, MAX_REQUEST_TIMEOUT_MS) : DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** The key of /kv/{key}, or an error already sent. */
  private keyOf(res: ServerResponse, url: URL): string | null {
    let key: string;
    try {
      key = decodeURIComponent(url.pathname.slice("/kv/".length));
    } catch {
      sendError(res, 400, "bad_key", "the key is not valid percent-encoding");
      return null;
    }
    if (key.length === 0) {
      sendError(res, 400, "bad_key", "empty key: use /kv/{key}");
      return null;
    }
    if (/[\u0000-\u001f\u007f]/.test(key)) {
      sendError(res, 400, "bad_key", "keys may not contain control characters");
      return null;
    }
    if (key.length > this.config.maxKeyBytes) {
      sendError(res, 413, "too_large", `key of ${key.length} chars exceeds maxKeyBytes ${this.config.maxKeyBytes}`);
      return null;
    }
    return key;
  }

  /** The session headers, if given; undefined when they are malformed (error already sent). */
  private sessionOf(req: IncomingMessage, res: ServerResponse): Session | null | undefined {
    const id = req.headers["x-raft-client-id"];
    const seq = req.headers["x-raft-seq"];
    if (id === undefined && seq === undefined) return null;
    const n = Number(seq);
    if (typeof id !== "string" || !/^[A-Za-z0-9._:-]{1,128}$/.test(id) || id.startsWith("http-") || !Number.isSafeInteger(n) || n < 1) {
      this.httpErrors.inc();
      sendError(res, 400, "bad_session", "x-raft-client-id must be 1-128 chars of [A-Za-z0-9._:-] (not starting with http-) and x-raft-seq an integer >= 1, both or neither");
      return undefined;
    }
    return { clientId: id, seq: n };
  }

  private overloaded(res: ServerResponse): boolean {
    if (this.inFlight < this.config.maxPendingRequests) return false;
    this.httpErrors.inc();
    sendError(res, 503, "busy", `this node already holds ${this.inFlight} requests; back off and retry`, {}, { "retry-after": "1" });
    return true;
  }

  private async put(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const t0 = performance.now();
    const key = this.keyOf(res, url);
    if (key === null) return void req.resume();
    let body: Buffer;
    try {
      body = await readBody(req, this.config.maxValueBytes * 4);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      this.httpErrors.inc();
      return sendError(res, 413, "too_large", `${err.message}; values are limited to ${this.config.maxValueBytes} bytes`, {}, { connection: "close" });
    }
    const value = body.toString("utf8");
    if (value.length > this.config.maxValueBytes) {
      this.httpErrors.inc();
      return sendError(res, 413, "too_large", `value of ${value.length} chars exceeds maxValueBytes ${this.config.maxValueBytes}`);
    }
    const session = this.sessionOf(req, res);
    if (session === undefined || this.overloaded(res)) return;
    const reply = await this.request({ op: "set", key, value }, "linearizable", this.timeoutOf(url), session);
    this.requestSeconds.put.observe((performance.now() - t0) / 1000);
    if (reply === null || !reply.ok) return this.replyError(res, url, reply);
    sendJson(res, 200, { key, prev: reply.result.value, servedBy: reply.servedBy });
  }

  private async get(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    req.resume();
    const t0 = performance.now();
    const key = this.keyOf(res, url);
    if (key === null || this.overloaded(res)) return;
    const p = url.searchParams;
    const mode: ReadMode = isTrue(p.get("stale")) ? "stale" : isTrue(p.get("lease")) ? "lease" : "linearizable";
    const reply = await this.request({ op: "get", key }, mode, this.timeoutOf(url));
    this.requestSeconds.get.observe((performance.now() - t0) / 1000);
    if (reply === null || !reply.ok) return this.replyError(res, url, reply);
    const value = reply.result.value;
    const headers = { "x-raft-served-by": reply.servedBy, "x-raft-stale": String(reply.stale) };
    if (p.has("raw")) {
      if (value === null) return sendError(res, 404, "not_found", `no key "${key}"`, { key }, headers);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": Buffer.byteLength(value), ...headers });
      return void res.end(value);
    }
    if (value === null) return sendError(res, 404, "not_found", `no key "${key}"`, { key, servedBy: reply.servedBy, stale: reply.stale }, headers);
    sendJson(res, 200, { key, value, servedBy: reply.servedBy, stale: reply.stale }, headers);
  }

  private async del(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    req.resume();
    const t0 = performance.now();
    const key = this.keyOf(res, url);
    if (key === null) return;
    const session = this.sessionOf(req, res);
    if (session === undefined || this.overloaded(res)) return;
    const reply = await this.request({ op: "del", key }, "linearizable", this.timeoutOf(url), session);
    this.requestSeconds.del.observe((performance.now() - t0) / 1000);
    if (reply === null || !reply.ok) return this.replyError(res, url, reply);
    sendJson(res, 200, { key, prev: reply.result.value, servedBy: reply.servedBy });
  }

  private async members(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const t0 = performance.now();
    let change: MembershipChange;
    try {
      change = parseChange(JSON.parse((await readBody(req, 64 * 1024)).toString("utf8")));
    } catch (err) {
      this.httpErrors.inc();
      return sendError(res, 400, "bad_request", `body must be {"change":"addServer"|"removeServer"|"transferLeadership","server":"nX"} or {"change":"joint","voters":[...]}: ${(err as Error).message}`);
    }
    const reply = await this.adminRequest(change, this.timeoutOf(url));
    this.requestSeconds.admin.observe((performance.now() - t0) / 1000);
    if (reply === null) {
      this.httpErrors.inc();
      return sendError(res, 504, "timeout", "no answer in time; the change may still happen: check /status");
    }
    if (reply.ok) return sendJson(res, 200, { ok: true, config: reply.config });
    this.httpErrors.inc();
    if (reply.error === "not_leader") {
      const target = this.leaderUrl(reply.leaderHint, url.pathname, url.search);
      if (target === null) return sendError(res, 503, "no_leader", "no leader is known yet; retry shortly", {}, { "retry-after": "1" });
      return sendError(res, 307, "not_leader", `${this.deps.id} is not the leader; ${reply.leaderHint} is`, { leader: reply.leaderHint, leaderUrl: target }, { location: target });
    }
    const status = reply.error === "in_progress" || reply.error === "rejected" ? 409 : reply.error === "busy" ? 503 : 400;
    sendError(res, status, reply.error, reply.detail, { leader: reply.leaderHint });
  }

  routes(): Route[] {
    return [
      { method: "PUT", prefix: "/kv/", handler: (q, r, u) => this.put(q, r, u) },
      { method: "POST", prefix: "/kv/", handler: (q, r, u) => this.put(q, r, u) },
      { method: "GET", prefix: "/kv/", handler: (q, r, u) => this.get(q, r, u) },
      { method: "DELETE", prefix: "/kv/", handler: (q, r, u) => this.del(q, r, u) },
      { method: "POST", prefix: "/admin/members", exact: true, handler: (q, r, u) => this.members(q, r, u) },
    ];
  }
}

function isTrue(v: string | null): boolean {
  return v !== null && v !== "false" && v !== "0";
}

function parseChange(v: unknown): MembershipChange {
  if (typeof v !== "object" || v === null) throw new Error("not an object");
  const o = v as { change?: unknown; server?: unknown; voters?: unknown };
  switch (o.change) {
    case "addServer":
    case "removeServer":
    case "transferLeadership":
      if (typeof o.server !== "string" || o.server === "") throw new Error(`"${o.change}" needs "server"`);
      return { change: o.change, server: o.server };
    case "joint":
      if (!Array.isArray(o.voters) || !o.voters.every((x) => typeof x === "string")) throw new Error(`"joint" needs "voters": [ids]`);
      return { change: "joint", voters: o.voters as string[] };
    default:
      throw new Error(`unknown change ${JSON.stringify(o.change)}`);
  }
}
