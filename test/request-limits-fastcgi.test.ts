/**
 * The request limits hold for a FastCGI pool too: a php-cgi worker that sends nothing within
 * requestTimeout gets its client a 504 and is not asked again, while another pool serves every
 * request meanwhile.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventIds } from '../src/events/event-ids.ts';
import { startTestHost, helloPool, get, load, type TestHost } from './helpers/test-host.ts';
import { phpPool, phpSkip } from './helpers/php-cgi.ts';

let h: TestHost;
let steady: ReturnType<typeof load>;

before(async () => {
  if (phpSkip) return;
  h = await startTestHost({
    sites: [{ name: 'main', hosts: ['*'], apps: [{ path: '/', pool: 'other' }, { path: '/php', pool: 'php', stripPrefix: true }] }],
    pools: { other: helloPool(), php: phpPool({ processModel: { requestTimeout: '400ms' } }) },
  });
  steady = load(`${h.url}/`, 2);
});
after(async () => {
  await steady?.stop();
  await h?.stop();
});

test('requestTimeout on a FastCGI pool: 504, an event, no retry; the other pool served every request', { skip: phpSkip }, async () => {
  assert.equal((await get(`${h.url}/php/slow.php?ms=1`)).status, 200);
  const pool = h.host.supervisor.poolMap.get('php')!;
  const before = pool.workers[0].requests;
  const r = await get(`${h.url}/php/slow.php?ms=3000`);
  assert.equal(r.status, 504);
  assert.match(r.body, /requestTimeout/);
  const e = await h.waitForEvent(EventIds.RequestTimedOut, 'php');
  assert.equal(e.details.count, 1);
  assert.equal(pool.workers.reduce((n, w) => n + w.requests, 0), before + 1, 'not retried');
  const s = await steady.stop();
  assert.equal(s.failed, 0, s.failures.join('\n'));
  assert.ok(s.ok > 0);
});
