import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from './line-splitter.ts';

test('splits on newlines across chunks and drops a trailing CR', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push(Buffer.from('a\r\nb')), ['a']);
  assert.equal(s.pendingBytes, 1);
  assert.deepEqual(s.push(Buffer.from('c\n\nd')), ['bc', '']);
  assert.deepEqual(s.flush(), ['d']);
  assert.deepEqual(s.flush(), []);
});

test('a UTF-8 character cut between chunks is decoded whole', () => {
  const s = new LineSplitter();
  const bytes = Buffer.from('héllo\n');
  assert.deepEqual(s.push(bytes.subarray(0, 2)), []);
  assert.deepEqual(s.push(bytes.subarray(2)), ['héllo']);
});

test('long lines are cut at maxLineBytes, never inside a character', () => {
  const s = new LineSplitter(10);
  assert.deepEqual(s.push(Buffer.from('0123456789abcdefghij012\n')), ['0123456789', 'abcdefghij', '012']);
  const pieces = s.push(Buffer.from('€'.repeat(8) + '\n')); // 3 bytes each: 9 bytes fit in 10
  assert.deepEqual(pieces, ['€€€', '€€€', '€€']);
  assert.deepEqual(s.push(Buffer.from('x'.repeat(25))), ['x'.repeat(10), 'x'.repeat(10)]);
  assert.equal(s.pendingBytes, 5);
});
