import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startTestHost, get, helloPool, waitFor, type TestHost } from './helpers/test-host.ts';

const executablePath = '/usr/bin/chromium';
let h: TestHost;
let browser: Browser;

before(async () => {
  h = await startTestHost({
    admin: { socket: 'admin.sock', tcp: '127.0.0.1:0', token: 'dash-token' },
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/', pool: 'web' }, { path: '/other', pool: 'other' }] }],
    pools: { web: helloPool(), other: helloPool() },
  });
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  await h?.stop();
});

test('the dashboard shows pools and workers, and its Stop and Start buttons work', { skip: !existsSync(executablePath) && 'chromium is not installed (.ci/run installs it)' }, async () => {
  assert.equal((await get(`${h.url}/`)).status, 200, 'a worker of web is running');
  const port = h.host.admin.tcpPort;
  assert.ok(port);
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/?token=dash-token`);
  const row = page.locator('#pools tr[data-pool="web"]');
  await row.waitFor({ timeout: 10_000 });
  assert.match(await row.innerText(), /started/);
  await page.locator('#workers td', { hasText: /^web-\d+$/ }).first().waitFor({ timeout: 10_000 });

  await row.locator('button[data-act="stop"]').click();
  await waitFor(() => h.host.supervisor.pool('web').state === 'stopped', 10_000, 'web stopped from the page');
  await page.locator('#pools tr[data-pool="web"] .pill.stopped').waitFor({ timeout: 10_000 });
  assert.equal((await get(`${h.url}/`)).status, 503);

  await page.locator('#pools tr[data-pool="web"] button[data-act="start"]').click();
  await waitFor(() => h.host.supervisor.pool('web').state === 'started', 10_000, 'web started from the page');
  assert.equal((await get(`${h.url}/`)).status, 200);
  // The event of the stop is listed.
  await page.locator('#events td', { hasText: 'stopped by an administrator' }).first().waitFor({ timeout: 10_000 });
  await page.screenshot({ path: `${h.dir}/dashboard.png`, fullPage: true });
});

test('without the token the dashboard API refuses', async () => {
  const port = h.host.admin.tcpPort;
  const r = await get(`http://127.0.0.1:${port}/api/pools`);
  assert.equal(r.status, 401);
});

test('a crash shows in the dashboard with its kind and top frame', { skip: !existsSync(executablePath) && 'chromium is not installed (.ci/run installs it)' }, async () => {
  await get(`${h.url}/other/throw`).catch(() => null);
  await h.waitForEvent(6010, 'other');
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${h.host.admin.tcpPort}/?token=dash-token`);
  const row = page.locator('#crashes tbody tr', { hasText: 'explodeOnPurpose' });
  await row.waitFor({ timeout: 10_000 });
  assert.equal(await row.locator('.pill').innerText(), 'crash');
  assert.match(await row.innerText(), /other/);
});
