/**
 * The crash store is bounded: past its report limit the oldest reports are removed first, while
 * their bucket keeps counting.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/index.ts';
import { startHost, type RunningHost } from '../src/host/host.ts';
import { EventIds } from '../src/events/event-ids.ts';
import { AdminError } from '../src/admin/host-control.ts';
import { get, fixtures, waitFor } from './helpers/test-host.ts';

const dir = mkdtempSync(join(tmpdir(), 'pdk-limits-'));
let host: RunningHost | null = null;
after(async () => {
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('limits remove the oldest reports first; the bucket keeps its count', async () => {
  const file = join(dir, 'paddock.yaml');
  const text = stringify({
    dataDir: dir,
    listen: ['127.0.0.1:0'],
    admin: { socket: join(dir, 'admin.sock') },
    sites: [{ name: 'main', hosts: ['*'], apps: [{ path: '/', pool: 'web' }] }],
    pools: { web: { command: ['node', join(fixtures, 'diagnostics-worker.mjs')], failure: { rapidFailProtectionMaxCrashes: 50 } } },
  });
  const parsed = parseConfig(text, file);
  assert.ok(parsed.ok);
  host = await startHost(parsed.config, { quiet: true, diagnostics: { storeLimits: { maxReports: 2 } } });
  const url = `http://127.0.0.1:${host.bound[0].port}`;
  const events = host.supervisor.events;
  const ids: string[] = [];
  for (let n = 1; n <= 3; n++) {
    await get(`${url}/throw`, { method: 'POST' });
    const e = await waitFor(() => events.query({ id: EventIds.CrashReport, pool: 'web' })[n - 1], 15_000, `crash report ${n}`);
    ids.push(String(e.details.report));
    if (n === 3) assert.deepEqual(e.details.removedByLimits, [ids[0]], 'the third report removed the first');
  }
  assert.ok(!existsSync(join(dir, 'crashes', `${ids[0]}.json`)));
  assert.ok(existsSync(join(dir, 'crashes', `${ids[1]}.json`)));
  assert.ok(existsSync(join(dir, 'crashes', `${ids[2]}.json`)));
  assert.throws(() => host!.supervisor.crash(ids[0]), (err: AdminError) => err.code === 'NotFound');
  const [bucket] = host.supervisor.crashes('web');
  assert.equal(bucket.count, 3, 'the bucket still counts the removed report');
  assert.equal(bucket.latest, ids[2]);
});
