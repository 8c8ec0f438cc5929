// @ts-nocheck -- browser code: the repository's type check has Node's types only; test/dashboard.test.ts drives it in Chromium.
/* The page's routes (#/, #/crash/<bucket>, #/logs/<pool>) and the header clock in the browser's zone. */
'use strict';
(() => {
  const PD = window.PD;
  const { $ } = PD;

  PD.route = () => {
    const m = /^#\/(crash|logs)\/(.+)$/.exec(location.hash);
    if (!m) return { page: 'overview' };
    return { page: m[1], arg: decodeURIComponent(m[2]) };
  };

  function show() {
    const r = PD.route();
    for (const el of document.querySelectorAll('[data-page]')) el.hidden = el.dataset.page !== r.page;
    if (r.page !== 'logs') PD.stopLogs();
    if (r.page === 'overview') PD.overview.refresh();
    else if (r.page === 'crash') PD.showCrash(r.arg);
    else if (r.page === 'logs') PD.showLogs(r.arg);
  }

  function tick() {
    $('#clock').textContent = PD.fullTime(Date.now());
  }

  window.addEventListener('hashchange', show);
  show();
  tick();
  setInterval(tick, 1000);
  setInterval(PD.overview.refresh, 2000);
})();
