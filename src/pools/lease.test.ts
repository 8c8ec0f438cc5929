/**
 * A lease on a worker that is never started (the accounting needs no process), with a connector
 * that records what becomes of its connections.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lease, type Connector, type LeaseOutcome, type Waiter } from './lease.ts';
import { WorkerProcess } from '../supervisor/worker-process.ts';
import { FakeClock, poolConfig } from '../../test/helpers/pool-fakes.ts';

interface Conn {
  readonly n: number;
  outcome: LeaseOutcome | null;
}

function setup(includeQueryStrings = false) {
  const clock = new FakeClock();
  const worker = new WorkerProcess('p-1', poolConfig({ diagnostics: { includeQueryStrings } }), clock.read);
  const connections: Conn[] = [];
  const connector: Connector<Conn> = {
    connect: (_w, fresh) => {
      const c = { n: connections.length + 1, outcome: null, fresh };
      connections.push(c);
      return c;
    },
    release: (conn, outcome) => {
      conn.outcome = outcome;
    },
  };
  const ended: WorkerProcess[] = [];
  const waiter: Waiter<Conn> = {
    exclude: null,
    connector,
    freshConnection: false,
    request: { method: 'GET', path: '/a', target: '/a?token=secret' },
    grant: () => {},
    refuse: () => {},
  };
  const lease = (): Lease<Conn> => new Lease(worker, waiter, (w) => ended.push(w));
  return { clock, worker, connections, ended, lease };
}

test('a lease holds one request on its worker and one connection, and gives both back once', () => {
  const { clock, worker, connections, ended, lease } = setup();
  const l = lease();
  assert.equal(l.connection, connections[0]);
  assert.deepEqual([worker.inFlight, worker.requests], [1, 1]);
  assert.deepEqual(worker.requestsInHand(), ['GET /a'], 'crash reports name it, without the query string');
  clock.advance(250);
  l.release('completed');
  l.release('workerDied');
  assert.equal(connections[0].outcome, 'completed', 'the first outcome stands');
  assert.deepEqual([worker.inFlight, worker.requests], [0, 1]);
  assert.equal(worker.lastActivityAt, clock.now, 'the idle timeout counts from the end of the request, on the pool\'s clock');
  assert.deepEqual(ended, [worker], 'the pool heard once');
  assert.deepEqual(worker.requestsAbandoned, []);
});

const outcomes: Array<{ outcome: LeaseOutcome; abandoned: string[] }> = [
  { outcome: 'completed', abandoned: [] },
  { outcome: 'completedClose', abandoned: [] },
  { outcome: 'clientGone', abandoned: [] },
  { outcome: 'workerDied', abandoned: ['GET /a'] },
];

for (const c of outcomes) {
  test(`released as ${c.outcome}: the connector is told, and the request is ${c.abandoned.length ? 'kept as abandoned' : 'forgotten'}`, () => {
    const { worker, connections, lease } = setup();
    lease().release(c.outcome);
    assert.equal(connections[0].outcome, c.outcome);
    assert.deepEqual(worker.requestsAbandoned, c.abandoned);
    assert.deepEqual(worker.requestsInHand(), []);
  });
}

test('an upgraded request is a tunnel: in flight, but not what a drain waits for, until it closes', () => {
  const { worker, lease } = setup();
  const l = lease();
  l.upgrade();
  l.upgrade();
  assert.deepEqual([worker.inFlight, worker.tunnels], [1, 1]);
  l.release('upgraded');
  assert.deepEqual([worker.inFlight, worker.tunnels], [0, 0]);
  const broken = lease();
  broken.upgrade();
  broken.release('workerDied');
  assert.deepEqual([worker.inFlight, worker.tunnels], [0, 0]);
  assert.deepEqual(worker.requestsAbandoned, [], 'a tunnel that breaks was answered (101): not abandoned');
});

test('query strings reach crash reports only where diagnostics.includeQueryStrings allows', () => {
  const { lease } = setup(true);
  assert.equal(lease().label, 'GET /a?token=secret');
});
