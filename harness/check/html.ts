// A picture of a checked history: one self-contained HTML file (inline CSS, SVG
// and a few lines of script; nothing fetched), one section per partition (key),
// one lane per client, each operation a bar from its call to its return, the
// linearization found drawn as numbered points joined by a line, and for a
// violation the operations that cannot be ordered outlined, the failing one red.

import type { CheckResult, PartitionResult } from "./check.ts";
import { formatTime, type History, type Operation, type TimeUnit } from "./history.ts";
import type { Model } from "./model.ts";

export interface HtmlOptions {
  /** Shown as the page title and heading. Default "Linearizability check". */
  readonly title?: string;
  /** Draw only partitions that are not linearizable or undecided. Default false (all). */
  readonly onlyProblems?: boolean;
}

const LANE_HEIGHT_PX = 30;
const BAR_HEIGHT_PX = 18;
const LEFT_PX = 12;
const LABELS_PX = 110;
const TOP_PX = 34;
const RIGHT_PX = 60;
const CHAR_WIDTH_PX = 6.1;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** Client names in a readable order: "c2" before "c10". Code-unit based, so the same everywhere. */
function compareNames(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    const nx = /^\d/.test(x) ? Number(x) : NaN;
    const ny = /^\d/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny) && nx !== ny) return nx - ny;
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
}

interface Section<I, O> {
  readonly key: string | null;
  readonly ops: readonly Operation<I, O>[];
  readonly result: PartitionResult | undefined;
}

function sections<S, I, O>(model: Model<S, I, O>, history: History<I, O>, result: CheckResult): Section<I, O>[] {
  const byKey = new Map<string, Operation<I, O>[]>();
  for (const op of history.operations) {
    const key = model.partition === undefined ? "" : model.partition(op.input);
    let ops = byKey.get(key);
    if (ops === undefined) byKey.set(key, (ops = []));
    ops.push(op);
  }
  const resultByKey = new Map(result.partitions.map((p) => [p.key ?? "", p]));
  const rank = (s: Section<I, O>): number => {
    const v = s.result?.verdict;
    return v === "illegal" ? 0 : v === "unknown" ? 1 : 2;
  };
  const order = (s: Section<I, O>): number => {
    const at = result.partitions.findIndex((p) => (p.key ?? "") === (s.key ?? ""));
    return at < 0 ? Infinity : at;
  };
  return [...byKey]
    .map(([key, ops]) => ({ key: model.partition === undefined ? null : key, ops, result: resultByKey.get(key) }))
    .sort((a, b) => rank(a) - rank(b) || order(a) - order(b) || ((a.key ?? "") < (b.key ?? "") ? -1 : 1));
}

function renderSection<S, I, O>(model: Model<S, I, O>, section: Section<I, O>, result: CheckResult, unit: TimeUnit): string {
  const violation = result.violation !== undefined && result.violation.key === section.key ? result.violation : undefined;
  const core = new Set(violation?.coreOpIds ?? []);
  const clients = [...new Set(section.ops.map((op) => op.clientId))].sort(compareNames);
  const laneOf = new Map(clients.map((c, i) => [c, i]));

  // An ordinal time axis: every distinct call or return time gets one column,
  // so bursts of activity stay readable next to long quiet stretches.
  const times = [...new Set(section.ops.flatMap((op) => (op.returnMs === null ? [op.callMs] : [op.callMs, op.returnMs])))].sort((a, b) => a - b);
  const column = new Map(times.map((t, i) => [t, i]));
  const stepPx = times.length <= 400 ? 30 : Math.max(6, Math.floor(12_000 / times.length));
  const x = (t: number): number => LEFT_PX + (column.get(t) as number) * stepPx + stepPx / 2;
  const endPx = LEFT_PX + times.length * stepPx + RIGHT_PX / 2;
  const widthPx = LEFT_PX + times.length * stepPx + RIGHT_PX;
  const heightPx = TOP_PX + clients.length * LANE_HEIGHT_PX + 10;
  const laneY = (c: string): number => TOP_PX + (laneOf.get(c) as number) * LANE_HEIGHT_PX;

  const parts: string[] = [];
  const labels: string[] = [`<text class="lane-head" x="8" y="${TOP_PX - 10}">client</text>`];
  clients.forEach((c, i) => {
    const y = TOP_PX + i * LANE_HEIGHT_PX;
    const lane = (w: number): string => `<rect class="lane${i % 2 === 0 ? "" : " alt"}" x="0" y="${y}" width="${w}" height="${LANE_HEIGHT_PX}"/>`;
    parts.push(lane(widthPx));
    labels.push(lane(LABELS_PX), `<text class="lane-label" x="8" y="${y + LANE_HEIGHT_PX / 2 + 4}">${escapeHtml(c)}</text>`);
  });
  const tickEvery = Math.max(1, Math.ceil(times.length / 25));
  times.forEach((t, i) => {
    if (i % tickEvery !== 0) return;
    const tx = x(t);
    parts.push(`<line class="tick" x1="${tx}" y1="${TOP_PX - 6}" x2="${tx}" y2="${heightPx - 10}"/>`);
    parts.push(`<text class="tick-label" x="${tx}" y="${TOP_PX - 10}">${escapeHtml(formatTime(t, unit).replace(" ms", ""))}</text>`);
  });

  for (const op of section.ops) {
    const desc = model.describeOperation(op.input, op.output);
    const x1 = x(op.callMs) - 3;
    const x2 = op.returnMs === null ? endPx : x(op.returnMs) + 3;
    const y = laneY(op.clientId) + (LANE_HEIGHT_PX - BAR_HEIGHT_PX) / 2;
    const classes = ["op", op.status];
    if (core.has(op.id)) classes.push("core");
    if (violation?.failingOpId === op.id) classes.push("failing");
    const span = `${formatTime(op.callMs, unit)} .. ${op.returnMs === null ? "open (outcome unknown)" : formatTime(op.returnMs, unit)}`;
    const tip = `#${op.id} ${op.clientId}: ${desc}${op.status === "fail" ? " (failed, no effect)" : ""}  [${span}]`;
    const w = Math.max(4, x2 - x1);
    // The full description if it fits, else a squeezed one ("read->2"), else nothing.
    const short = desc.replace(/\s+/g, "").replace("()", "");
    const text = desc.length * CHAR_WIDTH_PX < w - 6 ? desc : short.length * CHAR_WIDTH_PX < w - 6 ? short : "";
    const label = text === "" ? "" : `<text class="op-label" x="${x1 + 4}" y="${y + BAR_HEIGHT_PX / 2 + 4}">${escapeHtml(text)}</text>`;
    parts.push(
      `<g class="${classes.join(" ")}" data-op-id="${op.id}" data-client="${escapeHtml(op.clientId)}" data-desc="${escapeHtml(tip)}">` +
        `<title>${escapeHtml(tip)}</title><rect x="${x1}" y="${y}" width="${w}" height="${BAR_HEIGHT_PX}" rx="4"/>${label}</g>`,
    );
  }

  // Linearization points: each operation at the latest call among itself and its
  // predecessors in the order, nudged right to keep the order visible. That point
  // lies inside the operation's interval whenever the order respects real time.
  const linearization = section.result?.linearization ?? [];
  const byId = new Map(section.ops.map((op) => [op.id, op]));
  const points: string[] = [];
  let lastPx = -Infinity;
  linearization.forEach((id, k) => {
    const op = byId.get(id);
    if (op === undefined) return;
    const lo = x(op.callMs);
    const hi = op.returnMs === null ? endPx : x(op.returnMs);
    const px = Math.min(hi, Math.max(lo, lastPx + 2));
    lastPx = px;
    const py = laneY(op.clientId) + LANE_HEIGHT_PX / 2;
    points.push(`${px},${py}`);
    parts.push(`<circle class="lin-point" data-op-id="${id}" cx="${px}" cy="${py}" r="3.5"><title>step ${k + 1}: #${id}</title></circle>`);
  });
  if (points.length > 1) parts.splice(clients.length, 0, `<polyline class="lin-path" points="${points.join(" ")}"/>`);

  const verdict = section.result?.verdict ?? "skipped";
  const verdictText =
    verdict === "ok" ? "linearizable" : verdict === "illegal" ? "NOT linearizable" : verdict === "unknown" ? "unknown (timeout)" : "not checked";
  const title = section.key === null ? "history" : `key ${escapeHtml(JSON.stringify(section.key))}`;
  const linNote =
    linearization.length === 0
      ? ""
      : verdict === "ok"
        ? `linearization: ${linearization.length} steps`
        : `longest linearizable prefix found: ${linearization.length} steps`;
  return (
    `<section class="partition ${verdict}" data-key="${escapeHtml(section.key ?? "")}" data-verdict="${verdict}">` +
    `<h2>${title} <span class="badge ${verdict}">${verdictText}</span> <small>${section.ops.length} operations, ${clients.length} clients${linNote === "" ? "" : `; ${linNote}`}</small></h2>` +
    `<div class="chart"><svg class="labels" xmlns="http://www.w3.org/2000/svg" width="${LABELS_PX}" height="${heightPx}">${labels.join("")}</svg>` +
    `<div class="scroll"><svg xmlns="http://www.w3.org/2000/svg" width="${widthPx}" height="${heightPx}">${parts.join("")}</svg></div></div></section>`
  );
}

const STYLE = `
body{font:14px system-ui,sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 8px} h2{font-size:16px;margin:18px 0 6px} small{color:#666;font-weight:normal}
pre{background:#f6f6f6;padding:10px;border-radius:6px;overflow:auto;max-height:320px}
.badge{font-size:12px;padding:2px 8px;border-radius:10px;color:#fff;background:#888}
.badge.ok{background:#2e7d32}.badge.illegal{background:#c62828}.badge.unknown{background:#ef6c00}
.chart{display:flex;border:1px solid #ddd;border-radius:6px;overflow:hidden}
.labels{flex:none;border-right:1px solid #ddd}.scroll{overflow-x:auto;flex:1}
.lane{fill:#fff}.lane.alt{fill:#f7f9fc}.lane-label{font-size:12px;fill:#444}.lane-head{font-size:10px;fill:#888}
.tick{stroke:#eee}.tick-label{font-size:10px;fill:#888;text-anchor:middle}
.op rect{fill:#90caf9;stroke:#1e88e5;stroke-width:1;cursor:pointer}
.op.info rect{fill:#eceff1;stroke:#90a4ae;stroke-dasharray:4 3}
.op.fail rect{fill:#f5f5f5;stroke:#bdbdbd}
.op.core rect{stroke:#ef6c00;stroke-width:3}
.op.failing rect{fill:#ef9a9a;stroke:#c62828;stroke-width:3}
.op.selected rect{stroke:#000;stroke-width:3}
.op-label{font:10px ui-monospace,monospace;fill:#123;pointer-events:none}
.lin-path{fill:none;stroke:#6a1b9a;stroke-width:1.2;opacity:.7}
.lin-point{fill:#6a1b9a}
.legend span{display:inline-block;margin-right:14px}
.sw{display:inline-block;width:18px;height:10px;border-radius:3px;vertical-align:middle;margin-right:4px;border:2px solid}
#detail{position:sticky;bottom:0;background:#fffde7;border:1px solid #e0d890;padding:6px 10px;border-radius:6px;min-height:1.2em;font-family:ui-monospace,monospace}
`;

const SCRIPT = `
(function () {
  var detail = document.getElementById("detail");
  var selected = null;
  document.addEventListener("click", function (ev) {
    var target = ev.target;
    var g = target && target.closest ? target.closest("g.op") : null;
    if (!g) return;
    if (selected) selected.classList.remove("selected");
    selected = g;
    g.classList.add("selected");
    detail.textContent = g.getAttribute("data-desc");
  });
  var failing = document.querySelector("g.op.failing");
  if (failing && failing.scrollIntoView) failing.scrollIntoView({ block: "nearest", inline: "center" });
})();
`;

/**
 * Renders a checked history as one self-contained HTML page. Pass the same model
 * and history that were given to checkHistory, and its result.
 */
export function renderHistoryHtml<S, I, O>(model: Model<S, I, O>, history: History<I, O>, result: CheckResult, options: HtmlOptions = {}): string {
  const title = options.title ?? "Linearizability check";
  const unit = history.timeUnit ?? "ms";
  const verdictText = result.verdict === "ok" ? "linearizable" : result.verdict === "illegal" ? "NOT linearizable" : "unknown (timeout)";
  const shown = sections(model, history, result).filter((s) => !options.onlyProblems || (s.result !== undefined && (s.result.verdict === "illegal" || s.result.verdict === "unknown")));
  const body = shown.map((s) => renderSection(model, s, result, unit)).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body data-verdict="${result.verdict}" data-operations="${history.operations.length}">
<h1>${escapeHtml(title)} <span class="badge ${result.verdict}">${verdictText}</span></h1>
<p>Model <b>${escapeHtml(result.model)}</b>, ${history.operations.length} operations, checked in ${result.elapsedMs.toFixed(1)} ms.
Times are ${unit === "line" ? "line numbers in the log" : "milliseconds"}; the axis gives each distinct time one column.</p>
<pre id="explanation">${escapeHtml(result.explanation)}</pre>
<p class="legend"><span><i class="sw" style="background:#90caf9;border-color:#1e88e5"></i>returned</span>
<span><i class="sw" style="background:#eceff1;border-color:#90a4ae;border-style:dashed"></i>outcome unknown (open to the end)</span>
<span><i class="sw" style="background:#f5f5f5;border-color:#bdbdbd"></i>failed, no effect</span>
<span><i class="sw" style="background:#90caf9;border-color:#ef6c00"></i>cannot be ordered</span>
<span><i class="sw" style="background:#ef9a9a;border-color:#c62828"></i>failing operation</span>
<span><i class="sw" style="background:#6a1b9a;border-color:#6a1b9a;width:8px;border-radius:50%"></i>linearization point</span></p>
${body}
<div id="detail">Click an operation for its details.</div>
<script>${SCRIPT}</script>
</body></html>
`;
}
