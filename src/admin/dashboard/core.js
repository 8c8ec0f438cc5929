// @ts-nocheck -- browser code: the repository's type check has Node's types only; test/dashboard.test.ts drives it in Chromium.
/*
 * The dashboard's shared helpers: the admin API, escaping, and times in the browser's own zone
 * (the host speaks UTC ISO; an operator reads local time, and the header names the zone).
 */
'use strict';
window.PD = window.PD || {};
(() => {
  const PD = window.PD;
  PD.$ = (sel, root = document) => root.querySelector(sel);
  PD.esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  PD.pill = (v) => `<span class="pill ${PD.esc(v)}">${PD.esc(v)}</span>`;
  PD.mib = (b) => (b == null ? '–' : (b / 1048576).toFixed(1) + ' MiB');

  const full = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
  const short = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hour12: false });
  /** A time with its zone, for the header. */
  PD.fullTime = (t) => full.format(new Date(t));
  /** A time for tables, in the browser's zone. */
  PD.localTime = (t) => short.format(new Date(t));
  /** A time of day with milliseconds, for log lines. */
  PD.clockTime = (t) => clock.format(new Date(t));
  PD.zoneName = () => Intl.DateTimeFormat().resolvedOptions().timeZone;
  PD.ago = (iso) => {
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return s < 90 ? s + 's ago' : s < 5400 ? Math.round(s / 60) + 'm ago' : Math.round(s / 3600) + 'h ago';
  };

  PD.api = async (path, options) => {
    const res = await fetch(path, { credentials: 'same-origin', ...options });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };

  PD.showError = (err) => {
    const e = PD.$('#error');
    e.style.display = err ? 'inline' : 'none';
    e.textContent = err ? String(err.message ?? err) : '';
  };

  /**
   * Asks before an action that takes a pool out of service. A <dialog>, not window.confirm, so
   * the question says what will happen and the page keeps refreshing behind it.
   */
  PD.confirm = (title, text, okLabel) => new Promise((resolve) => {
    const d = PD.$('#confirm');
    PD.$('#confirm-title').textContent = title;
    PD.$('#confirm-text').textContent = text;
    PD.$('#confirm-ok').textContent = okLabel;
    const done = (answer) => {
      d.removeEventListener('close', onClose);
      resolve(answer);
    };
    const onClose = () => done(d.returnValue === 'ok');
    d.addEventListener('close', onClose);
    d.returnValue = '';
    d.showModal();
  });
})();
