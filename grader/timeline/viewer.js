// The timeline viewer: runs inside the self-contained page that render.ts
// writes. It reads the model (grader/timeline/model.ts) from the inline JSON
// and draws on a canvas, culling to the visible time range, so runs of tens of
// thousands of events stay smooth. No network, no dependencies.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("timeline-data").textContent);
  var root = document.getElementById("timeline");
  var chart = document.getElementById("chart");
  var ctx = chart.getContext("2d");
  var overview = document.getElementById("overview");
  var octx = overview.getContext("2d");
  var tooltip = document.getElementById("tooltip");
  var inspector = document.getElementById("inspector");
  var eventList = document.getElementById("event-list");
  var rangeLabel = document.getElementById("view-range");

  var GUTTER = 92;
  var PAD_R = 14;
  var AXIS_H = 26;
  var NET_H = 36;
  var LANE_H = 58;
  var BAND_H = 14;
  var NET_ROW1 = AXIS_H + 3; // notes and the failure flag
  var NET_ROW2 = AXIS_H + 19; // partitions and cut links
  var ev = data.events;
  var M = data.messages;
  var A = data.arrows;
  var K = data.marks;
  var nLanes = data.lanes.length;
  var span = Math.max(1, data.tEnd - data.tStart);
  // The view may run a little past both ends, so marks at the edges stay clear of the gutter.
  var lo = data.tStart - span * 0.015;
  var hi = data.tEnd + span * 0.015;
  var full = hi - lo;
  var MIN_SPAN = Math.min(full, 2);

  // ------------------------------------------------------------ colours

  var ROLE_COLORS = {
    leader: "#1f9d55",
    candidate: "#e8a317",
    precandidate: "#f3d27a",
    follower: "#a9b7cb",
    learner: "#c4b5fd",
    "": "#dfe3ea",
  };
  var TYPE_COLORS = {
    RequestVote: "#e67700",
    "RequestVote (pre-vote)": "#f5b041",
    RequestVoteReply: "#c2255c",
    "RequestVoteReply (pre-vote)": "#e599b5",
    AppendEntries: "#1c7ed6",
    "AppendEntries (heartbeat)": "#91a7ff",
    AppendEntriesReply: "#0ca678",
    InstallSnapshot: "#7048e8",
    InstallSnapshotReply: "#ae3ec9",
    TimeoutNow: "#5c940d",
    ClientRequest: "#495057",
    ClientReply: "#9aa1a9",
  };
  var PALETTE = ["#0f766e", "#c2410c", "#4d7c0f", "#9333ea", "#be185d", "#0369a1", "#a16207", "#475569"];
  var COMP_TINTS = ["rgba(59,130,246,0.10)", "rgba(234,88,12,0.11)", "rgba(147,51,234,0.10)", "rgba(22,163,74,0.10)", "rgba(219,39,119,0.10)"];

  function normRole(role) {
    return String(role).toLowerCase().replace(/[^a-z]/g, "");
  }
  function hashHue(s) {
    var h = 0;
    for (var i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
    return h % 360;
  }
  function roleColor(role) {
    var c = ROLE_COLORS[normRole(role)];
    return c !== undefined ? c : "hsl(" + hashHue(String(role)) + ",45%,70%)";
  }
  function roleText(role) {
    return normRole(role) === "leader" ? "#ffffff" : "#1d2330";
  }
  var typeColor = data.types.map(function (name, i) {
    return TYPE_COLORS[name] || PALETTE[i % PALETTE.length];
  });
  function termHue(term) {
    return (term * 67 + 200) % 360;
  }

  // ------------------------------------------------------------ view state

  var view = { t0: lo, t1: hi };
  var hiddenLanes = new Set();
  var hiddenTypes = new Set();
  var show = { timer: true, apply: true, sync: false, log: true };
  var pinned = null; // { t, pos }
  var hover = null; // { t, pos }
  var hoverItem = null; // { kind: "arrow"|"mark", index }
  var laneY = []; // top of each lane's row, -1 when hidden
  var cssW = 800;
  var cssH = 200;
  var plotW = 600;
  var dpr = Math.max(1, window.devicePixelRatio || 1);
  var visibleArrows = []; // arrow indices drawn in the last frame (for hit tests)
  var densityMode = false; // too many arrows in view: drawn as per-lane bars instead
  var framePending = false;

  // ------------------------------------------------------------ helpers

  function x(t) {
    return GUTTER + ((t - view.t0) / (view.t1 - view.t0)) * plotW;
  }
  function tAt(px) {
    return view.t0 + ((px - GUTTER) / plotW) * (view.t1 - view.t0);
  }
  function axisY(lane) {
    return laneY[lane] + LANE_H * 0.5 + 4;
  }
  function fmtMs(ms) {
    var a = Math.abs(ms);
    if (a >= 10000) return (ms / 1000).toFixed(a >= 100000 ? 0 : 1) + " s";
    if (a >= 1000) return (ms / 1000).toFixed(2).replace(/\.?0+$/, "") + " s";
    return (Math.round(ms * 100) / 100) + " ms";
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return "&#" + c.charCodeAt(0) + ";";
    });
  }
  function short(s, n) {
    s = String(s);
    return s.length > n ? s.slice(0, n - 1) + "…" : s;
  }
  /** Position of the last event with t <= time (-1 if none). */
  function posAtTime(time) {
    var lo = 0;
    var hi = ev.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (ev[mid].t <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
  /** First index in a sorted number array whose value is >= v. */
  function lowerBound(arr, v) {
    var lo = 0;
    var hi = arr.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (arr[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  function laneVisible(lane) {
    return lane >= 0 && laneY[lane] >= 0;
  }
  function nodeOf(e) {
    return e.node !== undefined ? e.node : e.from;
  }
  function eventVisible(e) {
    var ids = [];
    if (e.node !== undefined) ids.push(e.node);
    if (e.from !== undefined) ids.push(e.from, e.to);
    if (ids.length === 0) return true;
    for (var i = 0; i < ids.length; i++) {
      var lane = data.lanes.indexOf(ids[i]);
      if (lane < 0 || !hiddenLanes.has(lane)) return true;
    }
    return false;
  }

  // ------------------------------------------------------------ describing events

  var sendPos = new Map(); // msg id -> position of its send record
  for (var p = 0; p < M.pos.length; p++) if (M.pos[p] >= 0) sendPos.set(M.id[p], M.pos[p]);

  function msgOfId(id) {
    var p = sendPos.get(id);
    return p === undefined ? undefined : ev[p].msg;
  }
  function msgLabel(msg) {
    if (msg === undefined || msg === null || typeof msg !== "object") return "";
    var name = msg.type || msg.kind || "";
    var rest = [];
    for (var k in msg) {
      if (k === "type" || k === "kind") continue;
      var v = msg[k];
      if (Array.isArray(v)) rest.push(k + "=[" + v.length + "]");
      else if (v !== null && typeof v === "object") rest.push(k + "={…}");
      else rest.push(k + "=" + (typeof v === "string" ? v : JSON.stringify(v)));
    }
    return name + " " + rest.join(" ");
  }
  function describe(e) {
    switch (e.k) {
      case "send":
        return e.from + " → " + e.to + " #" + e.id + " " + msgLabel(e.msg) + (e.dirty ? "  (unsynced writes)" : "");
      case "deliver":
        return e.to + " ← " + e.from + " #" + e.id + " " + msgLabel(msgOfId(e.id));
      case "drop":
        return e.from + " → " + e.to + " #" + e.msgId + " DROPPED (" + e.reason + ")";
      case "dupe":
        return e.from + " → " + e.to + " #" + e.msgId + " duplicated";
      case "timer":
        return e.node + " timer " + e.name;
      case "crash":
        return e.node + " CRASHED" + (e.torn && e.torn.length ? " (torn: " + e.torn.join(", ") + ")" : "");
      case "start":
        return e.node + " started";
      case "restart":
        return e.node + " restarted";
      case "wipe":
        return e.node + " disk wiped";
      case "pause":
        return e.node + " paused until t=" + e.untilMs;
      case "resume":
        return e.node + " resumed";
      case "partition":
        return "partition " + (e.groups || []).map(function (g) { return "{" + g.join(",") + "}"; }).join(" | ");
      case "cut":
        return "link " + e.from + " ↛ " + e.to + " cut";
      case "heal":
        return "network healed";
      case "faults":
        return "link faults " + JSON.stringify(e.spec);
      case "clock":
        return e.node + " clock drift " + e.driftPpm + " ppm, offset " + e.offsetMs + " ms";
      case "log":
        return e.node + " " + e.event + " " + JSON.stringify(e.fields);
      case "apply":
        return e.node + " applied " + JSON.stringify(e.entry);
      case "sync":
        return e.node + " sync";
      case "note":
        return "note: " + e.text;
      case "state":
        return e.node + " state " + JSON.stringify(e.state);
      default: {
        var copy = {};
        for (var k in e) if (k !== "i" && k !== "t") copy[k] = e[k];
        return JSON.stringify(copy);
      }
    }
  }

  // ------------------------------------------------------------ patterns

  function stripes(color, bg) {
    var c = document.createElement("canvas");
    c.width = c.height = 8;
    var g = c.getContext("2d");
    g.fillStyle = bg;
    g.fillRect(0, 0, 8, 8);
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(-2, 10);
    g.lineTo(10, -2);
    g.moveTo(6, 10);
    g.lineTo(10, 6);
    g.moveTo(-2, 2);
    g.lineTo(2, -2);
    g.stroke();
    return ctx.createPattern(c, "repeat");
  }
  var downPattern = stripes("#8b93a3", "#5b6372");
  var pausePattern = stripes("rgba(217,119,6,0.45)", "rgba(253,230,138,0.55)");
  var oneWayPattern = stripes("rgba(190,24,93,0.18)", "rgba(255,255,255,0)");

  // ------------------------------------------------------------ layout

  function layout() {
    var y = AXIS_H + NET_H;
    for (var lane = 0; lane < nLanes; lane++) {
      if (hiddenLanes.has(lane)) laneY[lane] = -1;
      else {
        laneY[lane] = y;
        y += LANE_H;
      }
    }
    cssW = Math.max(360, chart.parentElement.clientWidth);
    cssH = y + 6;
    plotW = cssW - GUTTER - PAD_R;
    chart.style.height = cssH + "px";
    chart.width = Math.round(cssW * dpr);
    chart.height = Math.round(cssH * dpr);
    overview.style.height = "38px";
    overview.width = Math.round(cssW * dpr);
    overview.height = Math.round(38 * dpr);
    root.setAttribute("data-visible-lanes", String(nLanes - hiddenLanes.size));
    buildOverviewBins();
  }

  // ------------------------------------------------------------ drawing

  function requestDraw() {
    if (framePending) return;
    framePending = true;
    requestAnimationFrame(function () {
      framePending = false;
      draw();
    });
  }

  function draw() {
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    drawLaneBackgrounds();
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, 0, plotW, cssH);
    ctx.clip();
    drawNetwork();
    drawOutages();
    drawBands();
    drawArrows();
    drawMarks();
    drawBandLabels();
    drawNotes();
    drawFailure();
    drawCursors();
    ctx.restore();
    drawAxis();
    drawLaneLabels();
    drawOverview();
    var shownT0 = Math.max(data.tStart, view.t0);
    var shownT1 = Math.min(data.tEnd, view.t1);
    rangeLabel.textContent = fmtMs(Math.round(shownT0 * 10) / 10) + " – " + fmtMs(Math.round(shownT1 * 10) / 10);
    root.setAttribute("data-drawn-arrows", String(visibleArrows.length));
    root.setAttribute("data-density", String(densityMode));
    root.setAttribute("data-ready", "true");
  }

  function drawLaneBackgrounds() {
    ctx.fillStyle = "#fbfcfd";
    ctx.fillRect(0, AXIS_H, cssW, NET_H);
    ctx.fillStyle = "#8a93a5";
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    ctx.fillText("network", 10, AXIS_H + NET_H / 2);
    var k = 0;
    for (var lane = 0; lane < nLanes; lane++) {
      if (!laneVisible(lane)) continue;
      ctx.fillStyle = k++ % 2 === 0 ? "#ffffff" : "#f7f8fa";
      ctx.fillRect(0, laneY[lane], cssW, LANE_H);
      ctx.strokeStyle = "#eceff3";
      ctx.beginPath();
      ctx.moveTo(0, laneY[lane] + 0.5);
      ctx.lineTo(cssW, laneY[lane] + 0.5);
      ctx.stroke();
      ctx.strokeStyle = "#c9cfd9";
      ctx.beginPath();
      ctx.moveTo(GUTTER, axisY(lane) + 0.5);
      ctx.lineTo(GUTTER + plotW, axisY(lane) + 0.5);
      ctx.stroke();
    }
  }

  function drawLaneLabels() {
    ctx.fillStyle = "rgba(255,255,255,0.96)";
    ctx.fillRect(0, AXIS_H + NET_H, GUTTER - 1, cssH);
    ctx.strokeStyle = "#d9dee7";
    ctx.beginPath();
    ctx.moveTo(GUTTER - 0.5, AXIS_H);
    ctx.lineTo(GUTTER - 0.5, cssH);
    ctx.stroke();
    var failNode = data.failure ? data.failure.node : "";
    for (var lane = 0; lane < nLanes; lane++) {
      if (!laneVisible(lane)) continue;
      var y = axisY(lane);
      var name = data.lanes[lane];
      ctx.font = "600 13px system-ui, sans-serif";
      ctx.textBaseline = "middle";
      ctx.fillStyle = name === failNode ? "#c62828" : "#1d2330";
      ctx.fillText(short(name, 10), 12, y - 7);
      var role = laneStatus(lane);
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillStyle = "#667085";
      ctx.fillText(short(role, 14), 12, y + 9);
    }
  }

  /** "leader · T3", "down", ... for the lane label: at the hovered or pinned moment, else the end. */
  function laneStatus(lane) {
    var m = hover || pinned;
    var t = m ? m.t : data.tEnd;
    var pos = m ? m.pos : ev.length - 1;
    var out = isDownAt(lane, t);
    if (out === "down") return "down";
    var b = bandAtPos(lane, pos);
    var text = !b ? "" : b.role === "" ? "up" : b.role + (b.term !== null ? " · T" + b.term : "");
    return out === "paused" ? text + " (paused)" : text;
  }

  function drawNetwork() {
    for (var i = 0; i < data.net.length; i++) {
      var s = data.net[i];
      if (s.t1 < view.t0 || s.t0 > view.t1) continue;
      var x0 = Math.max(GUTTER - 2, x(s.t0));
      var x1 = Math.min(GUTTER + plotW + 2, x(s.t1));
      var w = Math.max(2, x1 - x0);
      ctx.fillStyle = "rgba(190,24,93,0.13)";
      ctx.fillRect(x0, NET_ROW2, w, 15);
      ctx.fillStyle = "rgba(190,24,93,0.8)";
      ctx.fillRect(x0, NET_ROW2, 2, 15);
      if (w > 30) {
        ctx.save();
        ctx.beginPath();
        ctx.rect(x0, AXIS_H, w, NET_H);
        ctx.clip();
        ctx.fillStyle = "#831843";
        ctx.font = "11px system-ui, sans-serif";
        ctx.textBaseline = "middle";
        ctx.fillText("✂ " + s.label, Math.max(x0, GUTTER) + 5, NET_ROW2 + 8);
        ctx.restore();
      }
      for (var lane = 0; lane < nLanes; lane++) {
        if (!laneVisible(lane)) continue;
        var c = s.comp[lane];
        if (c >= 0) {
          ctx.fillStyle = COMP_TINTS[c % COMP_TINTS.length];
          ctx.fillRect(x0, laneY[lane] + 1, w, LANE_H - 1);
        }
        if (s.oneWay.indexOf(lane) >= 0) {
          ctx.fillStyle = oneWayPattern;
          ctx.fillRect(x0, laneY[lane] + 1, w, LANE_H - 1);
        }
      }
    }
  }

  function drawOutages() {
    for (var i = 0; i < data.outages.length; i++) {
      var o = data.outages[i];
      if (!laneVisible(o.lane) || o.t1 < view.t0 || o.t0 > view.t1) continue;
      var x0 = x(o.t0);
      var w = Math.max(3, x(o.t1) - x0);
      var y = axisY(o.lane);
      if (o.kind === "down") {
        ctx.fillStyle = downPattern;
        ctx.fillRect(x0, y - BAND_H / 2 - 6, w, BAND_H + 12);
        label(o.kind === "down" ? "down" : "paused", x0, w, y, "#ffffff");
      } else {
        ctx.fillStyle = pausePattern;
        ctx.fillRect(x0, laneY[o.lane] + 3, w, LANE_H - 6);
        ctx.fillStyle = "#92400e";
        if (w > 44) {
          ctx.font = "10px system-ui, sans-serif";
          ctx.fillText("paused", Math.max(x0, GUTTER) + 4, laneY[o.lane] + 10);
        }
      }
    }
  }

  function label(text, x0, w, y, color, bg) {
    if (w < 20) return;
    var xs = Math.max(x0 + 11, GUTTER + 4); // clear of the start/crash mark at the band's edge
    var room = x0 + w - xs - 4;
    if (room < 10) return;
    ctx.save();
    ctx.beginPath();
    ctx.rect(xs - 3, y - 9, room + 3, 18);
    ctx.clip();
    ctx.font = "600 11px system-ui, sans-serif";
    if (bg) {
      ctx.fillStyle = bg;
      ctx.fillRect(xs - 3, y - BAND_H / 2, Math.min(room + 3, ctx.measureText(text).width + 6), BAND_H);
    }
    ctx.fillStyle = color;
    ctx.textBaseline = "middle";
    ctx.fillText(text, xs, y + 0.5);
    ctx.restore();
  }

  function drawBands() {
    for (var i = 0; i < data.bands.length; i++) {
      var b = data.bands[i];
      if (!laneVisible(b.lane) || b.t1 < view.t0 || b.t0 > view.t1) continue;
      var x0 = x(b.t0);
      var w = Math.max(1, x(b.t1) - x0);
      var y = axisY(b.lane);
      ctx.fillStyle = roleColor(b.role);
      ctx.fillRect(x0, y - BAND_H / 2, w, BAND_H);
      if (b.term !== null && w > 3) {
        ctx.fillStyle = "rgba(0,0,0,0.25)";
        ctx.fillRect(x0, y - BAND_H / 2, 1, BAND_H);
      }
    }
  }

  /** Role and term names, drawn after the arrows so that messages never hide them. */
  function drawBandLabels() {
    for (var i = 0; i < data.bands.length; i++) {
      var b = data.bands[i];
      if (b.role === "" || !laneVisible(b.lane) || b.t1 < view.t0 || b.t0 > view.t1) continue;
      var x0 = x(b.t0);
      var w = Math.max(1, x(b.t1) - x0);
      var text = b.term !== null ? (w > 110 ? b.role + " · term " + b.term : w > 60 ? "T" + b.term + " " + b.role : "" + b.term) : b.role;
      label(text, x0, w, axisY(b.lane), roleText(b.role), roleColor(b.role));
    }
  }

  function arrowGeometry(a) {
    var m = A.msg[a];
    var from = M.from[m];
    var to = M.to[m];
    var x1 = x(M.t[m]);
    var y1 = axisY(from);
    var x2 = x(A.t[a]);
    var y2 = axisY(to);
    var f = A.flags[a];
    if (f & 1 && A.t[a] === M.t[m]) {
      // Lost on the way: a short stub toward the receiver, ending in a cross.
      x2 = x1 + Math.min(14, Math.max(6, (plotW / (view.t1 - view.t0)) * 2));
      y2 = y1 + (y2 - y1) * 0.4;
    } else if (f & 4) {
      y2 = y1 + (y2 - y1) * 0.6;
    }
    return { x1: x1, y1: y1, x2: x2, y2: y2 };
  }

  function arrowShown(a) {
    var m = A.msg[a];
    if (!laneVisible(M.from[m]) || !laneVisible(M.to[m])) return false;
    if (hiddenTypes.has(M.type[m])) return false;
    return !(A.t[a] < view.t0 || M.t[m] > view.t1);
  }

  function drawArrows() {
    visibleArrows = [];
    for (var a = 0; a < A.msg.length; a++) if (arrowShown(a)) visibleArrows.push(a);
    densityMode = visibleArrows.length > Math.max(1500, plotW * 2.5);
    if (densityMode) return drawDensity();
    var detailed = visibleArrows.length <= Math.max(600, plotW * 1.2);
    // One path per colour and style keeps this a handful of strokes, however many arrows.
    var groups = new Map();
    for (var i = 0; i < visibleArrows.length; i++) {
      var a = visibleArrows[i];
      var f = A.flags[a];
      var style = f & 1 ? "drop" : f & 2 ? "dup" : f & 4 ? "flight" : "ok";
      var key = M.type[A.msg[a]] + "|" + style;
      var g = groups.get(key);
      if (!g) groups.set(key, (g = { type: M.type[A.msg[a]], style: style, list: [] }));
      g.list.push(a);
    }
    ctx.lineCap = "round";
    groups.forEach(function (g) {
      ctx.strokeStyle = typeColor[g.type];
      ctx.fillStyle = typeColor[g.type];
      ctx.globalAlpha = detailed ? (g.style === "drop" ? 0.8 : 0.9) : 0.35;
      ctx.lineWidth = detailed ? 1.3 : 1;
      ctx.setLineDash(g.style === "drop" ? [4, 3] : g.style === "dup" ? [1.5, 2.5] : g.style === "flight" ? [6, 4] : []);
      ctx.beginPath();
      var heads = [];
      for (var i = 0; i < g.list.length; i++) {
        var p = arrowGeometry(g.list[i]);
        ctx.moveTo(p.x1, p.y1);
        ctx.lineTo(p.x2, p.y2);
        if (detailed) heads.push(p);
      }
      ctx.stroke();
      ctx.setLineDash([]);
      if (!detailed) return;
      if (g.style === "ok" || g.style === "dup") {
        // Refusals (voteGranted/success false) get a hollow head.
        ctx.beginPath();
        for (var j = 0; j < heads.length; j++) if (!(A.flags[g.list[j]] & 16)) arrowHead(heads[j]);
        ctx.fill();
        ctx.fillStyle = "#ffffff";
        ctx.lineWidth = 1.2;
        ctx.beginPath();
        for (var r = 0; r < heads.length; r++) if (A.flags[g.list[r]] & 16) arrowHead(heads[r]);
        ctx.fill();
        ctx.stroke();
      }
      if (g.style === "dup") {
        ctx.strokeStyle = "#7c3aed";
        ctx.lineWidth = 1.2;
        ctx.beginPath();
        for (var d = 0; d < heads.length; d++) {
          ctx.moveTo(heads[d].x2 + 4, heads[d].y2);
          ctx.arc(heads[d].x2, heads[d].y2, 4, 0, Math.PI * 2);
        }
        ctx.stroke();
      }
      if (g.style === "drop") {
        ctx.globalAlpha = 1;
        ctx.strokeStyle = "#c62828";
        ctx.lineWidth = 1.8;
        ctx.beginPath();
        for (var k = 0; k < heads.length; k++) cross(heads[k].x2, heads[k].y2, 3.5);
        ctx.stroke();
      }
    });
    ctx.globalAlpha = 1;
    ctx.lineWidth = 1;
    if (hoverItem && hoverItem.kind === "arrow" && arrowShown(hoverItem.index)) {
      var h = arrowGeometry(hoverItem.index);
      ctx.strokeStyle = "#111827";
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.moveTo(h.x1, h.y1);
      ctx.lineTo(h.x2, h.y2);
      ctx.stroke();
      ctx.lineWidth = 1;
    }
  }

  /** Too many arrows to tell apart: per lane, how many messages each pixel column sent (and lost). */
  function drawDensity() {
    var BIN_PX = 3;
    var n = Math.ceil(plotW / BIN_PX);
    var sent = [];
    var lost = [];
    for (var lane = 0; lane < nLanes; lane++) {
      sent.push(new Float32Array(n));
      lost.push(new Float32Array(n));
    }
    var max = 1;
    for (var i = 0; i < visibleArrows.length; i++) {
      var a = visibleArrows[i];
      var m = A.msg[a];
      var bin = Math.floor((x(M.t[m]) - GUTTER) / BIN_PX);
      if (bin < 0 || bin >= n) continue;
      var c = ++sent[M.from[m]][bin];
      if (c > max) max = c;
      if (A.flags[a] & 1) lost[M.from[m]][bin]++;
    }
    var h = LANE_H - BAND_H - 18;
    for (var l = 0; l < nLanes; l++) {
      if (!laneVisible(l)) continue;
      var base = axisY(l) + BAND_H / 2 + h + 2;
      for (var b = 0; b < n; b++) {
        if (sent[l][b] === 0) continue;
        var bh = Math.max(1, Math.sqrt(sent[l][b] / max) * h);
        ctx.fillStyle = "rgba(71,98,150,0.45)";
        ctx.fillRect(GUTTER + b * BIN_PX, base - bh, BIN_PX - 0.5, bh);
        if (lost[l][b] > 0) {
          ctx.fillStyle = "#d64545";
          ctx.fillRect(GUTTER + b * BIN_PX, base - bh, BIN_PX - 0.5, Math.max(1.5, (lost[l][b] / sent[l][b]) * bh));
        }
      }
    }
    var text = visibleArrows.length.toLocaleString("en") + " messages in view: bars show how many each node sent (red: lost). Zoom in to see each message.";
    ctx.font = "11px system-ui, sans-serif";
    var w = ctx.measureText(text).width + 12;
    ctx.fillStyle = "rgba(255,255,255,0.92)";
    ctx.fillRect(GUTTER + plotW - w - 4, cssH - 20, w, 17);
    ctx.fillStyle = "#475467";
    ctx.textBaseline = "middle";
    ctx.fillText(text, GUTTER + plotW - w + 2, cssH - 11);
  }

  function arrowHead(p) {
    var dx = p.x2 - p.x1;
    var dy = p.y2 - p.y1;
    var len = Math.sqrt(dx * dx + dy * dy);
    if (len < 4) return;
    var ux = dx / len;
    var uy = dy / len;
    var s = 6;
    ctx.moveTo(p.x2, p.y2);
    ctx.lineTo(p.x2 - ux * s - uy * s * 0.45, p.y2 - uy * s + ux * s * 0.45);
    ctx.lineTo(p.x2 - ux * s + uy * s * 0.45, p.y2 - uy * s - ux * s * 0.45);
    ctx.closePath();
  }

  function cross(cx, cy, r) {
    ctx.moveTo(cx - r, cy - r);
    ctx.lineTo(cx + r, cy + r);
    ctx.moveTo(cx + r, cy - r);
    ctx.lineTo(cx - r, cy + r);
  }

  var MARK_STYLE = {
    timer: { color: "#98a2b3" },
    apply: { color: "#15803d" },
    sync: { color: "#2563eb" },
    log: { color: "#7c3aed" },
    crash: { color: "#c62828" },
    start: { color: "#15803d" },
    restart: { color: "#15803d" },
    wipe: { color: "#111827" },
    clock: { color: "#0e7490" },
    pause: { color: "#b45309" },
    resume: { color: "#b45309" },
    dupe: { color: "#7c3aed" },
  };
  var ALWAYS_MARKS = { crash: 1, start: 1, restart: 1, wipe: 1, clock: 1, pause: 1, resume: 1 };

  function markShown(i) {
    var kind = data.markKinds[K.kind[i]];
    if (!laneVisible(K.lane[i])) return false;
    if (show[kind] === false) return false;
    return true;
  }

  function drawMarks() {
    var first = lowerBound(K.t, view.t0);
    var last = lowerBound(K.t, view.t1 + 1e-9);
    // A kind of mark is drawn only while it stays sparse enough to read (lifecycle marks always).
    var perKind = {};
    for (var c = first; c < last; c++) perKind[K.kind[c]] = (perKind[K.kind[c]] || 0) + 1;
    var roomy = {};
    var visLanes = Math.max(1, nLanes - hiddenLanes.size);
    for (var kk in perKind) roomy[kk] = perKind[kk] / visLanes < plotW / 5;
    for (var i = first; i < last; i++) {
      var kind = data.markKinds[K.kind[i]];
      if (!roomy[K.kind[i]] && !ALWAYS_MARKS[kind]) continue;
      if (!markShown(i)) continue;
      var cx = x(K.t[i]);
      var y = axisY(K.lane[i]);
      ctx.strokeStyle = ctx.fillStyle = MARK_STYLE[kind].color;
      ctx.lineWidth = 1.2;
      ctx.beginPath();
      switch (kind) {
        case "timer":
          ctx.moveTo(cx + 0.5, y - BAND_H / 2 - 6);
          ctx.lineTo(cx + 0.5, y - BAND_H / 2 - 1);
          ctx.stroke();
          break;
        case "apply":
          ctx.arc(cx, y + BAND_H / 2 + 5, 2.4, 0, Math.PI * 2);
          ctx.fill();
          break;
        case "sync":
          ctx.fillRect(cx - 1.5, y + BAND_H / 2 + 9, 3, 3);
          break;
        case "log":
          ctx.moveTo(cx, y - BAND_H / 2 - 11);
          ctx.lineTo(cx + 3.5, y - BAND_H / 2 - 7.5);
          ctx.lineTo(cx, y - BAND_H / 2 - 4);
          ctx.lineTo(cx - 3.5, y - BAND_H / 2 - 7.5);
          ctx.closePath();
          ctx.fill();
          break;
        case "crash":
          ctx.lineWidth = 2.6;
          cross(cx, y, 6);
          ctx.stroke();
          break;
        case "start":
        case "restart":
          ctx.moveTo(cx, y - 6);
          ctx.lineTo(cx + 8, y);
          ctx.lineTo(cx, y + 6);
          ctx.closePath();
          ctx.fill();
          ctx.strokeStyle = "#fff";
          ctx.lineWidth = 1;
          ctx.stroke();
          break;
        case "wipe":
          ctx.rect(cx - 4, y + BAND_H / 2 + 2, 8, 8);
          ctx.fill();
          break;
        case "clock":
          ctx.arc(cx, y - BAND_H / 2 - 8, 4, 0, Math.PI * 2);
          ctx.stroke();
          break;
        case "pause":
        case "resume":
          ctx.moveTo(cx + 0.5, laneY[K.lane[i]] + 3);
          ctx.lineTo(cx + 0.5, laneY[K.lane[i]] + LANE_H - 3);
          ctx.stroke();
          break;
        case "dupe":
          ctx.arc(cx, y, 3, 0, Math.PI * 2);
          ctx.stroke();
          break;
      }
    }
    ctx.lineWidth = 1;
  }

  var notes = [];
  for (var np = 0; np < ev.length; np++) if (ev[np].k === "note") notes.push(np);

  function drawNotes() {
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    for (var i = 0; i < notes.length; i++) {
      var e = ev[notes[i]];
      if (e.t < view.t0 || e.t > view.t1) continue;
      var cx = Math.round(x(e.t)) + 0.5;
      ctx.strokeStyle = "rgba(71,85,105,0.45)";
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(cx, AXIS_H);
      ctx.lineTo(cx, cssH);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#334155";
      ctx.fillText("✎ " + short(e.text, 40), cx + 3, NET_ROW1 + 7);
    }
  }

  function drawFailure() {
    var f = data.failure;
    if (!f || f.t < view.t0 || f.t > view.t1) return;
    var cx = Math.round(x(f.t)) + 0.5;
    ctx.strokeStyle = "#c62828";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(cx, AXIS_H);
    ctx.lineTo(cx, cssH);
    ctx.stroke();
    ctx.lineWidth = 1;
    var lane = data.lanes.indexOf(f.node);
    if (laneVisible(lane)) {
      var y = axisY(lane);
      ctx.fillStyle = "#c62828";
      ctx.beginPath();
      ctx.arc(cx, y, 7, 0, Math.PI * 2);
      ctx.fill();
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 2;
      ctx.beginPath();
      cross(cx, y, 3);
      ctx.stroke();
      ctx.lineWidth = 1;
    }
    var text = "✗ " + f.rule + (f.section ? " " + f.section : "");
    ctx.font = "600 11px system-ui, sans-serif";
    var w = ctx.measureText(text).width + 10;
    var lx = cx + 4 + w > GUTTER + plotW ? cx - 4 - w : cx + 4;
    ctx.fillStyle = "#c62828";
    ctx.fillRect(lx, NET_ROW1 - 1, w, 16);
    ctx.fillStyle = "#fff";
    ctx.textBaseline = "middle";
    ctx.fillText(text, lx + 5, NET_ROW1 + 7);
  }

  function drawCursors() {
    if (pinned && pinned.t >= view.t0 && pinned.t <= view.t1) {
      var px = Math.round(x(pinned.t)) + 0.5;
      ctx.strokeStyle = "#2459d6";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(px, AXIS_H);
      ctx.lineTo(px, cssH);
      ctx.stroke();
      ctx.lineWidth = 1;
    }
    if (hover) {
      var hx = Math.round(x(hover.t)) + 0.5;
      ctx.strokeStyle = "rgba(17,24,39,0.35)";
      ctx.setLineDash([2, 3]);
      ctx.beginPath();
      ctx.moveTo(hx, AXIS_H);
      ctx.lineTo(hx, cssH);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  function niceStep(raw) {
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  function drawAxis() {
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, cssW, AXIS_H);
    ctx.strokeStyle = "#d9dee7";
    ctx.beginPath();
    ctx.moveTo(0, AXIS_H - 0.5);
    ctx.lineTo(cssW, AXIS_H - 0.5);
    ctx.stroke();
    var range = view.t1 - view.t0;
    var step = Math.max(niceStep((range / plotW) * 90), 0.001);
    var first = Math.ceil(view.t0 / step) * step;
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    ctx.fillStyle = "#667085";
    ctx.fillText("time", 12, AXIS_H / 2);
    for (var t = first; t <= view.t1 + 1e-9; t += step) {
      var px = Math.round(x(t)) + 0.5;
      ctx.strokeStyle = "#c9cfd9";
      ctx.beginPath();
      ctx.moveTo(px, AXIS_H - 6);
      ctx.lineTo(px, AXIS_H);
      ctx.stroke();
      ctx.strokeStyle = "rgba(201,207,217,0.35)";
      ctx.beginPath();
      ctx.moveTo(px, AXIS_H + NET_H);
      ctx.lineTo(px, cssH);
      ctx.stroke();
      ctx.fillStyle = "#475467";
      ctx.fillText(fmtMs(Math.round(t * 1000) / 1000), px + 3, AXIS_H / 2);
    }
  }

  // ------------------------------------------------------------ overview

  var bins = null;
  function buildOverviewBins() {
    var n = Math.max(1, Math.floor(plotW / 2));
    var sends = new Float32Array(n);
    var drops = new Float32Array(n);
    for (var m = 0; m < M.t.length; m++) sends[Math.min(n - 1, Math.floor(((M.t[m] - lo) / full) * n))]++;
    for (var a = 0; a < A.t.length; a++) if (A.flags[a] & 1) drops[Math.min(n - 1, Math.floor(((A.t[a] - lo) / full) * n))]++;
    var max = 1;
    for (var i = 0; i < n; i++) if (sends[i] > max) max = sends[i];
    bins = { n: n, sends: sends, drops: drops, max: max };
  }
  function ox(t) {
    return GUTTER + ((t - lo) / full) * plotW;
  }
  function drawOverview() {
    var H = 38;
    octx.setTransform(dpr, 0, 0, dpr, 0, 0);
    octx.clearRect(0, 0, cssW, H);
    octx.fillStyle = "#fbfcfd";
    octx.fillRect(0, 0, cssW, H);
    octx.fillStyle = "#8a93a5";
    octx.font = "11px system-ui, sans-serif";
    octx.textBaseline = "middle";
    octx.fillText("whole run", 10, H / 2);
    var bw = plotW / bins.n;
    for (var i = 0; i < bins.n; i++) {
      var h = Math.sqrt(bins.sends[i] / bins.max) * (H - 8);
      if (h > 0) {
        octx.fillStyle = "#b8c4d9";
        octx.fillRect(GUTTER + i * bw, H - 3 - h, Math.max(1, bw - 0.3), h);
      }
      if (bins.drops[i] > 0) {
        octx.fillStyle = "#e25c5c";
        octx.fillRect(GUTTER + i * bw, H - 3, Math.max(1, bw - 0.3), 3);
      }
    }
    for (var j = 0; j < data.outages.length; j++) {
      var o = data.outages[j];
      if (o.kind !== "down") continue;
      octx.fillStyle = "rgba(91,99,114,0.55)";
      octx.fillRect(ox(o.t0), 1, Math.max(1, ox(o.t1) - ox(o.t0)), 4);
    }
    for (var k = 0; k < data.net.length; k++) {
      var s = data.net[k];
      octx.fillStyle = "rgba(190,24,93,0.55)";
      octx.fillRect(ox(s.t0), 6, Math.max(1, ox(s.t1) - ox(s.t0)), 3);
    }
    if (data.failure) {
      octx.fillStyle = "#c62828";
      octx.fillRect(ox(data.failure.t) - 1, 0, 2, H);
    }
    var vx0 = ox(view.t0);
    var vx1 = ox(view.t1);
    octx.fillStyle = "rgba(36,89,214,0.10)";
    octx.fillRect(vx0, 0, Math.max(2, vx1 - vx0), H);
    octx.strokeStyle = "#2459d6";
    octx.lineWidth = 1.5;
    octx.strokeRect(vx0 + 0.5, 0.75, Math.max(2, vx1 - vx0) - 1, H - 1.5);
    octx.lineWidth = 1;
  }

  // ------------------------------------------------------------ view changes

  function setView(t0, t1) {
    var w = Math.max(MIN_SPAN, Math.min(full, t1 - t0));
    var c = (t0 + t1) / 2;
    t0 = Math.min(Math.max(c - w / 2, lo), hi - w);
    view.t0 = t0;
    view.t1 = t0 + w;
    requestDraw();
  }
  function zoomAround(t, factor) {
    var w = Math.max(MIN_SPAN, Math.min(full, (view.t1 - view.t0) * factor));
    var frac = (t - view.t0) / (view.t1 - view.t0);
    var t0 = Math.min(Math.max(t - frac * w, lo), hi - w);
    view.t0 = t0;
    view.t1 = t0 + w;
    requestDraw();
  }
  function panBy(dt) {
    setView(view.t0 + dt, view.t1 + dt);
  }
  function focusOn(t, width) {
    setView(t - width / 2, t + width / 2);
  }

  // ------------------------------------------------------------ the moment: inspector and event list

  function stateAt(lane, pos) {
    var p = stPos(lane, pos);
    return p >= 0 ? ev[p] : undefined;
  }

  /** Position of the lane's latest state record at or before pos (-1 if none). */
  function stPos(lane, pos) {
    var list = data.states[lane];
    var lo = 0;
    var hi = list.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (list[mid] <= pos) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? list[lo - 1] : -1;
  }

  function bandAtPos(lane, pos) {
    var found = null;
    for (var i = 0; i < data.bands.length; i++) {
      var b = data.bands[i];
      if (b.lane === lane && b.pos <= pos && (found === null || b.pos >= found.pos)) found = b;
    }
    return found;
  }

  function pick(s, names) {
    for (var i = 0; i < names.length; i++) if (s[names[i]] !== undefined) return { key: names[i], value: s[names[i]] };
    return undefined;
  }

  /** Reads a node's log from whatever shape inspect() gave it: "i:t" strings, terms, {index, term}, or a string. */
  function parseLog(raw, base) {
    if (raw === undefined || raw === null) return null;
    if (typeof raw === "string") raw = raw.split(/[\s,]+/).filter(Boolean);
    if (!Array.isArray(raw)) {
      if (typeof raw === "object" && Array.isArray(raw.entries)) return parseLog(raw.entries, base);
      return null;
    }
    var out = [];
    for (var k = 0; k < raw.length; k++) {
      var e = raw[k];
      var index = base + k + 1;
      var term = null;
      if (typeof e === "number") term = e;
      else if (typeof e === "string") {
        var m = /^(\d+)\s*[:@/]\s*(\d+)/.exec(e);
        if (m) {
          index = Number(m[1]);
          term = Number(m[2]);
        } else if (/^\d+$/.test(e)) term = Number(e);
      } else if (e && typeof e === "object") {
        if (typeof e.index === "number") index = e.index;
        if (typeof e.term === "number") term = e.term;
      }
      out.push({ index: index, term: term });
    }
    return out;
  }

  var LOG_KEYS = ["log", "logTerms", "entries"];
  var KNOWN_KEYS = {
    role: 1, state: 1, term: 1, currentTerm: 1, votedFor: 1, voted_for: 1, vote: 1,
    commitIndex: 1, commit: 1, lastApplied: 1, applied: 1, log: 1, logTerms: 1, entries: 1,
  };

  function renderLog(entries, commit, applied, snapIndex, snapTerm) {
    if (entries === null) return '<span class="muted">—</span>';
    var LIMIT = 48;
    var html = '<div class="log">';
    if (snapIndex > 0) html += '<span class="e" style="background:#e5e7eb" title="snapshot up to index ' + snapIndex + '">snap ≤' + snapIndex + (snapTerm !== null ? ":" + snapTerm : "") + "</span>";
    var start = Math.max(0, entries.length - LIMIT);
    if (start > 0) html += '<span class="more">… ' + start + " earlier</span>";
    if (entries.length === 0 && !(snapIndex > 0)) html += '<span class="muted">empty</span>';
    for (var i = start; i < entries.length; i++) {
      var e = entries[i];
      var hue = e.term === null ? 220 : termHue(e.term);
      var committed = commit === null || e.index <= commit;
      var title = "index " + e.index + ", term " + e.term + (committed && commit !== null ? ", committed" : commit !== null ? ", not committed" : "") + (applied !== null && e.index <= applied ? ", applied" : "");
      html += '<span class="e' + (committed ? "" : " unc") + '" title="' + esc(title) + '" style="background:hsl(' + hue + ',60%,86%);border-color:hsl(' + hue + ",45%,55%)\">" + e.index + ":" + (e.term === null ? "?" : e.term) + "</span>";
    }
    return html + "</div>";
  }

  function isDownAt(lane, t, pos) {
    for (var i = 0; i < data.outages.length; i++) {
      var o = data.outages[i];
      if (o.lane === lane && o.t0 <= t && (t < o.t1 || (o.t1 === data.tEnd && t <= o.t1))) return o.kind;
    }
    return "";
  }

  function renderInspector() {
    var m = hover || pinned;
    if (!m) {
      inspector.innerHTML = "<h2>Nodes</h2><p class=\"muted\">Hover over the timeline to see every node's state at that moment; click to pin it.</p>";
      return;
    }
    var pos = m.pos;
    var e = ev[pos];
    var head = '<h2 class="moment">At t = ' + fmtMs(m.t) + (e ? " · event #" + e.i : "") + '<span class="tag' + (m === pinned && !hover ? " pinned" : "") + '">' + (m === pinned && !hover ? "pinned" : "hover") + "</span></h2>";
    var rows = "";
    var anyState = false;
    for (var lane = 0; lane < nLanes; lane++) {
      if (hiddenLanes.has(lane)) continue;
      var st = stateAt(lane, pos);
      var s = st && st.state && typeof st.state === "object" ? st.state : {};
      if (st) anyState = true;
      var out = isDownAt(lane, m.t, pos);
      var roleV = pick(s, ["role", "state"]);
      var termV = pick(s, ["term", "currentTerm"]);
      var role = roleV ? String(roleV.value) : "";
      var term = termV ? termV.value : null;
      // A role log event newer than the last state record wins: the run may
      // have stopped (failed) inside the very handler that changed the role.
      var band = bandAtPos(lane, pos);
      if (band && band.role !== "" && (!st || band.pos > stPos(lane, pos))) {
        role = band.role;
        term = band.term;
      }
      var status;
      if (out === "down") status = '<span class="role" style="background:#5b6372;color:#fff">down</span>';
      else {
        status = role !== "" ? '<span class="role" style="background:' + roleColor(role.split(" ")[0]) + ";color:" + roleText(role.split(" ")[0]) + '">' + esc(role) + "</span>" : '<span class="muted">—</span>';
        if (out === "paused") status += ' <span class="role" style="background:#fde68a">paused</span>';
      }
      var voted = pick(s, ["votedFor", "voted_for", "vote"]);
      var commit = pick(s, ["commitIndex", "commit"]);
      var applied = pick(s, ["lastApplied", "applied"]);
      var logV = pick(s, LOG_KEYS);
      var snapIndex = typeof s.snapshotIndex === "number" ? s.snapshotIndex : typeof s.lastIncludedIndex === "number" ? s.lastIncludedIndex : 0;
      var snapTerm = typeof s.snapshotTerm === "number" ? s.snapshotTerm : typeof s.lastIncludedTerm === "number" ? s.lastIncludedTerm : null;
      var entries = logV ? parseLog(logV.value, snapIndex) : null;
      var extra = [];
      for (var k in s) {
        if (KNOWN_KEYS[k] || k === "snapshotIndex" || k === "snapshotTerm") continue;
        var full = JSON.stringify(s[k]);
        // Big values (configs, state machines) stay one word; the whole value is in the hover title.
        extra.push('<span title="' + esc(short(full, 2000)) + '">' + esc(k) + "=" + esc(full.length > 40 ? (Array.isArray(s[k]) ? "[…" + s[k].length + "]" : "{…}") : full) + "</span>");
      }
      var failed = data.failure && data.failure.node === data.lanes[lane];
      rows +=
        '<tr data-node="' + esc(data.lanes[lane]) + '"' + (failed ? ' class="failed"' : "") + ">" +
        '<td class="node">' + esc(data.lanes[lane]) + "</td>" +
        "<td>" + status + "</td>" +
        '<td class="num">' + (term === null ? "—" : esc(term)) + "</td>" +
        '<td class="num">' + (voted ? esc(voted.value === null ? "none" : voted.value) : "—") + "</td>" +
        '<td class="num">' + (commit ? esc(commit.value) : "—") + "</td>" +
        '<td class="num">' + (applied ? esc(applied.value) : "—") + "</td>" +
        "<td>" + renderLog(entries, commit && typeof commit.value === "number" ? commit.value : null, applied && typeof applied.value === "number" ? applied.value : null, snapIndex, snapTerm) +
        (extra.length ? '<div class="extra">' + extra.join(" · ") + "</div>" : "") + (st ? "" : '<div class="extra">no state recorded yet</div>') +
        "</td></tr>";
    }
    inspector.innerHTML =
      head +
      '<table><thead><tr><th>node</th><th>role</th><th>term</th><th>voted for</th><th>commit</th><th>applied</th><th>log (index:term)</th></tr></thead><tbody>' +
      rows +
      "</tbody></table>" +
      (anyState || data.counts.states > 0 ? "" : '<p class="extra">This trace has no state records: run the simulation with <code>recordStates: true</code> to see logs and indices here.</p>');
  }

  function renderEventList() {
    var m = hover || pinned;
    var center = m ? m.pos : 0;
    var before = [];
    var after = [];
    for (var p = center; p >= 0 && before.length < 14; p--) {
      if (ev[p].k === "state" || !eventVisible(ev[p])) continue;
      before.push(p);
    }
    for (var q = center + 1; q < ev.length && after.length < 8; q++) {
      if (ev[q].k === "state" || !eventVisible(ev[q])) continue;
      after.push(q);
    }
    before.reverse();
    var list = before.concat(after);
    var html = "";
    var failPos = data.failure ? data.failure.pos : -2;
    for (var i = 0; i < list.length; i++) {
      var pos = list[i];
      var e = ev[pos];
      var cls = [];
      if (pos === before[before.length - 1]) cls.push("cur");
      if (pos === failPos) cls.push("fail");
      if (pos > center) cls.push("after");
      var text = ("#" + e.i).padEnd(7) + ("t=" + e.t).padEnd(9) + describe(e);
      html += '<li data-pos="' + pos + '" class="' + cls.join(" ") + '" title="' + esc(short(describe(e), 600)) + '">' + esc(short(text, 160)) + "</li>";
    }
    eventList.innerHTML = html;
    var cur = eventList.querySelector("li.cur");
    if (cur && cur.scrollIntoView) cur.scrollIntoView({ block: "nearest" });
  }

  var panelsPending = false;
  function refreshPanels() {
    if (panelsPending) return;
    panelsPending = true;
    requestAnimationFrame(function () {
      panelsPending = false;
      renderInspector();
      renderEventList();
    });
  }

  function pinAt(t, pos) {
    pinned = { t: t, pos: pos };
    requestDraw();
    refreshPanels();
  }

  function pinPos(pos) {
    pos = Math.max(0, Math.min(ev.length - 1, pos));
    var t = ev[pos].t;
    pinAt(t, pos);
    if (t < view.t0 || t > view.t1) focusOn(t, view.t1 - view.t0);
  }

  function stepEvent(dir) {
    var start = pinned ? pinned.pos : dir > 0 ? -1 : ev.length;
    for (var p = start + dir; p >= 0 && p < ev.length; p += dir) {
      if (ev[p].k === "state" || !eventVisible(ev[p])) continue;
      pinPos(p);
      return;
    }
  }

  // ------------------------------------------------------------ hit testing and tooltip

  function segDist(px, py, p) {
    var dx = p.x2 - p.x1;
    var dy = p.y2 - p.y1;
    var l2 = dx * dx + dy * dy;
    var u = l2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - p.x1) * dx + (py - p.y1) * dy) / l2));
    var qx = p.x1 + u * dx - px;
    var qy = p.y1 + u * dy - py;
    return Math.sqrt(qx * qx + qy * qy);
  }

  function hitTest(px, py) {
    if (py >= AXIS_H && py < AXIS_H + NET_H) {
      var t = tAt(px);
      for (var s = 0; s < data.net.length; s++) if (data.net[s].t0 <= t && t <= data.net[s].t1) return { kind: "net", index: s };
      return null;
    }
    var best = null;
    var bestD = 6;
    var first = lowerBound(K.t, tAt(px - 8));
    var last = lowerBound(K.t, tAt(px + 8));
    for (var i = first; i < last; i++) {
      if (!markShown(i)) continue;
      var d = Math.hypot(x(K.t[i]) - px, axisY(K.lane[i]) - py + (data.markKinds[K.kind[i]] === "timer" ? BAND_H / 2 + 3 : 0));
      if (d < bestD) {
        bestD = d;
        best = { kind: "mark", index: i };
      }
    }
    if (!densityMode) {
      var bestA = 5;
      for (var j = 0; j < visibleArrows.length; j++) {
        var a = visibleArrows[j];
        var da = segDist(px, py, arrowGeometry(a));
        if (da < bestA && (best === null || da < bestD - 1)) {
          bestA = da;
          best = { kind: "arrow", index: a };
        }
      }
    }
    return best;
  }

  function itemPos(item) {
    if (item.kind === "net") return data.net[item.index].pos;
    if (item.kind === "mark") return K.pos[item.index];
    var a = item.index;
    return A.pos[a] >= 0 ? A.pos[a] : M.pos[A.msg[a]];
  }

  function tooltipHtml(item) {
    if (item.kind === "net") {
      var seg = data.net[item.index];
      return "<b>cut links</b> t = " + fmtMs(seg.t0) + " – " + fmtMs(seg.t1) + "\n" + esc(seg.label) + "\n(lanes are tinted by side; hatching marks one-way cuts)";
    }
    if (item.kind === "mark") {
      var e = ev[K.pos[item.index]];
      return "<b>t = " + fmtMs(e.t) + "</b> · #" + e.i + "\n" + esc(short(describe(e), 500));
    }
    var a = item.index;
    var m = A.msg[a];
    var f = A.flags[a];
    var send = M.pos[m] >= 0 ? ev[M.pos[m]] : null;
    var outcome = ev[A.pos[a]];
    var head = "<b>" + esc(data.types[M.type[m]]) + "</b> #" + M.id[m] + "  " + esc(data.lanes[M.from[m]]) + " → " + esc(data.lanes[M.to[m]]);
    var when = send ? "sent t = " + fmtMs(M.t[m]) : "sent before this trace begins";
    if (f & 4) when += " · still in flight when the trace ends";
    else if (f & 1) when += " · dropped at t = " + fmtMs(A.t[a]) + " (" + esc(outcome ? outcome.reason : "?") + ")";
    else when += " · delivered t = " + fmtMs(A.t[a]) + " (+" + fmtMs(A.t[a] - M.t[m]) + ")";
    if (f & 2) when += "\nduplicate copy: the network delivered this message twice";
    if (f & 16) when += "\na refusal (voteGranted/success false)";
    if (send && send.dirty) when += "\nsent while the sender had unsynced writes";
    var body = send ? '\n<span class="tt-json">' + esc(short(JSON.stringify(send.msg), 420)) + "</span>" : "";
    return head + "\n" + when + body;
  }

  function showTooltip(item, px, py) {
    if (!item) {
      tooltip.hidden = true;
      return;
    }
    tooltip.innerHTML = tooltipHtml(item);
    tooltip.hidden = false;
    var tw = tooltip.offsetWidth;
    var th = tooltip.offsetHeight;
    var left = px + 14 + tw > cssW ? px - 14 - tw : px + 14;
    var top = Math.min(Math.max(4, py + 12), Math.max(4, cssH - th - 4));
    tooltip.style.left = Math.max(4, left) + "px";
    tooltip.style.top = top + "px";
  }

  // ------------------------------------------------------------ input

  var drag = null;
  function localXY(evt, el) {
    var r = el.getBoundingClientRect();
    return { x: evt.clientX - r.left, y: evt.clientY - r.top };
  }

  chart.addEventListener("mousedown", function (evt) {
    var p = localXY(evt, chart);
    drag = { x: p.x, t0: view.t0, t1: view.t1, moved: false };
  });
  window.addEventListener("mousemove", function (evt) {
    if (drag) {
      var p = localXY(evt, chart);
      var dx = p.x - drag.x;
      if (Math.abs(dx) > 3) drag.moved = true;
      if (drag.moved) {
        chart.classList.add("dragging");
        var dt = (-dx / plotW) * (drag.t1 - drag.t0);
        setView(drag.t0 + dt, drag.t1 + dt);
        tooltip.hidden = true;
        return;
      }
    }
  });
  chart.addEventListener("mousemove", function (evt) {
    if (drag && drag.moved) return;
    var p = localXY(evt, chart);
    if (p.x < GUTTER || p.x > GUTTER + plotW) {
      hover = null;
      hoverItem = null;
      showTooltip(null);
      requestDraw();
      refreshPanels();
      return;
    }
    hoverItem = hitTest(p.x, p.y);
    var t = tAt(p.x);
    var pos = hoverItem ? itemPos(hoverItem) : posAtTime(t);
    hover = { t: hoverItem && pos >= 0 ? ev[pos].t : t, pos: Math.max(0, pos) };
    showTooltip(hoverItem, p.x, p.y);
    requestDraw();
    refreshPanels();
  });
  chart.addEventListener("mouseleave", function () {
    hover = null;
    hoverItem = null;
    showTooltip(null);
    requestDraw();
    refreshPanels();
  });
  window.addEventListener("mouseup", function (evt) {
    if (!drag) return;
    var wasClick = !drag.moved;
    drag = null;
    chart.classList.remove("dragging");
    if (!wasClick || evt.target !== chart) return;
    var p = localXY(evt, chart);
    if (p.x < GUTTER) return;
    var item = hitTest(p.x, p.y);
    if (item) {
      var pos = itemPos(item);
      if (pos >= 0) return pinAt(ev[pos].t, pos);
    }
    var t = tAt(p.x);
    pinAt(t, Math.max(0, posAtTime(t)));
  });
  chart.addEventListener(
    "wheel",
    function (evt) {
      evt.preventDefault();
      var p = localXY(evt, chart);
      if (evt.shiftKey || Math.abs(evt.deltaX) > Math.abs(evt.deltaY)) {
        var d = evt.shiftKey ? evt.deltaY : evt.deltaX;
        panBy((d / plotW) * (view.t1 - view.t0));
      } else {
        zoomAround(tAt(Math.max(GUTTER, p.x)), Math.exp(evt.deltaY * 0.0015));
      }
    },
    { passive: false },
  );

  var odrag = false;
  function overviewMove(evt) {
    var p = localXY(evt, overview);
    var t = lo + ((p.x - GUTTER) / plotW) * full;
    focusOn(t, view.t1 - view.t0);
  }
  overview.addEventListener("mousedown", function (evt) {
    odrag = true;
    overviewMove(evt);
  });
  window.addEventListener("mousemove", function (evt) {
    if (odrag) overviewMove(evt);
  });
  window.addEventListener("mouseup", function () {
    odrag = false;
  });

  document.addEventListener("keydown", function (evt) {
    if (evt.target && (evt.target.tagName === "INPUT" || evt.target.tagName === "TEXTAREA")) return;
    var w = view.t1 - view.t0;
    var mid = pinned && pinned.t >= view.t0 && pinned.t <= view.t1 ? pinned.t : (view.t0 + view.t1) / 2;
    switch (evt.key) {
      case "+":
      case "=":
        zoomAround(mid, 0.6);
        break;
      case "-":
      case "_":
        zoomAround(mid, 1 / 0.6);
        break;
      case "0":
        setView(lo, hi);
        break;
      case "ArrowLeft":
        panBy(-w * 0.2);
        break;
      case "ArrowRight":
        panBy(w * 0.2);
        break;
      case "[":
        stepEvent(-1);
        break;
      case "]":
        stepEvent(1);
        break;
      case "Escape":
        pinned = null;
        requestDraw();
        refreshPanels();
        break;
      default:
        return;
    }
    evt.preventDefault();
  });

  eventList.addEventListener("click", function (evt) {
    var li = evt.target.closest("li[data-pos]");
    if (li) pinPos(Number(li.getAttribute("data-pos")));
  });

  document.getElementById("zoom-in").addEventListener("click", function () {
    zoomAround((view.t0 + view.t1) / 2, 0.5);
  });
  document.getElementById("zoom-out").addEventListener("click", function () {
    zoomAround((view.t0 + view.t1) / 2, 2);
  });
  document.getElementById("zoom-fit").addEventListener("click", function () {
    setView(lo, hi);
  });
  var gotoFailure = document.getElementById("goto-failure");
  if (gotoFailure) gotoFailure.addEventListener("click", showFailure);

  function showFailure() {
    var f = data.failure;
    if (!f) return;
    focusOn(f.t + Math.max(Math.min(span, 40), span / 25) * 0.3, Math.max(Math.min(span, 40), span / 25));
    pinAt(f.t, f.pos >= 0 ? f.pos : Math.max(0, posAtTime(f.t)));
  }

  // ------------------------------------------------------------ filters and legend

  function chip(container, labelHtml, checked, onChange, attrs) {
    var label = document.createElement("label");
    label.className = "chip";
    for (var k in attrs) label.setAttribute(k, attrs[k]);
    var input = document.createElement("input");
    input.type = "checkbox";
    input.checked = checked;
    input.addEventListener("change", function () {
      onChange(input.checked);
    });
    label.appendChild(input);
    var span = document.createElement("span");
    span.innerHTML = labelHtml;
    label.appendChild(span);
    container.appendChild(label);
  }

  var nodeFilter = document.getElementById("node-filter");
  data.lanes.forEach(function (name, lane) {
    chip(nodeFilter, esc(name), true, function (on) {
      if (on) hiddenLanes.delete(lane);
      else hiddenLanes.add(lane);
      layout();
      requestDraw();
      refreshPanels();
    }, { "data-node": name });
  });
  var typeFilter = document.getElementById("type-filter");
  data.types.forEach(function (name, type) {
    chip(typeFilter, '<span class="sw" style="background:' + typeColor[type] + '"></span>' + esc(name) + ' <span class="n">' + data.typeCounts[type] + "</span>", true, function (on) {
      if (on) hiddenTypes.delete(type);
      else hiddenTypes.add(type);
      requestDraw();
    }, { "data-type": name });
  });
  if (data.types.length === 0) typeFilter.insertAdjacentHTML("beforeend", '<span class="muted">none sent</span>');
  var markFilter = document.getElementById("mark-filter");
  [["timer", "timers"], ["apply", "applies"], ["log", "log events"], ["sync", "syncs"]].forEach(function (kv) {
    chip(markFilter, kv[1], show[kv[0]], function (on) {
      show[kv[0]] = on;
      requestDraw();
    }, { "data-mark": kv[0] });
  });

  function legendSwatch(style, text) {
    return '<span><span class="chip-sw" style="display:inline-block;width:22px;height:10px;' + style + '"></span>' + text + "</span>";
  }
  document.getElementById("legend-body").innerHTML = [
    legendSwatch("background:" + ROLE_COLORS.leader, "leader"),
    legendSwatch("background:" + ROLE_COLORS.candidate, "candidate"),
    legendSwatch("background:" + ROLE_COLORS.precandidate, "pre-candidate"),
    legendSwatch("background:" + ROLE_COLORS.follower, "follower"),
    legendSwatch("background:" + ROLE_COLORS[""], "up, role unknown"),
    legendSwatch("background:repeating-linear-gradient(45deg,#5b6372 0 3px,#8b93a3 3px 6px)", "down (crashed)"),
    legendSwatch("background:repeating-linear-gradient(45deg,#fde68a 0 3px,#f3c16b 3px 6px)", "paused"),
    legendSwatch("background:rgba(190,24,93,0.25)", "partition / cut link (lanes tinted by side)"),
    legendSwatch("border-top:2px dashed #5b8def;height:0", "dropped message (ends in a red ✕)"),
    legendSwatch("border-top:2px dotted #7c3aed;height:0", "duplicate copy (ring at the end)"),
    "<span>▷ hollow head: a refusal (vote not granted, AppendEntries failed)</span>",
    "<span>▕ timer · ● apply · ◆ log event · ▪ sync · ✕ crash · ▶ start/restart · ✎ note</span>",
  ].join("");

  // ------------------------------------------------------------ start

  window.addEventListener("resize", function () {
    layout();
    requestDraw();
  });
  layout();
  if (data.failure) {
    var f = data.failure;
    pinned = { t: f.t, pos: f.pos >= 0 ? f.pos : Math.max(0, posAtTime(f.t)) };
  } else if (ev.length > 0) {
    pinned = { t: ev[ev.length - 1].t, pos: ev.length - 1 }; // the end of the run
  }
  draw();
  renderInspector();
  renderEventList();
})();
