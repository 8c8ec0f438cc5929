import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from './load.ts';

const base = 'pools:\n  web: { command: [node, app.js] }\n';

test('logs.accessFormat and logs.includeQueryStrings: defaults w3c and false, and the values given', () => {
  const d = parseConfig(base, '/x/paddock.yaml');
  assert.ok(d.ok);
  if (d.ok) assert.deepEqual([d.config.logs.accessFormat, d.config.logs.includeQueryStrings], ['w3c', false]);
  const j = parseConfig(`${base}logs: { accessFormat: json, includeQueryStrings: true }\n`, '/x/paddock.yaml');
  assert.ok(j.ok);
  if (j.ok) assert.deepEqual([j.config.logs.accessFormat, j.config.logs.includeQueryStrings], ['json', true]);
  const off = parseConfig(`${base}logs: { accessFormat: "off" }\n`, '/x/paddock.yaml');
  assert.ok(off.ok);
  if (off.ok) assert.equal(off.config.logs.accessFormat, 'off');
});

test('a bad logs.accessFormat is refused with its path and the values it may take', () => {
  const r = parseConfig(`${base}logs: { accessFormat: csv }\n`, '/x/paddock.yaml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  const e = r.errors.find((x) => x.path === 'logs.accessFormat');
  assert.ok(e, r.errors.map((x) => `${x.path}: ${x.message}`).join('\n'));
  assert.match(e.message, /w3c/);
  assert.match(e.message, /json/);
  assert.equal(e.line, 3);
});
