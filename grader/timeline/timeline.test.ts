import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { launchChromium, watchPage } from "./browser.ts";
import { failingElectionRun, longRun } from "./fixture.ts";
import { ARROW_DROPPED, ARROW_DUPLICATE, ARROW_SEND_UNSEEN, buildTimelineModel } from "./model.ts";
import { renderTimelineHtml } from "./render.ts";

const OUT_DIR = join(tmpdir(), "raft-workbook-test-output", "timeline");
const HERE = dirname(fileURLToPath(import.meta.url));

describe("timeline model", () => {
  const run = failingElectionRun();
  const model = buildTimelineModel(run.jsonl);

  test("one lane per node, one message per send, drops and duplicates counted", () => {
    expect(model.lanes).toEqual(["n1", "n2", "n3"]);
    expect(model.counts.messages).toBe(run.sends);
    expect(model.counts.dropped).toBe(run.drops);
    expect(model.counts.duplicated).toBe(run.dupes);
    expect(model.arrows.flags.filter((f) => f & ARROW_DROPPED).length).toBe(run.drops);
    expect(model.arrows.flags.filter((f) => f & ARROW_DUPLICATE).length).toBeGreaterThan(0);
  });

  test("role bands come from role log events and state records, in term order", () => {
    const n1 = model.bands.filter((b) => b.lane === 0).map((b) => `${b.role}/${b.term}`);
    expect(n1).toEqual(["follower/0", "candidate/1", "leader/1"]);
    // n3 crashed and restarted: a down span, then a fresh follower band.
    expect(model.outages.some((o) => o.lane === 2 && o.kind === "down" && o.t0 === 640 && o.t1 === 740)).toBe(true);
    expect(model.outages.some((o) => o.lane === 1 && o.kind === "paused" && o.t0 === 420)).toBe(true);
  });

  test("partitions and one-way cuts become network segments with sides", () => {
    const iso = model.net.find((s) => s.t0 === 300)!;
    expect(iso.label).toBe("{n1,n2} | {n3}");
    expect(iso.comp).toEqual([0, 0, 1]);
    const cut = model.net.find((s) => s.t0 === 620)!;
    expect(cut.label).toBe("n1↛n2");
    expect(cut.oneWay).toEqual([0, 1]);
  });

  test("the grader's failure line points at the event that exposed it", () => {
    expect(model.failure).not.toBeNull();
    expect(model.failure!.rule).toBe("election-safety");
    const ev = model.events[model.failure!.pos];
    expect(ev.i).toBe(run.failure!.eventIndex);
    expect(ev.k).toBe("log");
  });

  test("tolerates unknown kinds, broken lines, ring traces and an empty trace", () => {
    const jsonl = [
      '{"i":5,"t":10,"k":"deliver","from":"n1","to":"n2","id":3}',
      "not json",
      '{"i":6,"t":11,"k":"teleport","node":"n9"}',
      '{"i":7,"t":12,"k":"state","node":"n2","state":{"role":"Leader","currentTerm":4}}',
    ].join("\n");
    const m = buildTimelineModel(jsonl);
    expect(m.lanes).toEqual(["n1", "n2", "n9"]);
    expect(m.counts.badLines).toBe(1);
    expect(m.counts.unknownKinds).toBe(1);
    expect(m.arrows.flags[0] & ARROW_SEND_UNSEEN).toBeTruthy();
    expect(m.bands.find((b) => b.lane === 1)).toMatchObject({ role: "Leader", term: 4 });
    const empty = buildTimelineModel("");
    expect(empty.lanes).toEqual([]);
    expect(renderTimelineHtml("")).toContain('data-lanes="0"');
  });

  test("trace text cannot break out of the page's script element", () => {
    const html = renderTimelineHtml('{"i":0,"t":0,"k":"note","text":"</script><script>alert(1)</script>"}\n', { title: "<b>x</b>" });
    expect(html).not.toContain("</script><script>alert(1)");
    expect(html).toContain("<title>&#60;b&#62;x&#60;/b&#62;</title>");
  });
});

describe("npm run trace", () => {
  test("writes the page next to the trace and says what is in it", () => {
    mkdirSync(OUT_DIR, { recursive: true });
    const trace = join(OUT_DIR, "cli-run.jsonl");
    writeFileSync(trace, failingElectionRun().jsonl);
    const out = execFileSync(process.execPath, ["--import", "tsx", join(HERE, "..", "trace-cli.ts"), trace], { encoding: "utf8" });
    expect(out).toContain(join(OUT_DIR, "cli-run.html"));
    expect(out).toContain("failure: election-safety");
    expect(readFileSync(join(OUT_DIR, "cli-run.html"), "utf8")).toContain('id="violation"');
    const bad = spawnSync(process.execPath, ["--import", "tsx", join(HERE, "..", "trace-cli.ts")], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("usage: npm run trace");
  });
});

describe("timeline page in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(OUT_DIR, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test("draws lanes, messages and the violation with no console errors and no network", async () => {
    const run = failingElectionRun();
    const file = join(OUT_DIR, "failing-election.html");
    writeFileSync(file, renderTimelineHtml(run.jsonl, { title: "timeline test · election-safety · seed 7" }));
    const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
    const seen = watchPage(page);
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('#timeline[data-ready="true"]');

    const root = page.locator("#timeline");
    expect(await root.getAttribute("data-lanes")).toBe(String(run.lanes));
    expect(await root.getAttribute("data-messages")).toBe(String(run.sends));
    expect(await root.getAttribute("data-dropped")).toBe(String(run.drops));
    expect(Number(await root.getAttribute("data-drawn-arrows"))).toBeGreaterThanOrEqual(run.sends);
    const violation = page.locator("#violation");
    expect(await violation.isVisible()).toBe(true);
    expect(await violation.getAttribute("data-rule")).toBe("election-safety");
    expect(await violation.textContent()).toContain("two leaders in term 1");

    // Pinned at the failure on load: every node's state at that moment.
    const rows = page.locator("#inspector tbody tr");
    expect(await rows.count()).toBe(3);
    expect(await page.locator('#inspector tr[data-node="n1"]').textContent()).toContain("leader");
    expect(await page.locator("#event-list li.fail").count()).toBe(1);

    // Hover over the middle of the chart: the inspector follows the mouse.
    const box = (await page.locator("#chart").boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + 120);
    await page.waitForFunction(`document.querySelector("#inspector .tag")?.textContent === "hover"`);
    // Zoom in with the wheel, then hide a node.
    await page.mouse.wheel(0, -600);
    await page.locator('#node-filter label[data-node="n3"] input').uncheck();
    expect(await root.getAttribute("data-visible-lanes")).toBe("2");
    await page.locator('#node-filter label[data-node="n3"] input').check();
    await page.mouse.move(box.x + 5, box.y + 5);
    await page.locator("#zoom-fit").click();
    await page.waitForFunction(`document.querySelector("#inspector .tag")?.textContent === "pinned"`);

    // "[" steps back one event from the pinned failure.
    const current = () => page.locator("#event-list li.cur").textContent();
    await page.keyboard.press("[");
    await expect.poll(current).toContain(`#${run.failure!.eventIndex - 1} `);
    await page.keyboard.press("]");
    await expect.poll(current).toContain(`#${run.failure!.eventIndex} `);

    const shot = join(OUT_DIR, "failing-election.png");
    await page.screenshot({ path: shot, fullPage: true });
    await page.locator("#goto-failure").click();
    const zoomed = join(OUT_DIR, "failing-election-zoomed.png");
    await page.screenshot({ path: zoomed, fullPage: true });
    console.log(`timeline screenshots: ${shot} ${zoomed}`);
    expect(seen.errors).toEqual([]);
    expect(seen.requests).toEqual([]);
    await page.close();
  });

  test("a 50k-event run loads and redraws fast", async () => {
    const run = longRun(50_000);
    const file = join(OUT_DIR, "long-run.html");
    writeFileSync(file, renderTimelineHtml(run.jsonl, { title: `long run · ${run.events} events` }));
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const seen = watchPage(page);
    const started = performance.now();
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('#timeline[data-ready="true"]');
    const loadMs = performance.now() - started;
    // Zoomed out, 23k arrows would be a solid wall: the page draws per-lane density bars instead.
    expect(await page.locator("#timeline").getAttribute("data-density")).toBe("true");
    expect(await page.locator("#timeline").getAttribute("data-events")).toBe(String(run.events));
    // Time ten zoom steps in the page, each with its full redraw (in-page code as text: no DOM types here).
    const redrawMs = (await page.evaluate(`(async () => {
      const chart = document.getElementById("chart");
      const r = chart.getBoundingClientRect();
      const t0 = performance.now();
      for (let i = 0; i < 10; i++) {
        chart.dispatchEvent(new WheelEvent("wheel", { deltaY: i < 5 ? -300 : 300, clientX: r.left + r.width / 2, clientY: r.top + 80, bubbles: true, cancelable: true }));
        await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      }
      return (performance.now() - t0) / 10;
    })()`)) as number;
    const shot = join(OUT_DIR, "long-run.png");
    await page.screenshot({ path: shot });
    console.log(`long run: ${run.events} events, page load ${loadMs.toFixed(0)} ms, ${redrawMs.toFixed(1)} ms per zoom step (two frames each); ${shot}`);
    expect(seen.errors).toEqual([]);
    expect(loadMs).toBeLessThan(5000);
    expect(redrawMs).toBeLessThan(150);
    await page.close();
  });
});
