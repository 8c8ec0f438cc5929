// @ts-nocheck -- browser code: the repository's type check has Node's types only; test/dashboard.test.ts drives it in Chromium.
/*
 * A crash bucket's page (#/crash/<bucket>): the bucket, then its newest reports whole — the error,
 * the stack, every thread gdb saw, the requests the worker had in hand, and the last lines it wrote.
 */
'use strict';
(() => {
  const PD = window.PD;
  const { $, esc } = PD;

  const frames = (list) => list.length === 0 ? '<p class="muted">No frames.</p>' : `<table class="frames"><thead><tr><th>#</th><th>Function</th><th>File</th><th class="num">Line</th></tr></thead><tbody>${
    list.map((f, i) => `<tr><td class="num">${i}</td><td><code>${esc(f.function)}</code></td><td><code>${esc(f.file ?? '')}</code></td><td class="num">${f.line ?? ''}</td></tr>`).join('')}</tbody></table>`;
  const lines = (title, list, cls) => `<h4>${esc(title)} <span class="muted">(${list.length})</span></h4>${list.length === 0 ? '<p class="muted">none</p>' : `<pre class="${cls}">${esc(list.join('\n'))}</pre>`}`;

  function report(r) {
    const exit = r.exit ? (r.exit.signal ? `signal ${r.exit.signal}` : `exit code ${r.exit.code}`) : '–';
    return `<article class="report" data-report="${esc(r.id)}">
      <h3><span class="pill ${r.kind === 'hang' ? 'warning' : 'error'}">${esc(r.kind)}</span> <code>${esc(r.id)}</code></h3>
      <table class="facts"><tbody>
        <tr><th>Time</th><td>${esc(PD.fullTime(r.time))}</td><th>Pool / worker</th><td>${esc(r.pool)} / ${esc(r.worker)} (pid ${r.pid ?? '–'})</td></tr>
        <tr><th>Error</th><td colspan="3"><b>${esc(r.error.type)}</b> ${esc(r.error.message ?? '')}</td></tr>
        <tr><th>Exit</th><td>${esc(exit)}</td><th>Uptime</th><td>${(r.uptimeMs / 1000).toFixed(1)} s, ${r.requestsServed} requests served</td></tr>
        <tr><th>Command</th><td colspan="3"><code>${esc(r.command.join(' '))}</code> <span class="muted">(${esc(r.runtime)})</span></td></tr>
        <tr><th>Stack from</th><td>${esc(r.stackSource)}</td><th>Captured in</th><td>${r.captureMs} ms${r.armed ? ' (armed with debug --next-crash)' : ''}</td></tr>
        ${r.core ? `<tr><th>Core</th><td colspan="3">${esc(r.core.status)} ${esc(r.core.path ?? '')} ${esc(r.core.note ?? '')}</td></tr>` : ''}
      </tbody></table>
      <h4>Stack</h4>${frames(r.stack)}
      ${r.threads.map((t) => `<h4>Thread ${esc(t.id)} ${esc(t.name ?? '')}${t.lwp ? ` (LWP ${t.lwp})` : ''}</h4>${frames(t.frames)}`).join('')}
      ${lines('Requests in hand', [...r.requestsInFlight.map((x) => `${x}   (in flight)`), ...r.requestsAbandoned.map((x) => `${x}   (its connection broke: answered 502 or retried)`)], 'requests')}
      ${lines('Last stderr lines', r.stderrTail, 'stderr')}
      ${lines('Last stdout lines', r.stdoutTail, 'stdout')}
      ${r.rawStack ? `<h4>Raw stack</h4><pre>${esc(r.rawStack)}</pre>` : ''}
      ${r.notes.length ? lines('Notes', r.notes, 'notes') : ''}
    </article>`;
  }

  /** Shows the page of one bucket. */
  PD.showCrash = async (bucket) => {
    const page = $('#crash-page');
    page.innerHTML = '<p class="muted">Loading…</p>';
    try {
      const [buckets, reports] = await Promise.all([PD.api('/api/crashes'), PD.api(`/api/crashes/${encodeURIComponent(bucket)}/reports`)]);
      const b = buckets.find((x) => x.bucket === bucket);
      page.innerHTML = `<p><a href="#/">← Overview</a></p>
        <h2>${esc(b ? b.kind : 'bucket')} bucket <code>${esc(bucket)}</code></h2>
        ${b ? `<p><code>${esc(b.signature)}</code></p><p>${b.count} report(s), pools ${esc(b.pools.join(', '))}; first seen ${esc(PD.fullTime(b.firstSeen))}, last seen ${esc(PD.fullTime(b.lastSeen))}.</p>` : ''}
        ${reports.map(report).join('') || '<p class="muted">Its reports were removed by the store\'s limits.</p>'}`;
    } catch (err) {
      page.innerHTML = `<p><a href="#/">← Overview</a></p><p class="error-text">${esc(err.message)}</p>`;
    }
  };
})();
