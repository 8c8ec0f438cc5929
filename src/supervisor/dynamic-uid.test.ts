import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DYNAMIC_UID_MAX, DYNAMIC_UID_MIN, dynamicUidHome, dynamicUids } from './dynamic-uid.ts';

const free = (): boolean => false;

test('each pool gets a number in 61184–65519 that depends on its name only', () => {
  const a = dynamicUids(['web', 'api', 'php'], free);
  const b = dynamicUids(['php', 'web', 'api', 'extra'], free);
  for (const name of ['web', 'api', 'php']) {
    const uid = a.get(name)!;
    assert.ok(uid >= DYNAMIC_UID_MIN && uid <= DYNAMIC_UID_MAX, `${name}: ${uid}`);
    assert.equal(uid, dynamicUidHome(name), 'no collision: the hash itself');
    assert.equal(b.get(name), uid, 'the order of the pools and the other pools do not matter');
  }
  assert.equal(new Set(a.values()).size, 3);
});

test('a number taken by a user or group, or by another pool, moves to the next free one, the same way every time', () => {
  const home = dynamicUidHome('web');
  const taken = (uid: number): boolean => uid === home || uid === home + 1;
  const first = dynamicUids(['web'], taken).get('web');
  assert.equal(first, home + 2 > DYNAMIC_UID_MAX ? DYNAMIC_UID_MIN + (home + 2 - DYNAMIC_UID_MAX - 1) : home + 2);
  assert.equal(dynamicUids(['web'], taken).get('web'), first);
  // Two pools with the same home: the one first by name keeps it, the other takes the next.
  const same = (): number => DYNAMIC_UID_MAX;
  const twins = dynamicUids(['b-pool', 'a-pool'], free, same);
  assert.equal(twins.get('a-pool'), DYNAMIC_UID_MAX);
  assert.equal(twins.get('b-pool'), DYNAMIC_UID_MIN, 'past the last number the probing wraps to the first');
});

test('a range with one free number gives that one; a full range gives none', () => {
  const taken = (uid: number): boolean => uid !== DYNAMIC_UID_MIN;
  assert.equal(dynamicUids(['x'], taken).get('x'), DYNAMIC_UID_MIN);
  assert.equal(dynamicUids(['x'], () => true).get('x'), undefined, 'a full range gives no number');
});
