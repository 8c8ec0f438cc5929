/**
 * Workers that break HTTP while they stay up: a response that is not HTTP at all, a head with an
 * invalid Content-Length, a body cut off by a closed socket, a connection closed without a byte of
 * answer, a keep-alive connection closed as a request arrives, and a "Connection: close" ignored.
 * The raw-http fixture answers well on every other path, so the faulty pool's load must lose
 * nothing; only the requests that meet the fault see it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { fixtures, get } from '../helpers/test-host.ts';
import { EventIds } from '../../src/events/event-ids.ts';
import { faultScenario, type FaultHost } from './harness.ts';
import { describeLoad } from './steady-load.ts';

const raw = { command: ['node', join(fixtures, 'raw-http.mjs')], runtime: 'generic', failure: { rapidFailProtectionMaxCrashes: 100 } };

/** The worker that served before the fault is the one serving after it, and nothing was logged as a crash. */
async function sameWorkerStillServes(s: FaultHost, pid: number): Promise<void> {
  const r = await get(s.faulty());
  assert.equal(r.status, 200);
  assert.match(r.body, new RegExp(`pid ${pid}\\b`));
  assert.equal(s.h.events(EventIds.WorkerCrashed, 'faulty').length, 0, 'a protocol error is not a crash');
}

test('answers with invalid HTTP: the client gets 502 at once on a connection that stays usable; the worker keeps serving', async (t) => {
  const faulty = await faultScenario(t, { faulty: raw }, async (s) => {
    const pid = (await s.readyWorker()).pid!;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<Socket>();
    agent.on('free', (socket: Socket) => sockets.add(socket));
    try {
      for (let i = 0; i < 10; i++) {
        for (const route of ['/garbage', '/bad-length']) {
          const bad = await get(s.faulty(route), { agent, timeoutMs: 5_000 });
          assert.equal(bad.status, 502, `${route}: ${bad.body}`);
          assert.match(bad.body, /not valid HTTP/);
          const good = await get(s.faulty(), { agent, timeoutMs: 5_000 });
          assert.equal(good.status, 200, 'the next request on the same connection is served');
        }
      }
      assert.equal(sockets.size, 1, 'one client connection carried all forty requests');
    } finally {
      agent.destroy();
    }
    await sameWorkerStillServes(s, pid);
    await s.h.host.supervisor.accessLog.flush();
    const log = readFileSync(join(s.h.dir, 'logs', 'access.log'), 'utf8');
    assert.match(log, / GET \/faulty\/garbage - \d+ \S+ \S+ 502 3 \d+ faulty faulty-\d+ Connection_Abandoned_By_AppPool$/m);
  });
  assert.equal(faulty.failed, 0, describeLoad(faulty));
});

test('closes the socket mid-response: the client connection is aborted, and the host and the worker carry on', async (t) => {
  const faulty = await faultScenario(t, { faulty: raw }, async (s) => {
    const pid = (await s.readyWorker()).pid!;
    for (let i = 0; i < 20; i++) {
      // Part of the body already reached the client: the only honest end is to abort its connection.
      await assert.rejects(get(s.faulty('/truncate'), { timeoutMs: 5_000 }), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET');
    }
    await sameWorkerStillServes(s, pid);
  });
  assert.equal(faulty.failed, 0, describeLoad(faulty));
});

test('closes the socket before answering while it stays up: the GET is tried once more on that worker, then answered 502', async (t) => {
  const faulty = await faultScenario(t, { faulty: raw }, async (s) => {
    const pid = (await s.readyWorker()).pid!;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await get(s.faulty('/silent'), { agent, timeoutMs: 5_000 });
        assert.equal(r.status, 502, 'answered, not left waiting for a worker that will never come');
        assert.equal((await get(s.faulty(), { agent, timeoutMs: 5_000 })).status, 200, 'on a connection that stays usable');
      }
    } finally {
      agent.destroy();
    }
    await sameWorkerStillServes(s, pid);
  });
  assert.equal(faulty.failed, 0, describeLoad(faulty));
});

test('a keep-alive race (the worker closes a reused connection as the request arrives): the GET is retried on a new connection and never fails', async (t) => {
  const faulty = await faultScenario(t, { faulty: raw }, async (s) => {
    const pid = (await s.readyWorker()).pid!;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 5; i++) {
        const r = await get(s.faulty('/late-close'), { agent, timeoutMs: 5_000 });
        assert.equal(r.status, 200, `the client never sees the race: ${r.body}`);
        assert.match(r.body, /req 1$/m, 'answered on a connection of its own');
      }
    } finally {
      agent.destroy();
    }
    await sameWorkerStillServes(s, pid);
  });
  assert.equal(faulty.failed, 0, describeLoad(faulty));
});

test('ignores "Connection: close": the front door says close itself and never reuses that worker connection', async (t) => {
  const faulty = await faultScenario(t, { faulty: raw }, async (s) => {
    // Alone on the pool, so every worker connection seen below is one these requests used.
    const load = await s.faultyLoad!.stop();
    assert.equal(load.failed, 0, describeLoad(load));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const used: string[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const r = await get(s.faulty(), { agent, headers: { connection: 'close' }, timeoutMs: 5_000 });
        assert.equal(r.status, 200, 'a pooling client is never sent into a closing connection');
        assert.equal(r.headers.connection, 'close');
        used.push(/conn (\d+)/.exec(r.body)![1]);
      }
    } finally {
      agent.destroy();
    }
    assert.equal(new Set(used).size, used.length, `no worker connection carried a request after a "close": ${used.join(' ')}`);
  });
  assert.equal(faulty.failed, 0, describeLoad(faulty));
});
