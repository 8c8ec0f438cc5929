import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from './load.ts';

function parse(text: string) {
  return parseConfig(text, '/srv/paddock.yaml');
}

test('health and drain default to no health binding, 5 s of quiet and a 60 s deadline', () => {
  const r = parse('pools: {}\n');
  assert.ok(r.ok);
  assert.deepEqual(r.config.health, { listen: null, metrics: false });
  assert.deepEqual(r.config.drain, { idleTime: 5_000, timeLimit: 60_000 });
});

test('health.listen takes a binding, health.metrics a flag, drain durations in any form', () => {
  const r = parse('health: { listen: "0.0.0.0:9181", metrics: true }\ndrain: { idleTime: 2s, timeLimit: "00:00:30" }\n');
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  assert.deepEqual(r.config.health, { listen: { host: '0.0.0.0', port: 9181, tls: false }, metrics: true });
  assert.deepEqual(r.config.drain, { idleTime: 2_000, timeLimit: 30_000 });
});

test('a TLS health binding, a zero drain time and a misspelt key are errors with their key paths', () => {
  const r = parse('health: { listen: "https://0.0.0.0:9181" }\ndrain: { idleTime: 0, timeLimt: 5s }\n');
  assert.ok(!r.ok);
  const byPath = new Map(r.errors.map((e) => [e.path, e]));
  assert.match(byPath.get('health.listen')!.message, /plain HTTP/);
  assert.match(byPath.get('drain.idleTime')!.message, /more than 0/);
  assert.match(byPath.get('drain.timeLimt')!.message, /unknown key 'timeLimt' \(did you mean 'timeLimit'\?\)/);
});
