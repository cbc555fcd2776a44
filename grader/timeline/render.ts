// Renders a simulator trace as one self-contained HTML page: the model from
// model.ts as inline JSON, the viewer's CSS and JS inline, nothing fetched.
// A student can open the file from disk, mail it, or attach it to an issue.
import { readFileSync } from "node:fs";
import { buildTimelineModel, type TimelineModel } from "./model.ts";

export interface TimelineOptions {
  /** Shown as the page title and heading, e.g. "lab1 · election-under-partition · seed 42". */
  title?: string;
}

let assets: { css: string; js: string } | undefined;

function loadAssets(): { css: string; js: string } {
  assets ??= {
    css: readFileSync(new URL("./viewer.css", import.meta.url), "utf8"),
    js: readFileSync(new URL("./viewer.js", import.meta.url), "utf8"),
  };
  return assets;
}

/** The timeline page for a trace in JSON lines (harness/sim/trace.ts, plus the grader's failure line). */
export function renderTimelineHtml(jsonl: string, opts: TimelineOptions = {}): string {
  return renderModelHtml(buildTimelineModel(jsonl, opts));
}

export function renderModelHtml(model: TimelineModel): string {
  const { css, js } = loadAssets();
  const c = model.counts;
  const f = model.failure;
  const attrs = [
    `data-lanes="${model.lanes.length}"`,
    `data-messages="${c.messages}"`,
    `data-delivered="${c.delivered}"`,
    `data-dropped="${c.dropped}"`,
    `data-duplicated="${c.duplicated}"`,
    `data-events="${c.events}"`,
    `data-states="${c.states}"`,
    `data-failed="${f !== null}"`,
  ].join(" ");
  const summary = [
    `${model.lanes.length} ${model.lanes.length === 1 ? "node" : "nodes"}`,
    `${c.events} events`,
    `${c.messages} messages (${c.delivered} delivered, ${c.dropped} dropped, ${c.duplicated} duplicated)`,
    `t = ${model.tStart}–${model.tEnd} ms`,
  ].join(" · ");
  const violation =
    f === null
      ? ""
      : `<section id="violation" role="alert" data-rule="${esc(f.rule)}" data-event="${f.i}" data-time="${f.t}" data-node="${esc(f.node)}">
  <div class="v-head"><span class="v-icon" aria-hidden="true">✗</span> <strong>${esc(f.rule)}</strong>${f.section !== "" ? ` <span class="v-section">${esc(f.section)}</span>` : ""}</div>
  <p class="v-message">${esc(f.message)}</p>
  <p class="v-where">at event #${f.i}, t = ${f.t} ms${f.node !== "" ? `, on ${esc(f.node)}` : ""} <button type="button" id="goto-failure">Show the moment</button></p>
</section>`;
  const bad =
    model.badLines.length === 0
      ? ""
      : `<p class="bad-lines">${c.badLines} line(s) of the trace were not JSON records and are left out (first: line ${model.badLines[0].line}: <code>${esc(model.badLines[0].text)}</code>).</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(model.title)}</title>
<style>
${css}
</style>
</head>
<body>
<main id="timeline" ${attrs}>
<header class="top">
  <h1>${esc(model.title)}</h1>
  <p class="summary">${esc(summary)}</p>
</header>
${violation}
${bad}
<nav class="toolbar" aria-label="Timeline controls">
  <div class="group zoom">
    <button type="button" id="zoom-out" title="Zoom out (-)">−</button>
    <button type="button" id="zoom-in" title="Zoom in (+)">+</button>
    <button type="button" id="zoom-fit" title="Whole run (0)">Fit</button>
    <span id="view-range" class="muted"></span>
  </div>
  <fieldset class="group" id="node-filter"><legend>Nodes</legend></fieldset>
  <fieldset class="group" id="type-filter"><legend>Messages</legend></fieldset>
  <fieldset class="group" id="mark-filter"><legend>Show</legend></fieldset>
</nav>
<div id="overview-wrap" title="Whole run: drag to move the view"><canvas id="overview" aria-label="Overview of the whole run"></canvas></div>
<div id="chart-wrap"><canvas id="chart" tabindex="0" aria-label="Timeline: one lane per node"></canvas><div id="tooltip" hidden></div></div>
<p class="hint muted">Wheel: zoom · drag: pan · hover: inspect · click: pin a moment · <kbd>[</kbd> <kbd>]</kbd>: step events · <kbd>Esc</kbd>: unpin</p>
<div class="panels">
  <section id="inspector" aria-live="polite"></section>
  <section id="nearby"><h2>Events around the moment</h2><ol id="event-list"></ol></section>
</div>
<details class="legend"><summary>Legend</summary><div id="legend-body"></div></details>
</main>
<script type="application/json" id="timeline-data">${jsonForScript(model)}</script>
<script>
${js}
</script>
</body>
</html>
`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** JSON that cannot end the script element early, whatever strings a trace holds. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}
