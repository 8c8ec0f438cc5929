import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EventIds, defaultLevel, describeEvent, eventCatalog } from './event-ids.ts';

test('event numbers are unique, frozen and described', () => {
  const ids = Object.values(EventIds);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(Object.isFrozen(EventIds));
  for (const id of ids) assert.doesNotMatch(describeEvent(id), /^Unknown/);
  assert.equal(describeEvent(1234), 'Unknown event 1234.');
  const catalog = eventCatalog();
  assert.equal(catalog.length, ids.length);
  assert.deepEqual(catalog.map((e) => e.id), [...ids].sort((a, b) => a - b));
});

test('default levels: failures are errors, recycles warnings, the rest information', () => {
  for (const id of [5002, 5009, 5010, 5011, 5012, 5013, 5021, 5093, 5090]) assert.equal(defaultLevel(id), 'error', String(id));
  for (const id of [5074, 5075, 5076, 5077, 5117, 5078, 5079, 5080, 7004]) assert.equal(defaultLevel(id), 'warning', String(id));
  for (const id of [5059, 5060, 5186, 6001, 6002, 6003, 6010, 6011, 6012, 7001, 7003, 9999]) assert.equal(defaultLevel(id), 'info', String(id));
});

test('docs/events.md lists every event with its name, level and meaning', () => {
  const doc = readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8');
  const rows = doc.split('\n').filter((l) => /^\| \d{4} \|/.test(l));
  assert.deepEqual(rows, eventCatalog().map((e) => `| ${e.id} | ${e.name} | ${e.level} | ${e.description} |`));
});
