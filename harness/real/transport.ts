// Messages between node processes: TCP on 127.0.0.1, one outbound connection
// per peer (we send on ours, the peer replies on its own), frames of a 4-byte
// big-endian length and a UTF-8 JSON text. The first frame on a connection is
// a hello naming the sender. Reconnects with backoff; every queue is bounded
// and a message that does not fit is dropped and counted: Raft retries what
// matters, and a stale message is worth less than memory.
import { type Server, type Socket, createConnection, createServer } from "node:net";
import type { NodeId } from "../types.ts";

export const LOOPBACK = "127.0.0.1";

export interface TransportLimits {
  /** Bytes unsent in a connected peer's socket before new messages are dropped. */
  maxQueueBytesPerPeer: number;
  /**
   * Bytes kept for a peer that is not connected (down, restarting). Small on
   * purpose: what waits for a dead peer is stale by the time it is back, and a
   * restarted node should not wade through a backlog of old heartbeats.
   */
  maxQueueBytesWhileDown: number;
  /** The largest frame accepted from a peer; a bigger one closes the connection. */
  maxFrameBytes: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** A connection attempt that takes longer than this is abandoned. */
  connectTimeoutMs: number;
}

export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = {
  maxQueueBytesPerPeer: 8 * 1024 * 1024,
  maxQueueBytesWhileDown: 256 * 1024,
  maxFrameBytes: 32 * 1024 * 1024,
  reconnectMinMs: 20,
  reconnectMaxMs: 300,
  connectTimeoutMs: 1000,
};

export interface TransportStats {
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  droppedQueueFull: number;
  droppedNoAddress: number;
  connects: number;
  connectFailures: number;
}

/** Where a peer listens, or undefined if unknown. */
export type AddressBook = (peer: NodeId) => number | undefined;

function frame(text: string): Buffer {
  const len = Buffer.byteLength(text, "utf8");
  const buf = Buffer.allocUnsafe(4 + len);
  buf.writeUInt32BE(len, 0);
  buf.write(text, 4, "utf8");
  return buf;
}

class PeerLink {
  socket: Socket | null = null;
  connected = false;
  /** Frames waiting for the connection. */
  queue: Buffer[] = [];
  queuedBytes = 0;
  backoffMs: number;
  nextAttemptMs = 0;
  retryScheduled = false;
  constructor(
    readonly peer: NodeId,
    limits: TransportLimits,
  ) {
    this.backoffMs = limits.reconnectMinMs;
  }
}

/** Splits a byte stream into frames. */
class FrameReader {
  private chunks: Buffer[] = [];
  private bytes = 0;
  /** Bytes needed before the next frame is complete (0: unknown until 4 header bytes are in). */
  private need = 0;
  constructor(private readonly maxFrameBytes: number) {}

  /** Adds data and returns the complete frames, or throws on a frame over the limit. */
  push(data: Buffer): string[] {
    this.chunks.push(data);
    this.bytes += data.length;
    const out: string[] = [];
    // A large frame arrives in many reads: wait for all of it before concatenating.
    if (this.bytes < 4 || this.bytes < this.need) return out;
    const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    let pos = 0;
    this.need = 0;
    while (buf.length - pos >= 4) {
      const len = buf.readUInt32BE(pos);
      if (len > this.maxFrameBytes) throw new RangeError(`frame of ${len} bytes exceeds maxFrameBytes ${this.maxFrameBytes}`);
      if (buf.length - pos - 4 < len) {
        this.need = 4 + len;
        break;
      }
      out.push(buf.toString("utf8", pos + 4, pos + 4 + len));
      pos += 4 + len;
    }
    const rest = buf.subarray(pos);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.bytes = rest.length;
    return out;
  }
}

export class Transport {
  readonly stats: TransportStats = {
    framesSent: 0,
    bytesSent: 0,
    framesReceived: 0,
    droppedQueueFull: 0,
    droppedNoAddress: 0,
    connects: 0,
    connectFailures: 0,
  };
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly inbound = new Set<Socket>();
  private server: Server | null = null;
  private closed = false;
  private corked: Socket[] = [];

  constructor(
    readonly id: NodeId,
    private readonly addresses: AddressBook,
    /** Called for each message that arrives, with its sender. */
    private readonly onFrame: (from: NodeId, text: string) => void,
    private readonly limits: TransportLimits = DEFAULT_TRANSPORT_LIMITS,
  ) {}

  /** Listens for peers on 127.0.0.1:port. Rejects with a clear message if the port is taken. */
  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((sock) => this.accept(sock));
      server.once("error", (err: NodeJS.ErrnoException) => {
        reject(
          err.code === "EADDRINUSE"
            ? new Error(`${this.id}: peer port ${LOOPBACK}:${port} is already in use (another cluster or process holds it); stop it or choose other ports`)
            : err,
        );
      });
      server.listen({ host: LOOPBACK, port, exclusive: true }, () => {
        this.server = server;
        const addr = server.address();
        resolve(typeof addr === "object" && addr !== null ? addr.port : port);
      });
    });
  }

  private accept(sock: Socket): void {
    if (this.closed) {
      sock.destroy();
      return;
    }
    this.inbound.add(sock);
    sock.setNoDelay(true);
    const reader = new FrameReader(this.limits.maxFrameBytes);
    let from: NodeId | null = null;
    sock.on("data", (data: Buffer) => {
      let frames: string[];
      try {
        frames = reader.push(data);
      } catch {
        sock.destroy();
        return;
      }
      for (const text of frames) {
        if (from === null) {
          const hello = parseHello(text);
          if (hello === null) {
            sock.destroy();
            return;
          }
          from = hello;
          continue;
        }
        this.stats.framesReceived++;
        this.onFrame(from, text);
      }
    });
    sock.on("error", () => {});
    sock.on("close", () => this.inbound.delete(sock));
  }

  /** Queues a message for a peer; never blocks, drops when the peer's queue is full. */
  send(to: NodeId, text: string): void {
    if (this.closed) return;
    let link = this.links.get(to);
    if (link === undefined) {
      link = new PeerLink(to, this.limits);
      this.links.set(to, link);
    }
    const buf = frame(text);
    if (link.connected && link.socket !== null) {
      if (link.socket.writableLength + buf.length > this.limits.maxQueueBytesPerPeer) {
        this.stats.droppedQueueFull++;
        return;
      }
      this.cork(link.socket);
      link.socket.write(buf);
      this.stats.framesSent++;
      this.stats.bytesSent += buf.length;
      return;
    }
    if (link.queuedBytes + buf.length > this.limits.maxQueueBytesWhileDown) {
      this.stats.droppedQueueFull++;
      return;
    }
    link.queue.push(buf);
    link.queuedBytes += buf.length;
    this.maybeConnect(link);
  }

  /** Writes made in one turn go out together (one writev per socket). */
  private cork(sock: Socket): void {
    if (sock.writableCorked > 0) return;
    sock.cork();
    if (this.corked.length === 0) {
      process.nextTick(() => {
        const socks = this.corked;
        this.corked = [];
        for (const s of socks) s.uncork();
      });
    }
    this.corked.push(sock);
  }

  private maybeConnect(link: PeerLink): void {
    if (link.socket !== null || this.closed) return;
    const nowMs = performance.now();
    if (nowMs < link.nextAttemptMs) {
      if (!link.retryScheduled) {
        link.retryScheduled = true;
        setTimeout(() => {
          link.retryScheduled = false;
          this.maybeConnect(link);
        }, link.nextAttemptMs - nowMs + 1).unref();
      }
      return;
    }
    const port = this.addresses(link.peer);
    if (port === undefined) {
      this.stats.droppedNoAddress += link.queue.length;
      link.queue = [];
      link.queuedBytes = 0;
      link.nextAttemptMs = nowMs + this.limits.reconnectMaxMs;
      return;
    }
    const sock = createConnection({ host: LOOPBACK, port });
    link.socket = sock;
    sock.setNoDelay(true);
    sock.setTimeout(this.limits.connectTimeoutMs);
    sock.on("timeout", () => {
      if (!link.connected) sock.destroy();
    });
    sock.on("connect", () => {
      sock.setTimeout(0);
      link.connected = true;
      link.backoffMs = this.limits.reconnectMinMs;
      this.stats.connects++;
      this.cork(sock);
      sock.write(frame(JSON.stringify({ hello: this.id })));
      for (const buf of link.queue) {
        sock.write(buf);
        this.stats.framesSent++;
        this.stats.bytesSent += buf.length;
      }
      link.queue = [];
      link.queuedBytes = 0;
    });
    // A peer never writes on our outbound connection; reading keeps the socket healthy.
    sock.on("data", () => {});
    sock.on("error", () => {});
    sock.on("close", () => {
      if (!link.connected) this.stats.connectFailures++;
      link.socket = null;
      link.connected = false;
      link.nextAttemptMs = performance.now() + link.backoffMs;
      link.backoffMs = Math.min(link.backoffMs * 2, this.limits.reconnectMaxMs);
      if (link.queue.length > 0) this.maybeConnect(link);
    });
  }

  /** Peers with a live outbound connection. */
  connectedPeers(): NodeId[] {
    return [...this.links.values()].filter((l) => l.connected).map((l) => l.peer);
  }

  close(): Promise<void> {
    this.closed = true;
    for (const link of this.links.values()) link.socket?.destroy();
    for (const sock of this.inbound) sock.destroy();
    const server = this.server;
    this.server = null;
    return new Promise((resolve) => (server === null ? resolve() : server.close(() => resolve())));
  }
}

function parseHello(text: string): NodeId | null {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === "object" && v !== null && "hello" in v && typeof v.hello === "string") return v.hello;
  } catch {
    // not a hello
  }
  return null;
}
