/**
 * A FastCGI pool lives as an HTTP pool does: php-cgi starts on demand, a web garden grows while
 * requests wait (each php-cgi takes one at a time), idle php-cgi processes shut down, rapid-fail
 * stops a pool whose scripts keep killing php-cgi, and FCGI_STDERR reaches the pool's log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { get, oneSite, startTestHost, waitFor } from './helpers/test-host.ts';
import { PHP_CGI, phpPool, phpSkip } from './helpers/php-cgi.ts';
import { EventIds } from '../src/events/event-ids.ts';

test('demand start, a web garden that grows to maxProcesses under concurrent requests, then idle shutdown (5186)', { skip: phpSkip }, async (t) => {
  const h = await startTestHost({ sites: oneSite('php'), pools: { php: phpPool({ processModel: { maxProcesses: 3, idleTimeout: '1s' } }) } });
  t.after(() => h.stop());
  assert.equal(h.host.supervisor.workers('php').length, 0, 'nothing runs before the first request');
  // Three slow requests at once: one php-cgi takes one, so the pool grows to three.
  const answers = await Promise.all([0, 1, 2, 3, 4].map(() => get(`${h.url}/slow.php?ms=600`)));
  for (const a of answers) assert.equal(a.status, 200);
  const pids = new Set(answers.map((a) => /pid (\d+)/.exec(a.body)![1]));
  assert.ok(pids.size >= 2, `the garden grew: answered by ${[...pids].join(', ')}`);
  assert.ok(h.events(EventIds.WorkerStarted, 'php').length <= 3, 'never more than maxProcesses');
  await h.waitForEvent(EventIds.IdleShutdown, 'php', 15_000);
  await waitFor(() => h.host.supervisor.workers('php').every((w) => w.state === 'stopped') || h.host.supervisor.workers('php').length === 0, 15_000, 'idle php-cgi stopped');
  const again = await get(`${h.url}/index.php`);
  assert.equal(again.status, 200, 'the next request starts one again');
});

test('rapid-fail: scripts that kill php-cgi stop the pool (5002); it answers 503 AppOffline, or resets with TcpLevel', { skip: phpSkip }, async (t) => {
  const crashy = { failure: { rapidFailProtectionMaxCrashes: 2 } };
  const h = await startTestHost({
    sites: [{ name: 'a', hosts: ['*'], apps: [{ path: '/http', pool: 'php', stripPrefix: true }, { path: '/tcp', pool: 'tcp', stripPrefix: true }] }],
    pools: { php: phpPool(crashy), tcp: phpPool({ failure: { ...crashy.failure, loadBalancerCapabilities: 'TcpLevel' } }) },
  });
  t.after(() => h.stop());
  for (const pool of ['php', 'tcp']) {
    for (let i = 1; i <= 2; i++) {
      await get(`${h.url}/${pool === 'php' ? 'http' : 'tcp'}/fatal.php?crash=1`, { method: 'POST', body: '' }).catch(() => null);
      await h.waitForEvent(EventIds.WorkerCrashed, pool, 10_000, i);
    }
  }
  await h.waitForEvent(EventIds.RapidFailStopped, 'php');
  await h.waitForEvent(EventIds.RapidFailStopped, 'tcp');
  const refused = await get(`${h.url}/http/index.php`);
  assert.equal(refused.status, 503);
  assert.match(refused.body, /AppOffline/);
  const reset = await get(`${h.url}/tcp/index.php`).then((r) => `status ${r.status}`, (err: NodeJS.ErrnoException) => err.code ?? err.message);
  assert.equal(reset, 'ECONNRESET');
});

test("FCGI_STDERR of a request goes to the pool's output log, named by its worker", { skip: phpSkip }, async (t) => {
  const h = await startTestHost({ sites: oneSite('php'), pools: { php: phpPool({ command: [PHP_CGI, '-d', 'fastcgi.logging=1'] }) } });
  t.after(() => h.stop());
  const r = await get(`${h.url}/stderr.php`);
  assert.equal(r.status, 200);
  assert.equal(r.body, 'logged\n');
  const worker = h.host.supervisor.workers('php')[0].id;
  const file = h.host.supervisor.logFile('php');
  await waitFor(() => existsSync(file) && new RegExp(`${worker} stderr .*a note from stderr\\.php for the pool log`).test(readFileSync(file, 'utf8')), 5_000, 'the FCGI_STDERR line in the pool log');
});

test('requestTimeout holds for php-cgi: a page that sends no head in time is a 504, not retried, and its php-cgi is replaced (IIS FastCGI)', { skip: phpSkip }, async (t) => {
  const h = await startTestHost({ sites: oneSite('php'), pools: { php: phpPool({ processModel: { maxProcesses: 2, requestTimeout: '400ms' } }) } });
  t.after(() => h.stop());
  const slow = await get(`${h.url}/slow.php?ms=1500`);
  assert.equal(slow.status, 504);
  assert.match(slow.body, /requestTimeout/);
  const timedOutPid = /pid (\d+)/.exec((await h.waitForEvent(EventIds.RequestTimedOut, 'php')).message)![1];
  const stopped = await waitFor(() => h.events(EventIds.WorkerStopped, 'php').find((e) => String(e.pid) === timedOutPid), 10_000, 'the timed-out php-cgi stopped');
  assert.match(stopped.message, /requestTimeout/);
  const fine = await get(`${h.url}/index.php`);
  assert.equal(fine.status, 200);
  assert.notEqual(/pid (\d+)/.exec(fine.body)![1], timedOutPid, 'the next request is not left behind the running script');
  assert.equal(h.host.supervisor.pool('php').refused.RequestTimeout, 1);
});
