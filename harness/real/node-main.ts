// One node process: `node --import tsx harness/real/node-main.ts --dir DIR --id n1`.
// Reads DIR/cluster.json, opens its storage in DIR/n1/data, listens for peers
// and for HTTP on 127.0.0.1, and runs the node on the real-time Env. Logs are
// JSON lines on stdout. SIGTERM/SIGINT: a clean stop (everything synced).
// Exit codes: 0 clean stop, 2 bad usage, 3 storage refused to open, 4 a port
// is taken, 70 the node failed (threw, or an fsync failed).
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { isAbsolute, join } from "node:path";
import { heartbeatFactory, type HeartbeatMsg } from "../examples/heartbeat.ts";
import type { Msg } from "../raft/messages.ts";
import type { Json, NodeFactory, NodeId } from "../types.ts";
import { type Route, sendError, sendJson, startHttp } from "./http.ts";
import { KvService } from "./kv-service.ts";
import { type ClusterFile, clusterPath, dataDir, findNode, readCluster } from "./layout.ts";
import { Registry } from "./metrics.ts";
import { RealRuntime, type RuntimeHooks } from "./runtime.ts";
import { CorruptStorageError, FileStorage } from "./storage.ts";
import { Transport } from "./transport.ts";

/** Node events too frequent to log one line each (they are counted in metrics instead). */
const QUIET_EVENTS = new Set(["commit", "kv.exec"]);
/** The address book is re-read from cluster.json at most this often when a peer is unknown. */
const ADDRESS_RELOAD_MS = 200;

interface Args {
  dir: string;
  id: NodeId;
  watchPid: number | null;
  maxLifetimeMs: number | null;
  acceptDataLoss: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dir = get("--dir");
  const id = get("--id");
  if (dir === undefined || id === undefined) {
    console.error("usage: node --import tsx harness/real/node-main.ts --dir DIR --id nX [--watch-pid PID] [--max-lifetime-ms MS] [--accept-data-loss]");
    process.exit(2);
  }
  const num = (v: string | undefined): number | null => (v === undefined ? null : Number(v));
  return { dir, id, watchPid: num(get("--watch-pid")), maxLifetimeMs: num(get("--max-lifetime-ms")), acceptDataLoss: argv.includes("--accept-data-loss") };
}

function log(id: NodeId, event: string, fields: { [key: string]: Json } = {}): void {
  process.stdout.write(JSON.stringify({ t: new Date().toISOString(), node: id, event, ...fields }) + "\n");
}

function die(id: NodeId, code: number, event: string, message: string): never {
  log(id, event, { error: message });
  process.stderr.write(message.startsWith(`${id}:`) ? `${message}\n` : `${id}: ${message}\n`);
  process.exit(code);
}

/** What a kind of node adds to the generic process: its factory, routes and status. */
interface Service<M> {
  factory: NodeFactory<M>;
  routes: Route[];
  status(): { [key: string]: Json };
  hooks: Pick<RuntimeHooks<M>, "isLocal" | "deliverLocal" | "afterEvent">;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { id } = args;
  let cluster: ClusterFile;
  try {
    cluster = readCluster(args.dir);
  } catch (err) {
    die(id, 2, "bad-cluster", (err as Error).message);
  }
  const me = findNode(cluster, id);
  let lastReloadMs = 0;
  const currentCluster = (): ClusterFile => cluster;
  const addressOf = (peer: NodeId): number | undefined => {
    let n = cluster.nodes.find((x) => x.id === peer);
    if (n === undefined && performance.now() - lastReloadMs > ADDRESS_RELOAD_MS) {
      lastReloadMs = performance.now();
      try {
        cluster = readCluster(args.dir);
      } catch {
        // keep the old address book
      }
      n = cluster.nodes.find((x) => x.id === peer);
    }
    return n?.peerPort;
  };

  let storage: FileStorage;
  try {
    storage = new FileStorage(dataDir(args.dir, id), { acceptDataLoss: args.acceptDataLoss, inlineFsync: process.env.RAFT_FSYNC !== "thread" });
  } catch (err) {
    if (err instanceof CorruptStorageError) die(id, 3, "storage-refused", err.message);
    throw err;
  }
  for (const note of storage.recovery) {
    log(id, "storage-recovered", { ...note });
    process.stderr.write(
      `${id}: ${note.file}: ${note.kind === "torn-tail" ? "torn last write" : "corruption (accepted)"} at byte ${note.atByte}; kept ${note.records} records, dropped ${note.droppedBytes} bytes (saved in ${note.savedTo})\n`,
    );
  }

  const registry = new Registry();
  // RAFT_LOG_MESSAGES=N logs the first N messages sent and received (for debugging and for the curious).
  let messagesToLog = Number(process.env.RAFT_LOG_MESSAGES ?? 0) || 0;
  const startedAt = new Date().toISOString();
  // The runtime is created below; the transport and service call into it.
  let runtime: RealRuntime<Msg> | RealRuntime<HeartbeatMsg> | null = null;
  const transport = new Transport(id, addressOf, (from, text) => {
    if (messagesToLog > 0) {
      messagesToLog--;
      log(id, "receive", { from, msg: text.length > 500 ? text.slice(0, 500) + "..." : text });
    }
    runtime?.deliverText(from, text);
  });

  let service: Service<Msg> | Service<HeartbeatMsg>;
  if (cluster.kind === "raft") {
    let kv: KvService;
    try {
      kv = new KvService({
        id,
        cluster: currentCluster,
        registry,
        deliver: (from, msg) => (runtime as RealRuntime<Msg> | null)?.deliver(from, msg),
      });
    } catch (err) {
      die(id, 2, "bad-cluster", `${clusterPath(args.dir)}: ${(err as Error).message}`);
    }
    service = {
      factory: kv.factory,
      routes: kv.routes(),
      status: () => kv.status(),
      hooks: { isLocal: (to) => kv.isLocal(to), deliverLocal: (to, msg) => kv.deliverLocal(to, msg), afterEvent: () => kv.afterEvent() },
    } satisfies Service<Msg>;
  } else {
    let node: ReturnType<ReturnType<typeof heartbeatFactory>> | null = null;
    const inner = heartbeatFactory({ peers: cluster.nodes.map((n) => n.id), heartbeatMs: 50, persistEvery: 10 });
    service = {
      factory: (env) => (node = inner(env)),
      routes: [],
      status: () => node?.inspect() ?? {},
      hooks: {},
    } satisfies Service<HeartbeatMsg>;
  }

  const hooks: RuntimeHooks<never> = {
    sendRemote: (to, text) => {
      if (messagesToLog > 0) {
        messagesToLog--;
        log(id, "send", { to, msg: text.length > 500 ? text.slice(0, 500) + "..." : text });
      }
      transport.send(to, text);
    },
    onLog: (event, fields) => {
      if (!QUIET_EVENTS.has(event)) log(id, event, fields);
    },
    onFatal: (err) => die(id, 70, "fatal", `${err.stack ?? err.message}`),
  };
  // The service decides the message type; the runtime is generic over it.
  const rt = new RealRuntime(id, service.factory as NodeFactory<never>, storage, { ...hooks, ...(service.hooks as RuntimeHooks<never>) }, registry);
  runtime = rt as RealRuntime<Msg>;

  registry.gauge("raft_transport_frames_sent_total", "Frames sent to peers.", () => transport.stats.framesSent);
  registry.gauge("raft_transport_dropped_total", "Messages dropped: peer queue full or peer address unknown.", () => transport.stats.droppedQueueFull + transport.stats.droppedNoAddress);
  registry.gauge("raft_transport_connected_peers", "Peers with a live outbound connection.", () => transport.connectedPeers().length);
  registry.gauge("raft_fsyncs_total", "Group-commit fsyncs made.", () => storage.fsyncs);
  registry.gauge("raft_storage_bytes_written_total", "Bytes written to storage files.", () => storage.bytesWritten);
  registry.gauge("raft_events_handled_total", "Messages and timers handled by the node.", () => rt.eventsHandled);

  const status = (): { [key: string]: Json } => ({
    id,
    pid: process.pid,
    kind: cluster.kind,
    startedAt,
    uptimeMs: Math.round(process.uptime() * 1000),
    ...service.status(),
    storage: { dir: storage.dir, files: storage.sizes(), fsyncs: storage.fsyncs, recovered: storage.recovery.map((n) => ({ ...n })) },
    transport: { ...transport.stats, connected: transport.connectedPeers() },
  });

  const routes: Route[] = [
    { method: "GET", prefix: "/status", exact: true, handler: (_q, res) => sendJson(res, 200, status()) },
    { method: "GET", prefix: "/health", exact: true, handler: (_q, res) => sendJson(res, 200, { ok: true, id }) },
    {
      method: "GET",
      prefix: "/metrics",
      exact: true,
      handler: (_q, res) => {
        const text = registry.render();
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4", "content-length": Buffer.byteLength(text) });
        res.end(text);
      },
    },
    {
      method: "POST",
      prefix: "/admin/backup",
      exact: true,
      handler: (req, res, url) => {
        req.resume();
        const to = url.searchParams.get("to");
        if (to === null || !isAbsolute(to)) return sendError(res, 400, "bad_request", "give ?to=/absolute/dir (a new or empty directory)");
        if (existsSync(to) && readdirSync(to).length > 0) return sendError(res, 409, "exists", `${to} is not empty; back up into a new directory`);
        // Between two handlers the storage is one consistent state: copy it as is.
        const files = storage.exportTo(join(to, "data"));
        const manifest = { version: 1, node: id, kind: cluster.kind, members: cluster.members, raft: cluster.raft, createdAt: new Date().toISOString(), status: status(), files };
        writeFileSync(join(to, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
        sendJson(res, 200, manifest as unknown as Json);
      },
    },
    ...service.routes,
  ];

  try {
    await transport.listen(me.peerPort);
  } catch (err) {
    die(id, 4, "port-in-use", (err as Error).message);
  }
  let server: Server;
  try {
    server = await startHttp(me.httpPort, routes, id);
  } catch (err) {
    die(id, 4, "port-in-use", (err as Error).message);
  }

  let stopping = false;
  const shutdown = (why: string): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 2000).unref();
    server.closeAllConnections();
    server.close();
    void rt
      .stop(true)
      .then(() => {
        storage.close();
        log(id, "stopped", { why });
        return transport.close();
      })
      .then(() => process.exit(0));
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  if (args.watchPid !== null) {
    const watched = args.watchPid;
    setInterval(() => {
      try {
        process.kill(watched, 0);
      } catch {
        shutdown(`watched process ${watched} is gone`);
      }
    }, 250).unref();
  }
  if (args.maxLifetimeMs !== null) setTimeout(() => shutdown(`max lifetime ${args.maxLifetimeMs} ms reached`), args.maxLifetimeMs).unref();

  rt.start();
  log(id, "started", { pid: process.pid, peerPort: me.peerPort, httpPort: me.httpPort, kind: cluster.kind, dir: storage.dir });
}

await main();
