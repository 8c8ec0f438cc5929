// @ts-nocheck -- browser code: the repository's type check has Node's types only; test/dashboard.test.ts drives it in Chromium.
/*
 * The charts: per pool, requests/s, p50/p99 latency, errors/s and memory over the last hour, drawn
 * with uPlot (served by the host, no CDN) from GET /api/history. Crash, hang, recycle and stop
 * events are drawn as dashed lines on the time axis of every chart of their pool; the axis is
 * in the browser's zone. Each chart's box carries data-points and data-marks, the counts drawn.
 */
'use strict';
(() => {
  const PD = window.PD;
  const { $, esc } = PD;
  const MARK_COLORS = { crash: '#cf222e', hang: '#bf8700', recycle: '#2f5bd3', stop: '#6e7781' };
  const METRICS = [
    { key: 'rps', title: 'Requests/s', series: [{ label: 'req/s', field: 'rps', stroke: '#2f5bd3' }] },
    { key: 'latency', title: 'Latency (ms)', series: [{ label: 'p50', field: 'p50Ms', stroke: '#1a7f37' }, { label: 'p99', field: 'p99Ms', stroke: '#bf8700' }] },
    { key: 'errors', title: 'Errors/s (5xx, no answer)', series: [{ label: 'errors/s', field: 'errorsPerSec', stroke: '#cf222e' }] },
    { key: 'memory', title: 'Memory (MiB)', series: [{ label: 'RSS', field: 'rssBytes', stroke: '#8250df', scale: 1 / 1048576 }] },
  ];
  /** uPlot instances by "pool/metric". */
  const charts = new Map();
  let marksByPool = new Map();

  function marksPlugin(pool) {
    return {
      hooks: {
        draw: [(u) => {
          const { ctx } = u;
          const { left, top, width, height } = u.bbox;
          let drawn = 0;
          for (const m of marksByPool.get(pool) || []) {
            const x = Math.round(u.valToPos(m.time / 1000, 'x', true));
            if (x < left || x > left + width) continue;
            drawn++;
            ctx.save();
            ctx.strokeStyle = MARK_COLORS[m.kind] || '#000';
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.setLineDash([5 * devicePixelRatio, 3 * devicePixelRatio]);
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            ctx.restore();
          }
          u.root.parentElement.dataset.marks = String(drawn);
        }],
      },
    };
  }

  function dataOf(h, metric) {
    const x = h.t.map((t) => t / 1000);
    return [x, ...metric.series.map((s) => h[s.field].map((v) => (v == null ? null : s.scale ? v * s.scale : v)))];
  }

  function make(box, pool, metric, data) {
    const opts = {
      width: Math.max(220, box.clientWidth - 8),
      height: 150,
      legend: { show: true, live: false },
      cursor: { show: true, points: { show: false } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(max ?? 1, metric.key === 'errors' ? 1 : 0.001) * 1.1] } },
      axes: [{ size: 32 }, { size: 48 }],
      series: [{}, ...metric.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, spanGaps: false, points: { show: true, size: 4 } }))],
      plugins: [marksPlugin(pool)],
    };
    return new uPlot(opts, data, box);
  }

  /** Draws (or updates) every pool's charts from a history snapshot. */
  PD.renderCharts = (history) => {
    const section = $('#charts');
    const pools = Object.keys(history.pools).sort();
    marksByPool = new Map();
    for (const m of history.marks) {
      if (!marksByPool.has(m.pool)) marksByPool.set(m.pool, []);
      marksByPool.get(m.pool).push(m);
    }
    const wanted = pools.join('\u0000');
    if (section.dataset.pools !== wanted) {
      for (const u of charts.values()) u.destroy();
      charts.clear();
      section.dataset.pools = wanted;
      section.querySelector('.chart-rows').innerHTML = pools.map((p) => `
        <div class="chart-row" data-pool="${esc(p)}">
          <h3>${esc(p)} <span class="muted marks-legend"></span></h3>
          <div class="chart-grid">${METRICS.map((m) => `<div class="chart" data-pool="${esc(p)}" data-metric="${m.key}"><div class="chart-title">${esc(m.title)}</div></div>`).join('')}</div>
        </div>`).join('') || '<p class="muted">No pool.</p>';
    }
    $('#charts .interval').textContent = `one point per ${history.intervalMs >= 1000 ? `${Math.round(history.intervalMs / 1000)} s` : `${history.intervalMs} ms`} over the last ${Math.round(history.spanMs / 60000)} min, times in ${PD.zoneName()}`;
    for (const p of pools) {
      const h = history.pools[p];
      const legend = section.querySelector(`.chart-row[data-pool="${CSS.escape(p)}"] .marks-legend`);
      const counts = {};
      for (const m of marksByPool.get(p) || []) counts[m.kind] = (counts[m.kind] || 0) + 1;
      legend.innerHTML = Object.entries(counts).map(([k, n]) => `<span style="color:${MARK_COLORS[k]}">┆ ${n} ${k}</span>`).join(' ');
      for (const metric of METRICS) {
        const box = section.querySelector(`.chart[data-pool="${CSS.escape(p)}"][data-metric="${metric.key}"]`);
        const data = dataOf(h, metric);
        box.dataset.points = String(data.slice(1).reduce((n, s) => n + s.filter((v) => v != null).length, 0));
        box.dataset.max = String(Math.max(0, ...data.slice(1).flat().filter((v) => v != null)));
        const key = `${p}/${metric.key}`;
        const u = charts.get(key);
        if (u) u.setData(data);
        else charts.set(key, make(box, p, metric, data));
      }
    }
  };
})();
