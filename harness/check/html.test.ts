// The picture of a violation, opened in a real headless Chromium: it loads with
// no console errors and no network requests, shows every operation, and marks
// exactly the failing one. Chromium is required: CI installs Debian's package.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHistory, type CheckResult } from "./check.ts";
import { generateKvHistory } from "./generate.ts";
import type { History } from "./history.ts";
import { renderHistoryHtml } from "./html.ts";
import { kvModel, registerModel, type Model } from "./model.ts";
import { parseJepsenEtcdLog } from "./parse.ts";
import { etcdDir } from "./testdata.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}; this test needs a real browser. Install it with: apt-get install -y chromium`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

interface Loaded {
  readonly page: Page;
  readonly problems: string[];
}

/** Opens a page, recording console errors, uncaught exceptions and any request leaving the page. */
async function open(html: string): Promise<Loaded> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.route("**/*", (route) => {
    problems.push(`request: ${route.request().url()}`);
    return route.abort();
  });
  await page.setContent(html, { waitUntil: "load" });
  return { page, problems };
}

async function render<S, I, O>(model: Model<S, I, O>, history: History<I, O>): Promise<Loaded & { result: CheckResult }> {
  const result = checkHistory(model, history);
  return { ...(await open(renderHistoryHtml(model, history, result, { title: "test" }))), result };
}

describe("HTML picture of a history, in headless Chromium", () => {
  it("etcd_000: every operation drawn, the failing one marked, the core outlined, no console errors", async () => {
    const history = parseJepsenEtcdLog(readFileSync(join(etcdDir, "etcd_000.log"), "utf8"), "etcd_000.log");
    const { page, problems, result } = await render(registerModel, history);
    expect(result.verdict).toBe("illegal");
    const v = result.violation;
    if (v === undefined) throw new Error("no violation");
    expect(await page.locator("g.op").count()).toBe(history.operations.length);
    const failing = page.locator("g.op.failing");
    expect(await failing.count()).toBe(1);
    expect(await failing.getAttribute("data-op-id")).toBe(String(v.failingOpId));
    expect(await page.locator("g.op.core").count()).toBe(v.coreOpIds.length);
    expect(await page.locator(".lin-point").count()).toBe(result.partitions[0].linearization.length);
    expect(await page.locator("body").getAttribute("data-verdict")).toBe("illegal");
    expect(await page.locator("#explanation").textContent()).toContain("<- fails here");
    // Clicking an operation shows its details.
    await failing.locator("rect").click({ force: true });
    expect(await page.locator("#detail").textContent()).toContain(`#${v.failingOpId} `);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a KV history with a broken read: one section per key, the failing key first", async () => {
    const base = generateKvHistory({ seed: 7, clients: 10, operations: 400, keys: 4, infoProbability: 0.05, failProbability: 0.02 });
    const victim = base.operations.find((op) => op.status === "ok" && op.input.op === "get" && op.input.key === "k2");
    if (victim === undefined) throw new Error("no read of k2");
    const history = { ...base, operations: base.operations.map((op) => (op.id === victim.id ? { ...op, output: { value: "bogus" } } : op)) };
    const { page, problems, result } = await render(kvModel, history);
    expect(result.verdict).toBe("illegal");
    expect(await page.locator("section.partition").count()).toBe(4);
    expect(await page.locator("section.partition").first().getAttribute("data-key")).toBe("k2");
    expect(await page.locator("g.op").count()).toBe(history.operations.length);
    expect(await page.locator("g.op.failing").getAttribute("data-op-id")).toBe(String(victim.id));
    expect(await page.locator("g.op.fail").count()).toBe(history.operations.filter((op) => op.status === "fail").length);
    expect(await page.locator("g.op.info").count()).toBe(history.operations.filter((op) => op.status === "info").length);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a linearizable history shows its whole linearization and nothing failing", async () => {
    const history = generateKvHistory({ seed: 3, clients: 5, operations: 120, keys: 2 });
    const { page, problems, result } = await render(kvModel, history);
    expect(result.verdict).toBe("ok");
    expect(await page.locator("g.op.failing").count()).toBe(0);
    const points = result.partitions.reduce((n, p) => n + p.linearization.length, 0);
    expect(await page.locator(".lin-point").count()).toBe(points);
    expect(problems).toEqual([]);
    await page.close();
  });
});
