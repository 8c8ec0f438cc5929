import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PaddockError, errorCode } from './paddock-error.ts';

class WidgetError extends PaddockError<'WidgetBroken'> {}

test('an error keeps its code, its step, its cause and its class name', () => {
  const cause = new Error('EACCES');
  const e = new WidgetError('WidgetBroken', 'the widget broke', { step: 'open the widget', cause });
  assert.ok(e instanceof Error && e instanceof PaddockError);
  assert.equal(e.name, 'WidgetError');
  assert.equal(e.code, 'WidgetBroken');
  assert.equal(e.step, 'open the widget');
  assert.equal(e.cause, cause);
  assert.equal(new WidgetError('WidgetBroken', 'x').step, null);
});

test('errorCode reads Paddock and Node codes alike', () => {
  assert.equal(errorCode(new WidgetError('WidgetBroken', 'x')), 'WidgetBroken');
  assert.equal(errorCode(Object.assign(new Error('x'), { code: 'ENOENT' })), 'ENOENT');
  assert.equal(errorCode(new Error('x')), null);
  assert.equal(errorCode(null), null);
});
