// The peer transport on its own: frames arrive whole and in order, a peer
// that is down costs a bounded queue (then drops, counted), and the link
// reconnects by itself when the peer comes back.
import { describe, expect, it } from "vitest";
import { freePorts } from "./layout.ts";
import { sleep } from "./procs.ts";
import { DEFAULT_TRANSPORT_LIMITS, Transport } from "./transport.ts";

describe("Transport: TCP between node processes on 127.0.0.1", () => {
  it("delivers messages in order with the sender's id, large and small, split across TCP reads", async () => {
    const [pa, pb] = await freePorts(2);
    const got: [string, string][] = [];
    const book = (id: string): number | undefined => ({ a: pa, b: pb })[id];
    const a = new Transport("a", book, () => {});
    const b = new Transport("b", book, (from, text) => got.push([from, text]));
    try {
      await a.listen(pa);
      await b.listen(pb);
      // Connect first: while a peer is not connected only a little is kept for it.
      a.send("b", JSON.stringify({ i: -1 }));
      for (let i = 0; i < 100 && a.connectedPeers().length === 0; i++) await sleep(10);
      for (let i = 0; i < 100 && got.length === 0; i++) await sleep(10);
      got.length = 0;
      const big = "x".repeat(300_000);
      for (let i = 0; i < 200; i++) a.send("b", JSON.stringify({ i, pad: i === 100 ? big : "ü" }));
      for (let i = 0; i < 100 && got.length < 200; i++) await sleep(10);
      expect(got.map(([from]) => from).every((f) => f === "a")).toBe(true);
      expect(got.map(([, t]) => (JSON.parse(t) as { i: number }).i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect((JSON.parse(got[100][1]) as { pad: string }).pad).toHaveLength(300_000);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("queues for a peer that is down up to its byte limit, drops and counts the rest, and reconnects when it is back", async () => {
    const [pa, pb] = await freePorts(2);
    const book = (id: string): number | undefined => ({ a: pa, b: pb })[id];
    const limits = { ...DEFAULT_TRANSPORT_LIMITS, maxQueueBytesWhileDown: 10_000 };
    const a = new Transport("a", book, () => {}, limits);
    const got: string[] = [];
    let b: Transport | null = null;
    try {
      await a.listen(pa);
      for (let i = 0; i < 100; i++) a.send("b", JSON.stringify({ i, pad: "y".repeat(500) }));
      expect(a.stats.droppedQueueFull).toBeGreaterThan(70);
      await sleep(100); // a few failed connection attempts
      expect(a.stats.connectFailures).toBeGreaterThan(0);
      b = new Transport("b", book, (_from, text) => got.push(text));
      await b.listen(pb);
      for (let i = 0; i < 100 && got.length === 0; i++) {
        a.send("b", JSON.stringify({ i: 1000 + i }));
        await sleep(20);
      }
      expect(got.length).toBeGreaterThan(0);
      expect(a.connectedPeers()).toEqual(["b"]);
    } finally {
      await a.close();
      await b?.close();
    }
  });

  it("a taken port is reported with a clear message", async () => {
    const [p] = await freePorts(1);
    const a = new Transport("a", () => undefined, () => {});
    const b = new Transport("b", () => undefined, () => {});
    try {
      await a.listen(p);
      await expect(b.listen(p)).rejects.toThrow(/b: peer port 127\.0\.0\.1:\d+ is already in use/);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
