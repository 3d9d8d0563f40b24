/** Line colours of the plots; tests look for these pixels to know a line was drawn. */
export const PLOT_COLOURS = {
  trainLoss: '#e8590c',
  valAccuracy: '#1971c2',
  mergedAccuracy: '#2f9e44',
} as const;

/** How often the page asks for `/status`. */
export const DASHBOARD_POLL_MS = 2000;

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:12px 20px;display:flex;flex-wrap:wrap;gap:6px 28px;align-items:baseline}
header h1{font-size:18px;margin:0 12px 0 0}header .k{color:#9aa4b5;margin-right:6px}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
.banner{display:none;padding:10px 20px;font-weight:600;color:#fff}.banner.on{display:block}
#stall{background:#c92a2a}#error{background:#a61e4d}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px;padding:16px 20px}
section{background:#fff;border-radius:6px;padding:12px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{font-size:15px;margin:0 0 8px}h2 .k{color:#7a8394;font-weight:400;font-size:13px}table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:4px 10px 4px 0;border-bottom:1px solid #eceef2;vertical-align:top}th{color:#5c6577;font-weight:600;white-space:nowrap}td:last-child{white-space:nowrap}
.empty{color:#7a8394;font-style:italic}.up{color:#2b8a3e}.down{color:#c92a2a}
.phase{padding:1px 8px;border-radius:10px;background:#364052}.phase.stalled{background:#c92a2a}
canvas{width:100%;height:260px;display:block}`;

const BODY = `
<header>
  <h1>swarmd</h1>
  <span><span class="k">peer</span><span id="peer" class="mono">…</span></span>
  <span><span class="k">swarm</span><span id="swarm">…</span></span>
  <span><span class="k">backend</span><span id="backend">…</span></span>
  <span><span class="k">round</span><span id="round">…</span></span>
  <span><span class="k">phase</span><span id="phase" class="phase">…</span></span>
  <span><span class="k">aggregator</span><span id="aggregator" class="mono">…</span></span>
  <span id="privacy-box" hidden><span class="k">privacy</span><span id="privacy">…</span></span>
</header>
<div id="stall" class="banner" role="alert"></div>
<div id="error" class="banner" role="alert"></div>
<main>
  <section><h2>Members <span id="members-count"></span></h2><div id="members"></div></section>
  <section><h2>Last commit</h2><div id="commit"></div><h2 style="margin-top:14px">Dropped messages</h2><div id="drops"></div></section>
  <section><h2>Training loss per round</h2><canvas id="loss-plot"></canvas></section>
  <section><h2><span id="acc-title">Accuracy</span> per round <span class="k">on this site's own validation split</span></h2><canvas id="acc-plot"></canvas></section>
</main>`;

/* Plain ES5-style script: no build step, no template literals, nothing fetched but /status. */
const SCRIPT = `
var C = ${JSON.stringify(PLOT_COLOURS)}, POLL_MS = ${DASHBOARD_POLL_MS}, last = null;
var token = (/[#&]token=([^&]+)/.exec(location.hash) || [])[1];
function $(id) { return document.getElementById(id); }
function el(tag, text, cls) { var e = document.createElement(tag); if (text != null) e.textContent = String(text); if (cls) e.className = cls; return e; }
function ago(ms) {
  if (ms == null) return 'never';
  var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return s + 's ago';
  if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's ago';
  if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor(s % 3600 / 60) + 'm ago';
  return Math.floor(s / 86400) + 'd ago';
}
function table(head, rows, empty) {
  if (!rows.length) return el('p', empty, 'empty');
  var t = el('table'), tr = el('tr');
  head.forEach(function (h) { tr.appendChild(el('th', h)); }); t.appendChild(tr);
  rows.forEach(function (r) { var tr = el('tr'); r.forEach(function (c) { tr.appendChild(c instanceof Node ? wrap(c) : el('td', c)); }); t.appendChild(tr); });
  return t;
}
function wrap(node) { var td = el('td'); td.appendChild(node); return td; }
function fill(id, node) { var e = $(id); e.replaceChildren(node); }
function render(s) {
  $('peer').textContent = s.peerId; $('swarm').textContent = s.swarmId; $('backend').textContent = s.backend + (s.backendDevice ? ' on ' + s.backendDevice : '');
  $('round').textContent = s.finishedAfterRound != null ? 'finished after round ' + s.finishedAfterRound : s.round + (s.roundsTotal != null ? ' of ' + s.roundsTotal : ''); $('phase').textContent = waiting(s); $('phase').className = 'phase ' + s.phase;
  var p = s.privacy; $('privacy-box').hidden = !p;
  if (p) $('privacy').textContent = 'ε ' + p.epsilon.toFixed(2) + ' (δ ' + p.delta + ')' + (p.maxEpsilon != null ? ' of budget ' + p.maxEpsilon + (p.budgetReached ? ', reached' : '') : '') + '; vs one curious member ' + p.epsilonCurious.toFixed(2) + ', vs ' + p.maxColluders + ' colluder(s) ' + p.epsilonColluders.toFixed(2) + (p.unmaskedNotCommitted > 0 ? '; ' + p.unmaskedNotCommitted + ' sum(s) unmasked, not committed' : '');
  $('aggregator').textContent = s.aggregator ? label(s, s.aggregator) : s.finishedAfterRound != null ? '- (finished)' : '- (picked when a round closes)';
  var stall = $('stall');
  stall.className = s.stalledSinceMs != null ? 'banner on' : 'banner';
  stall.textContent = s.stalledSinceMs != null ? 'Stalled since ' + ago(s.stalledSinceMs) + ': ' + (s.stalledReason || 'reason unknown') : '';
  $('members-count').textContent = '(' + s.membersLive + ' of ' + s.membersTotal + ' live)';
  fill('members', table(['member', 'peer', 'state', 'link', 'last heard'], s.members.map(function (m) {
    var st = liveness(m);
    return [m.name || '-', el('span', m.peerId + (m.self ? ' (self)' : '') + (m.peerId === s.aggregator ? ' (aggregator)' : ''), 'mono'),
      el('span', st, st === 'live' ? 'up' : 'down'), m.self ? '-' : m.connected ? 'yes' : 'no',
      m.self ? '-' : (m.lastHeard ? m.lastHeard.type + ' of round ' + m.lastHeard.round + ', ' : '') + ago(m.lastSeenMs)];
  }), 'No members configured: check the swarm config.'));
  fill('commit', commitView(s, s.lastCommit));
  fill('drops', table(['reason', 'count'], Object.keys(s.dropped).sort().map(function (k) { return [k, s.dropped[k]]; }), 'Nothing dropped.'));
  var h = s.history;
  plot($('loss-plot'), [{ name: 'train loss', colour: C.trainLoss, pts: pts(h, 'trainLoss') }], { y: 'loss' });
  var score = s.task ? s.task.score : 'accuracy';
  $('acc-title').textContent = score === 'accuracy' ? 'Accuracy' : score;
  plot($('acc-plot'), [{ name: 'validation', colour: C.valAccuracy, pts: pts(h, 'valAccuracy') },
    { name: 'merged', colour: C.mergedAccuracy, pts: pts(h, 'mergedAccuracy') }],
    score === 'accuracy' ? { y: 'accuracy', min: 0, max: 1, pct: true } : { y: score });
}
// The one definition of live (members[].live, which membersLive and waitingForPeers.online count).
function liveness(m) { return m.self || (m.live != null ? m.live : m.connected) ? 'live' : m.lastSeenMs == null ? 'never heard' : 'quiet'; }
function waiting(s) {
  var w = s.waitingForPeers; if (!w) return s.phase;
  var missing = s.members.filter(function (m) { return liveness(m) !== 'live'; }).map(function (m) { return (m.name || m.peerId) + ' (' + liveness(m) + ')'; });
  return 'waiting for peers: ' + w.online + ' of minPeers ' + w.minPeers + ' online' + (missing.length ? '; missing ' + missing.join(', ') : '');
}
function label(s, id) {
  var m = s.members.filter(function (x) { return x.peerId === id; })[0];
  return m && m.name ? m.name + ' (' + id + ')' : id;
}
function commitView(s, c) {
  if (!c) return el('p', 'No round committed yet.', 'empty');
  var total = c.contributors.reduce(function (a, x) { return a + x.samples; }, 0);
  var box = el('div');
  box.appendChild(el('p', 'Round ' + c.round + ', ' + ago(c.atMs) + ', ' + c.contributors.length + ' contributors, ' + total + ' samples'));
  box.appendChild(el('p', c.hash, 'mono'));
  box.appendChild(table(['contributor', 'samples'], c.contributors.map(function (x) { return [el('span', label(s, x.peerId), 'mono'), x.samples]; }), 'No contributors.'));
  return box;
}
function pts(h, k) { return h.filter(function (r) { return r[k] != null; }).map(function (r) { return [r.round, r[k]]; }); }
function niceStep(span, n) {
  var raw = span / n, p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
  return p * (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10);
}
function plot(cv, series, o) {
  var dpr = window.devicePixelRatio || 1, w = cv.clientWidth, h = cv.clientHeight;
  cv.width = Math.round(w * dpr); cv.height = Math.round(h * dpr);
  var g = cv.getContext('2d'); g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.fillStyle = '#ffffff'; g.fillRect(0, 0, w, h);
  var all = [].concat.apply([], series.map(function (s) { return s.pts; }));
  cv.dataset.points = String(all.length);
  g.font = '12px system-ui, sans-serif'; g.fillStyle = '#5c6577';
  if (!all.length) { g.textAlign = 'center'; g.fillText('No rounds yet: the plot starts after the first committed round.', w / 2, h / 2); return; }
  var L = 56, R = 16, T = 30, B = 40, pw = w - L - R, ph = h - T - B;
  var xs = all.map(function (p) { return p[0]; }), ys = all.map(function (p) { return p[1]; });
  var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs); var xPad = Math.max(0.25, (x1 - x0) * 0.03); x0 -= xPad; x1 += xPad;
  var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys), pad = (y1 - y0) * 0.1 || Math.abs(y1) * 0.1 || 0.1;
  y0 -= pad; y1 += pad; if (o.min != null) y0 = Math.max(o.min, y0); if (o.max != null) y1 = Math.min(o.max, y1);
  var X = function (v) { return L + (v - x0) / (x1 - x0) * pw; }, Y = function (v) { return T + ph - (v - y0) / (y1 - y0) * ph; };
  g.strokeStyle = '#d5d9e0'; g.lineWidth = 1; g.textAlign = 'right'; g.textBaseline = 'middle';
  var yStep = niceStep(y1 - y0, 5);
  for (var v = Math.ceil(y0 / yStep) * yStep; v <= y1 + 1e-9; v += yStep) {
    g.beginPath(); g.moveTo(L, Y(v)); g.lineTo(L + pw, Y(v)); g.stroke();
    g.fillText(o.pct ? Math.round(v * 100) + '%' : +v.toPrecision(3), L - 6, Y(v));
  }
  g.textAlign = 'center'; g.textBaseline = 'top';
  var xStep = Math.max(1, Math.ceil(niceStep(x1 - x0, 8)));
  for (var r = Math.ceil(x0 / xStep) * xStep; r <= x1; r += xStep) { g.fillText(String(r), X(r), T + ph + 6); }
  g.strokeStyle = '#1d2330'; g.beginPath(); g.moveTo(L, T); g.lineTo(L, T + ph); g.lineTo(L + pw, T + ph); g.stroke();
  g.fillText('round', L + pw / 2, T + ph + 22);
  g.save(); g.translate(14, T + ph / 2); g.rotate(-Math.PI / 2); g.fillText(o.y, 0, -6); g.restore();
  var legendX = L;
  series.filter(function (s) { return s.pts.length; }).forEach(function (s) {
    g.strokeStyle = g.fillStyle = s.colour; g.lineWidth = 2; g.beginPath();
    s.pts.forEach(function (p, j) { if (j) g.lineTo(X(p[0]), Y(p[1])); else g.moveTo(X(p[0]), Y(p[1])); }); g.stroke();
    s.pts.forEach(function (p) { g.beginPath(); g.arc(X(p[0]), Y(p[1]), 3, 0, 2 * Math.PI); g.fill(); });
    g.textBaseline = 'top'; g.fillRect(legendX, 7, 10, 10);
    g.fillStyle = '#1d2330'; g.textAlign = 'left'; g.fillText(s.name, legendX + 14, 6);
    legendX += 28 + g.measureText(s.name).width;
  });
}
function showError(msg) { var e = $('error'); e.textContent = msg; e.className = msg ? 'banner on' : 'banner'; }
function poll() {
  var headers = token ? { Authorization: 'Bearer ' + decodeURIComponent(token) } : {};
  fetch('status', { headers: headers, cache: 'no-store' }).catch(function () {
    throw new Error('Cannot reach the daemon: is it still running?');
  }).then(function (r) {
    if (r.status === 401) throw new Error('Unauthorized: open this page as /#token=<http.token>.');
    if (!r.ok) throw new Error('The daemon answered HTTP ' + r.status + '.');
    return r.json();
  }).then(function (s) { last = s; showError(''); render(s); document.documentElement.dataset.state = 'ok'; })
    .catch(function (e) { showError(String(e && e.message || e)); document.documentElement.dataset.state = 'error'; })
    .then(function () { setTimeout(poll, POLL_MS); });
}
window.addEventListener('resize', function () { if (last) render(last); });
poll();`;

/** The whole dashboard as one page: inline CSS and script, nothing loaded from anywhere but `/status`. */
export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>swarmd status</title><style>${STYLE}</style></head>
<body>${BODY}
<script>${SCRIPT}</script>
</body></html>`;
}
