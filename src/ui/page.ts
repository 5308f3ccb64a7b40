/**
 * The two HTML pages of the web UI, each self-contained (inline style and script, no
 * framework). They poll the JSON endpoints of ui_server.ts and draw with the DOM: every
 * text from a query (its SQL, errors, plans) goes in through textContent, never as markup.
 */

const STYLE = `
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 1.3em; margin: 0 0 .6em; } a { color: #0b5cad; }
  table { border-collapse: collapse; } td, th { padding: .25em .8em; border-bottom: 1px solid #ddd; text-align: left; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .sql { font-family: ui-monospace, monospace; font-size: 12px; max-width: 60em; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
  .running { color: #0b5cad; } .finished { color: #1a7f37; } .failed { color: #c62828; }
  pre { background: #f6f8fa; padding: .8em; overflow: auto; font-size: 12px; }
  svg text { font: 12px system-ui, sans-serif; } svg .title { font-weight: 600; }
  svg rect.stage { stroke: #555; stroke-width: 1.2; rx: 6; }
  svg rect.waiting { fill: #f3f3f3; } svg rect.running { fill: #e3f0ff; } svg rect.done { fill: #e6f6ea; } svg rect.failed { fill: #fde7e7; }
  svg path.edge { fill: none; stroke: #777; stroke-width: 1.5; marker-end: url(#arrow); }
  svg text.edge { font-size: 11px; fill: #444; }
`;

const COMMON_SCRIPT = `
function fmtCount(n) { if (n < 1000) return String(n); if (n < 1e6) return (n / 1e3).toFixed(1) + 'K'; if (n < 1e9) return (n / 1e6).toFixed(1) + 'M'; return (n / 1e9).toFixed(1) + 'G'; }
function fmtBytes(n) { if (n < 1024) return n + ' B'; if (n < 1048576) return (n / 1024).toFixed(1) + ' KiB'; if (n < 1073741824) return (n / 1048576).toFixed(1) + ' MiB'; return (n / 1073741824).toFixed(2) + ' GiB'; }
function fmtMs(ms) { return ms < 1000 ? Math.round(ms) + ' ms' : (ms / 1000).toFixed(1) + ' s'; }
function el(tag, attrs, text) { var e = document.createElement(tag); for (var k in attrs || {}) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; }
`;

export const LIST_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Spillway queries</title><style>${STYLE}</style></head>
<body>
<h1>Spillway queries</h1>
<table id="queries"><thead><tr><th>query</th><th>state</th><th>elapsed</th><th>tasks</th><th>rows scanned</th><th>SQL</th></tr></thead><tbody></tbody></table>
<p id="empty">No query yet.</p>
<p><a href="/metrics">Prometheus metrics</a></p>
<script>
${COMMON_SCRIPT}
async function refresh() {
  try {
    var list = await (await fetch('/api/queries')).json();
    var body = document.querySelector('#queries tbody');
    body.replaceChildren();
    document.getElementById('empty').style.display = list.length ? 'none' : '';
    for (var q of list) {
      var tr = el('tr', { 'data-query': q.queryId });
      var a = el('a', { href: '/query/' + encodeURIComponent(q.queryId) }, q.queryId);
      var td = el('td'); td.appendChild(a); tr.appendChild(td);
      tr.appendChild(el('td', { class: q.state }, q.state));
      tr.appendChild(el('td', { class: 'num' }, fmtMs(q.elapsedMs)));
      tr.appendChild(el('td', { class: 'num' }, q.tasksDone + '/' + q.tasks));
      tr.appendChild(el('td', { class: 'num' }, fmtCount(q.rowsScanned) + (q.rowsToScan ? ' / ' + fmtCount(q.rowsToScan) : '')));
      tr.appendChild(el('td', { class: 'sql', title: q.sql }, q.sql));
      body.appendChild(tr);
    }
  } catch (e) { /* the server went away: keep the last list */ }
}
refresh();
setInterval(refresh, 1000);
</script>
</body></html>
`;

export const QUERY_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Spillway query</title><style>${STYLE}</style></head>
<body>
<p><a href="/">← all queries</a></p>
<h1>Query <span id="qid"></span> <span id="state"></span></h1>
<p id="summary"></p>
<pre id="sql"></pre>
<p id="error" class="failed"></p>
<svg id="dag" xmlns="http://www.w3.org/2000/svg"></svg>
<h2>EXPLAIN ANALYZE</h2>
<pre id="explain">(once the query has ended)</pre>
<script>
${COMMON_SCRIPT}
var SVG = 'http://www.w3.org/2000/svg';
var queryId = decodeURIComponent(location.pathname.split('/').pop());
function svg(tag, attrs, text) { var e = document.createElementNS(SVG, tag); for (var k in attrs || {}) e.setAttribute(k, String(attrs[k])); if (text !== undefined) e.textContent = text; return e; }

function drawDag(progress, layout) {
  var root = document.getElementById('dag');
  root.replaceChildren();
  root.setAttribute('width', layout.width);
  root.setAttribute('height', layout.height);
  var defs = svg('defs');
  var marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.appendChild(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#777' }));
  defs.appendChild(marker);
  root.appendChild(defs);
  var stages = {};
  for (var s of progress.stages) stages[s.stageId] = s;
  for (var e of layout.edges) {
    if (e.points.length === 0) continue;
    var d = 'M ' + e.points.map(function (p) { return p.x + ' ' + p.y; }).join(' L ');
    var g = svg('g', { class: 'edge', 'data-from': e.from, 'data-to': e.to });
    g.appendChild(svg('path', { class: 'edge', d: d }));
    var fig = progress.edges.find(function (x) { return x.from === e.from && x.to === e.to; });
    var mid = e.points[Math.floor(e.points.length / 2)];
    if (fig) {
      g.setAttribute('data-bytes-out', fig.bytesOut);
      g.setAttribute('data-bytes-in', fig.bytesIn);
      g.appendChild(svg('text', { class: 'edge', x: mid.x + 8, y: mid.y - 4 }, 'out ' + fmtCount(fig.rowsOut) + ' rows, ' + fmtBytes(fig.bytesOut)));
      g.appendChild(svg('text', { class: 'edge', x: mid.x + 8, y: mid.y + 10 }, 'in ' + fmtCount(fig.rowsIn) + ' rows, ' + fmtBytes(fig.bytesIn)));
    }
    root.appendChild(g);
  }
  for (var n of layout.nodes) {
    var st = stages[n.stageId];
    var g2 = svg('g', { class: 'stage', 'data-stage': st.stageId, 'data-state': st.state, 'data-tasks-done': st.tasksDone, 'data-tasks': st.tasks,
      'data-rows-scanned': st.rowsScanned, 'data-rows-out': st.rowsOut, transform: 'translate(' + n.x + ',' + n.y + ')' });
    g2.appendChild(svg('rect', { class: 'stage ' + st.state, width: n.width, height: n.height }));
    var title = 'Stage ' + st.stageId + ' · ' + st.state + ' · ' + fmtMs(st.elapsedMs);
    var label = st.label.length > 46 ? st.label.slice(0, 45) + '…' : st.label;
    var lines = [
      ['title', title],
      ['', label],
      ['tasks', 'tasks ' + st.tasksDone + '/' + st.tasks + (st.tasksRunning ? ' (' + st.tasksRunning + ' running)' : '')],
      ['scan', st.rowsToScan ? 'scanned ' + fmtCount(st.rowsScanned) + '/' + fmtCount(st.rowsToScan) + ' rows, ' + fmtBytes(st.bytesScanned) : 'in ' + fmtCount(st.rowsIn) + ' rows, ' + fmtBytes(st.bytesIn)],
      ['out', 'out ' + fmtCount(st.rowsOut) + ' rows, ' + fmtBytes(st.bytesOut) + ' → ' + st.output],
      ['spill', 'spilled ' + fmtBytes(st.spillBytes) + ' in ' + st.spillFiles + ' files'],
    ];
    lines.forEach(function (l, i) { g2.appendChild(svg('text', { class: l[0], x: 10, y: 18 + i * 16 }, l[1])); });
    var tip = svg('title', {}, st.label);
    g2.appendChild(tip);
    root.appendChild(g2);
  }
}

async function refresh() {
  var res;
  try { res = await fetch('/api/queries/' + encodeURIComponent(queryId)); } catch (e) { return true; }
  var body = await res.json();
  if (!res.ok) { document.getElementById('error').textContent = body.error; return false; }
  var p = body.progress;
  document.getElementById('qid').textContent = p.queryId;
  var state = document.getElementById('state');
  state.textContent = p.state;
  state.className = p.state;
  document.getElementById('summary').textContent = p.mode + ' · ' + fmtMs(p.elapsedMs) + ' · tasks ' + p.tasksDone + '/' + p.tasks +
    ' · scanned ' + fmtCount(p.rowsScanned) + (p.rowsToScan ? '/' + fmtCount(p.rowsToScan) : '') + ' rows · spilled ' + fmtBytes(p.spillBytes);
  document.getElementById('sql').textContent = p.sql;
  document.getElementById('error').textContent = p.error || '';
  drawDag(p, body.layout);
  if (body.explain !== null) document.getElementById('explain').textContent = body.explain;
  return p.state === 'running';
}

(async function poll() {
  var again = await refresh();
  if (again) setTimeout(poll, 300);
})();
</script>
</body></html>
`;
