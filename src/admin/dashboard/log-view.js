// @ts-nocheck -- browser code: the repository's type check has Node's types only; test/dashboard.test.ts drives it in Chromium.
/*
 * A pool's live log (#/logs/<pool>): the last lines of its workers' stdout and stderr, then new
 * ones as they are written (GET /api/logs/:pool?follow=1, read as a stream), like `paddock logs -f`.
 * "Follow" keeps the stream open and the view at the bottom; "stderr only" hides stdout lines.
 */
'use strict';
(() => {
  const PD = window.PD;
  const { $, esc } = PD;
  /** Lines kept in the page; older ones are dropped. */
  const MAX_LINES = 5000;
  let aborter = null;

  function lineHtml(text) {
    // "<ISO time> <worker> <stream> <text>", as the output log writes it.
    const m = /^(\S+) (\S+) (stdout|stderr) ?(.*)$/.exec(text);
    if (!m) return `<div class="line">${esc(text)}</div>`;
    const t = Date.parse(m[1]);
    return `<div class="line ${m[3]}"><span class="t" title="${esc(m[1])}">${esc(Number.isNaN(t) ? m[1] : PD.clockTime(t))}</span> <span class="w">${esc(m[2])}</span> <span class="s">${m[3]}</span> ${esc(m[4])}</div>`;
  }

  function append(box, texts) {
    if (texts.length === 0) return;
    box.insertAdjacentHTML('beforeend', texts.map(lineHtml).join(''));
    while (box.childElementCount > MAX_LINES) box.firstElementChild.remove();
    if ($('#log-follow').checked) box.scrollTop = box.scrollHeight;
    $('#log-count').textContent = `${box.childElementCount} lines`;
  }

  async function stream(pool, follow) {
    aborter?.abort();
    const mine = new AbortController();
    aborter = mine;
    const box = $('#log-lines');
    box.innerHTML = '';
    try {
      const res = await fetch(`/api/logs/${encodeURIComponent(pool)}?lines=200${follow ? '&follow=1' : ''}`, { credentials: 'same-origin', signal: mine.signal });
      if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let rest = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parts = (rest + value).split('\n');
        rest = parts.pop();
        append(box, parts);
      }
      if (rest) append(box, [rest]);
    } catch (err) {
      if (!mine.signal.aborted) PD.showError(err);
    }
  }

  /** Shows the log page of a pool. */
  PD.showLogs = (pool) => {
    $('#log-pool').textContent = pool;
    $('#log-page').dataset.pool = pool;
    stream(pool, $('#log-follow').checked);
  };

  PD.stopLogs = () => {
    aborter?.abort();
    aborter = null;
  };

  $('#log-follow').addEventListener('change', () => {
    const pool = $('#log-page').dataset.pool;
    // Follow on: read again and keep the stream open; off: stop where the view is.
    if ($('#log-follow').checked) stream(pool, true);
    else PD.stopLogs();
  });
  $('#log-stderr').addEventListener('change', () => {
    $('#log-lines').classList.toggle('stderr-only', $('#log-stderr').checked);
  });
})();
