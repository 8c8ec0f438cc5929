import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestHost, get, helloPool, waitFor, repoRoot, type TestHost } from './helpers/test-host.ts';

const executablePath = '/usr/bin/chromium';
const skip = !existsSync(executablePath) && 'chromium is not installed (.ci/run installs it)';
/** Screenshots of each scenario, kept for a person to look at (gitignored). */
const artifacts = join(repoRoot, 'test', 'artifacts');
let h: TestHost;
let browser: Browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  h = await startTestHost({
    admin: { socket: 'admin.sock', tcp: '127.0.0.1:0', token: 'dash-token' },
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }, { path: '/other', pool: 'other' }] }],
    pools: { web: helloPool(), other: helloPool() },
  }, { history: { intervalMs: 250 } });
  if (skip) return;
  browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  await h?.stop();
});

/** A page of the dashboard in a browser whose zone is not the host's (the header must follow the browser). */
async function open(hash = '', timezoneId = 'Asia/Kolkata'): Promise<Page> {
  const context = await browser.newContext({ timezoneId, viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${h.host.admin.tcpPort}/?token=dash-token${hash}`);
  return page;
}

test('the dashboard shows pools and workers; Stop asks first, and Stop and Start work', { skip }, async () => {
  assert.equal((await get(`${h.url}/`)).status, 200, 'a worker of web is running');
  const page = await open();
  const row = page.locator('#pools tr[data-pool="web"]');
  await row.waitFor({ timeout: 10_000 });
  assert.match(await row.innerText(), /started/);
  await page.locator('#workers td', { hasText: /^web-\d+$/ }).first().waitFor({ timeout: 10_000 });

  // Stop asks first; Cancel leaves the pool as it was.
  await row.locator('button[data-act="stop"]').click();
  const dialog = page.locator('dialog#confirm');
  await dialog.waitFor({ state: 'visible', timeout: 5_000 });
  assert.match(await dialog.innerText(), /Stop pool 'web'\?/);
  await page.screenshot({ path: join(artifacts, 'dashboard-stop-confirm.png'), fullPage: true });
  await dialog.locator('#confirm-cancel').click();
  await dialog.waitFor({ state: 'hidden', timeout: 5_000 });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(h.host.supervisor.pool('web').state, 'started', 'cancelled: nothing was stopped');

  await row.locator('button[data-act="stop"]').click();
  await page.locator('#confirm-ok').click();
  await waitFor(() => h.host.supervisor.pool('web').state === 'stopped', 10_000, 'web stopped from the page');
  await page.locator('#pools tr[data-pool="web"] .pill.stopped').waitFor({ timeout: 10_000 });
  assert.equal((await get(`${h.url}/`)).status, 503);

  await page.locator('#pools tr[data-pool="web"] button[data-act="start"]').click();
  await waitFor(() => h.host.supervisor.pool('web').state === 'started', 10_000, 'web started from the page');
  assert.equal((await get(`${h.url}/`)).status, 200);
  await page.locator('#events td', { hasText: 'stopped by an administrator' }).first().waitFor({ timeout: 10_000 });
  await page.context().close();
});

test('the header shows the time in the browser\'s zone', { skip }, async () => {
  const page = await open('', 'Asia/Kolkata');
  await waitFor(async () => /GMT\+5:30/.test(await page.locator('#clock').innerText()), 5_000, 'the clock in India Standard Time');
  await waitFor(async () => /up since .*GMT\+5:30/.test(await page.locator('#host').innerText()), 5_000, 'the start time in the same zone');
  await page.context().close();
});

test('after traffic the charts draw data points, and a crash is marked on its pool\'s time axis', { skip }, async () => {
  for (let i = 0; i < 30; i++) assert.equal((await get(`${h.url}/other/`)).status, 200);
  await get(`${h.url}/other/throw`).catch(() => null);
  await h.waitForEvent(5009, 'other');
  await get(`${h.url}/other/`);
  const page = await open();
  const rps = page.locator('.chart[data-pool="other"][data-metric="rps"]');
  await rps.locator('canvas').waitFor({ timeout: 10_000 });
  await waitFor(async () => Number(await rps.getAttribute('data-max')) > 0, 10_000, 'a point with requests on the requests/s chart');
  const latency = page.locator('.chart[data-pool="other"][data-metric="latency"]');
  await waitFor(async () => Number(await latency.getAttribute('data-points')) > 0, 10_000, 'latency points');
  await waitFor(async () => Number(await rps.getAttribute('data-marks')) >= 1, 10_000, 'the crash marked on the time axis');
  // The canvas really has the series drawn: pixels of its stroke colour (#2f5bd3).
  const drawn = await rps.locator('canvas').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 0x2f) < 24 && Math.abs(d[i + 1] - 0x5b) < 24 && Math.abs(d[i + 2] - 0xd3) < 24) n++;
    return n;
  });
  assert.ok(drawn > 20, `the requests/s series is drawn (${drawn} pixels of its colour)`);
  for (const metric of ['memory', 'errors']) {
    await page.locator(`.chart[data-pool="other"][data-metric="${metric}"] canvas`).waitFor({ timeout: 5_000 });
  }
  await page.screenshot({ path: join(artifacts, 'dashboard-charts.png'), fullPage: true });
  await page.context().close();
});

test('a crash bucket opens its page with the report whole: stack, requests in hand, last output', { skip }, async () => {
  await get(`${h.url}/other/throw`).catch(() => null);
  await h.waitForEvent(6010, 'other');
  const page = await open();
  const link = page.locator('#crashes tbody tr', { hasText: 'explodeOnPurpose' }).locator('a');
  await link.waitFor({ timeout: 10_000 });
  await link.click();
  const report = page.locator('#crash-page article.report').first();
  await report.waitFor({ timeout: 10_000 });
  assert.match(page.url(), /#\/crash\/[0-9a-f]{12}$/);
  const text = await report.innerText();
  assert.match(text, /explodeOnPurpose/, 'the stack');
  assert.match(text, /Requests in hand \(1\)/);
  assert.match(text, /GET \/other\/throw/, 'the request the worker held');
  assert.match(text, /Last stderr lines \([1-9]\d*\)/, 'the last output');
  await page.screenshot({ path: join(artifacts, 'dashboard-crash-bucket.png'), fullPage: true });
  await page.context().close();
});

test('the log view follows new lines, and filters stderr', { skip }, async () => {
  assert.equal((await get(`${h.url}/say?out=before-open`)).status, 200);
  const page = await open('#/logs/web');
  const lines = page.locator('#log-lines');
  await lines.locator('.line', { hasText: 'before-open' }).waitFor({ timeout: 10_000 });
  // New lines arrive without a reload.
  await get(`${h.url}/say?out=followed-out-line`);
  await get(`${h.url}/say?err=followed-err-line`);
  await lines.locator('.line.stdout', { hasText: 'followed-out-line' }).waitFor({ timeout: 10_000 });
  await lines.locator('.line.stderr', { hasText: 'followed-err-line' }).waitFor({ timeout: 10_000 });
  await page.locator('#log-stderr').check();
  assert.equal(await lines.locator('.line.stdout', { hasText: 'followed-out-line' }).isVisible(), false, 'stderr only hides stdout');
  assert.equal(await lines.locator('.line.stderr', { hasText: 'followed-err-line' }).isVisible(), true);
  await page.screenshot({ path: join(artifacts, 'dashboard-logs.png'), fullPage: true });
  await page.context().close();
});

test('without the token the dashboard API refuses', async () => {
  const r = await get(`http://127.0.0.1:${h.host.admin.tcpPort}/api/pools`);
  assert.equal(r.status, 401);
});

test('with front-door threads, the dashboard shows each thread\'s load; on the host\'s thread the section is hidden', { skip }, async () => {
  const threaded = await startTestHost({
    admin: { socket: 'admin.sock', tcp: '127.0.0.1:0', token: 'dash-token' },
    frontDoor: { threads: 2 },
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }] }],
    pools: { web: helloPool() },
  });
  try {
    for (let i = 0; i < 20; i++) assert.equal((await get(`${threaded.url}/`)).status, 200);
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${threaded.host.admin.tcpPort}/?token=dash-token`);
    const rows = page.locator('#front-door:not([hidden]) #threads tbody tr');
    await rows.nth(1).waitFor({ timeout: 10_000 });
    assert.equal(await rows.count(), 2);
    const served = await rows.evaluateAll((trs) => trs.reduce((n, tr) => n + Number(tr.children[3].textContent), 0));
    assert.ok(served >= 20, `the threads' requests add up (${served})`);
    await page.screenshot({ path: join(artifacts, 'dashboard-front-door-threads.png'), fullPage: true });
    await context.close();
  } finally {
    await threaded.stop();
  }
  if (h.host.supervisor.frontDoor.loads() === null) {
    const page = await open();
    await page.locator('#pools tr[data-pool="web"]').waitFor({ timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await page.locator('#front-door').isHidden(), true);
    await page.context().close();
  }
});
