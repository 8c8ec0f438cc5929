// @ts-nocheck -- browser code: the repository's type check has Node's types only; test/dashboard.test.ts drives it in Chromium.
/* The overview: pools with their actions, workers, crash buckets and events, refreshed every 2 s. */
'use strict';
(() => {
  const PD = window.PD;
  const { $, esc, pill, mib } = PD;

  async function act(pool, action) {
    if (action === 'stop') {
      const ok = await PD.confirm(`Stop pool '${pool}'?`,
        `Its workers drain and exit, and the front door answers its requests with 503 (Disabled) until it is started again.`, 'Stop pool');
      if (!ok) return;
    }
    try {
      await PD.api(`/api/pools/${encodeURIComponent(pool)}/${action}`, { method: 'POST' });
    } catch (err) {
      PD.showError(err);
    }
    refresh();
  }

  function renderPools(pools) {
    $('#pools tbody').innerHTML = pools.map((p) => {
      const refused = Object.entries(p.refused).map(([k, n]) => `${esc(k)} ${n}`).join(', ') || '<span class="muted">none</span>';
      return `<tr data-pool="${esc(p.name)}">
        <td><b>${esc(p.name)}</b><div class="muted">${esc(p.startMode)}, max ${p.maxProcesses}</div></td>
        <td>${pill(p.state)}${p.stopReason ? ` <span class="muted">${esc(p.stopReason)}</span>` : ''}</td>
        <td>${p.workers.map((w) => pill(w.state)).join(' ') || '<span class="muted">none</span>'}</td>
        <td class="num">${p.queued} / ${p.queueLength}</td><td class="num">${p.inFlight}</td><td class="num">${p.requests}</td>
        <td>${refused}</td><td class="num">${p.recentFailures}</td>
        <td class="actions">${p.state === 'started'
          ? `<button data-act="recycle">Recycle</button> <button data-act="stop" class="danger">Stop</button>`
          : `<button data-act="start">Start</button>`} <a href="#/logs/${encodeURIComponent(p.name)}">Logs</a></td>
      </tr>`;
    }).join('');
  }

  function renderWorkers(workers) {
    $('#workers tbody').innerHTML = workers.map((w) => `<tr>
      <td>${esc(w.pool)}</td><td>${esc(w.id)}</td><td class="num">${w.pid ?? '–'}</td><td>${pill(w.state)}</td><td>${pill(w.health)}</td>
      <td title="${esc(PD.fullTime(w.startedAt))}">${PD.ago(w.startedAt)}</td><td class="num">${w.requests}</td><td class="num">${w.inFlight}</td>
      <td class="num">${mib(w.rssBytes)}</td><td class="num">${w.cpuSeconds == null ? '–' : w.cpuSeconds.toFixed(2) + ' s'}</td>
    </tr>`).join('') || '<tr><td colspan="10" class="muted">No worker is running: pools start them on demand.</td></tr>';
  }

  /** Each front-door thread's load; the section shows only when the front door runs in threads. */
  function renderThreads(report) {
    $('#front-door').hidden = report.threads === null;
    if (report.threads === null) return;
    $('#threads tbody').innerHTML = report.threads.map((t) => `<tr>
      <td>${t.thread}</td><td class="num">${t.connections}</td><td class="num">${t.inFlight}</td><td class="num">${t.requests}</td>
      <td class="num">${t.restarts}</td>
    </tr>`).join('');
  }

  function renderCrashes(buckets) {
    $('#crashes tbody').innerHTML = buckets.map((b) => `<tr data-bucket="${esc(b.bucket)}">
      <td><span class="pill ${b.kind === 'hang' ? 'warning' : 'error'}">${esc(b.kind)}</span></td>
      <td><a href="#/crash/${encodeURIComponent(b.bucket)}"><code>${esc(b.signature)}</code></a></td>
      <td class="num">${b.count}</td><td>${esc((b.pools || []).join(', '))}</td><td title="${esc(PD.fullTime(b.lastSeen))}">${PD.ago(b.lastSeen)}</td>
      <td><code>${esc((b.top || []).slice(0, 3).join(' ← '))}</code></td>
    </tr>`).join('') || '<tr><td colspan="6" class="muted">No crash or hang captured.</td></tr>';
  }

  function renderEvents(events) {
    $('#events tbody').innerHTML = events.slice().reverse().map((e) => `<tr>
      <td title="${esc(e.time)}">${esc(PD.localTime(e.time))}</td><td>${e.id}</td><td>${pill(e.level)}</td>
      <td>${esc(e.pool ?? '')}</td><td>${esc(e.worker ?? '')}</td><td>${esc(e.message)}</td>
    </tr>`).join('');
  }

  let started = null;
  async function refresh() {
    if (PD.route().page !== 'overview') return;
    try {
      const [health, pools, workers, events] = await Promise.all([
        PD.api('/health'), PD.api('/api/pools'), PD.api('/api/workers'), PD.api('/api/events?limit=40'),
      ]);
      started = health.startedAt;
      $('#host').textContent = `up since ${PD.fullTime(health.startedAt)} · ${pools.length} pools · ${workers.length} workers`;
      renderPools(pools);
      renderWorkers(workers);
      renderEvents(events);
      PD.showError(null);
      PD.api('/api/crashes').then(renderCrashes, () => renderCrashes([]));
      PD.api('/api/front-door').then(renderThreads, () => renderThreads({ threads: null }));
      PD.api('/api/history').then(PD.renderCharts, PD.showError);
    } catch (err) {
      PD.showError(err);
    }
  }

  PD.overview = { refresh, startedAt: () => started };

  $('#pools').addEventListener('click', (ev) => {
    const button = ev.target.closest('button[data-act]');
    if (!button) return;
    act(button.closest('tr').dataset.pool, button.dataset.act);
  });
})();
