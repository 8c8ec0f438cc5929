/**
 * One front-door thread (a worker_threads entry). It holds a front door of its own: listeners on
 * every binding (SO_REUSEPORT, beside the other threads'), its client connections, and its
 * keep-alive connections to the workers. Its pools are gates over the shared table
 * (thread-gate.ts), its workers mirrors of the supervisor's (worker-mirror.ts): a request goes
 * from accept to the last byte of its answer without a message to the supervisor. What it tells
 * the supervisor is in dispatch/messages.ts; its access-log lines are formatted here and handed
 * over in batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromThread, PoolEntry, ThreadStart, ToThread, WorkerFacts } from '../dispatch/messages.ts';
import { SharedTable } from '../dispatch/shared-table.ts';
import { isPoison } from '../pools/policy/request-limits.ts';
import type { Lease } from '../pools/lease.ts';
import { AccessLog } from './access-log.ts';
import { AccessLineFormatter } from './access-log-format.ts';
import { FrontDoor } from './front-door.ts';
import { ThreadGate } from './thread-gate.ts';
import { WorkerMirror } from './worker-mirror.ts';

/** How often the thread sweeps its requests (the supervisor's tick). */
const sweepMs = 250;

function main(port: NonNullable<typeof parentPort>, start: ThreadStart): void {
  const table = new SharedTable(start.table);
  const thread = start.thread;
  const now = Date.now;
  const post = (m: FromThread): void => port.postMessage(m);
  const gates = new Map<string, ThreadGate>();
  const mirrors = new Map<number, WorkerMirror>();
  const gateHost = { table, thread, now, post };
  const mirrorHost = {
    table,
    thread,
    now,
    idle: (slot: number) => post({ t: 'idle', slot }),
    abandoned: (slot: number, label: string, request: unknown) => {
      post({ t: 'abandoned', slot, label, poison: isPoison((request as Lease).deathsBefore) });
    },
  };

  const setPools = (pools: readonly PoolEntry[]): void => {
    const names = new Set<string>();
    for (const p of pools) {
      names.add(p.name);
      const g = gates.get(p.name);
      if (g !== undefined && g.index === p.index) g.config = p.config;
      else gates.set(p.name, new ThreadGate(p.name, p.index, p.config, gateHost));
    }
    for (const name of [...gates.keys()]) if (!names.has(name)) gates.delete(name);
  };
  setPools(start.pools);

  const onWorker = (facts: WorkerFacts): void => {
    const gate = gates.get(facts.pool);
    let m = mirrors.get(facts.slot);
    if (m !== undefined && m.id !== facts.id) {
      mirrors.delete(facts.slot);
      m = undefined;
    }
    if (m === undefined) {
      if (facts.address === null || gate === undefined || facts.state === 'stopped') return;
      m = new WorkerMirror(facts, facts.address, mirrorHost, gate.config.diagnostics.includeQueryStrings, gate.config.protocol === 'fastcgi');
      mirrors.set(facts.slot, m);
      gate.workers.push(m);
    } else {
      m.update(facts, facts.address);
    }
    gate?.dispatchQueued();
  };
  for (const w of start.workers) onWorker(w);

  const formatter = start.accessFormat === 'off' ? null : new AccessLineFormatter(start.accessFormat, { includeQueryStrings: start.includeQueryStrings });
  const accessLog = new AccessLog({
    file: '',
    format: 'off',
    includeQueryStrings: start.includeQueryStrings,
    maxBytes: 0,
    maxFiles: 0,
    onError: () => {},
    sink: (batch) => {
      const chunks = formatter === null ? [] : formatter.encode(batch);
      const figures = batch.map((r) => ({ pool: r.pool, status: r.status, queueMs: r.queueMs, ttfbMs: r.ttfbMs, totalMs: r.totalMs }));
      post({ t: 'log', chunks, figures });
    },
  });

  const door = new FrontDoor(start.sites, gates, accessLog, { ...start.limits });
  door.context.draining = start.draining;
  door.context.onRequestEnd = () => table.requestEnded(thread);
  door.context.onInternalError = (err) => post({ t: 'internalError', message: err.message, stack: err.stack ?? null });
  door.onOutOfFiles = (burst) => post({ t: 'outOfFiles', burst });

  const sweep = setInterval(() => {
    const t = now();
    for (const g of gates.values()) g.sweep(t);
    table.setConnections(thread, door.context.connections.size);
  }, sweepMs);
  sweep.unref();

  const forgetExited = (slot: number): void => {
    const m = mirrors.get(slot);
    if (m === undefined) return;
    mirrors.delete(slot);
    const gate = gates.get(m.poolName);
    if (gate !== undefined) {
      const at = gate.workers.indexOf(m);
      if (at !== -1) gate.workers.splice(at, 1);
    }
  };

  port.on('message', (m: ToThread) => {
    switch (m.t) {
      case 'listen':
        door.listen(m.bindings, m.tls, m.inherited, { reusePort: true }).then(
          (bound) => post({ t: 'listening', bound }),
          (err: Error) => post({ t: 'listenFailed', message: err.message }),
        );
        return;
      case 'config':
        setPools(m.pools);
        door.reconfigure(m.sites, { ...m.limits });
        return;
      case 'worker':
        onWorker(m.worker);
        return;
      case 'connections':
        mirrors.get(m.slot)?.tellConnections(m.verdict);
        return;
      case 'exit': {
        const w = mirrors.get(m.slot);
        if (w === undefined) return;
        w.exit(m.facts);
        forgetExited(m.slot);
        return;
      }
      case 'refuseQueued':
        gates.get(m.pool)?.refuseQueued(m.refusal);
        return;
      case 'draining':
        door.context.draining = m.on;
        return;
      case 'close':
        void door.close().then(async () => {
          await accessLog.flush();
          post({ t: 'closed' });
        });
        return;
      case 'reportHeld':
        post({ t: 'held', slot: m.slot, labels: mirrors.get(m.slot)?.heldLabels() ?? [] });
        return;
      case 'flushLog':
        void accessLog.flush().then(() => post({ t: 'logFlushed' }));
        return;
      case 'quiesce':
        void door.quiesce(m.graceMs).then(() => post({ t: 'quiesced' }));
        return;
      case 'destroy':
        door.destroyConnections();
        void accessLog.flush();
        return;
    }
  });
}

if (parentPort !== null) main(parentPort, workerData as ThreadStart);
