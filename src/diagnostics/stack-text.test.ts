import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseName, lastErrorInText, parseV8Frame, splitErrorHeader } from './stack-text.ts';

test('V8 stack lines become frames, with or without a function name', () => {
  assert.deepEqual(parseV8Frame('    at explodeOnPurpose (file:///srv/app/server.mjs:52:9)'), { function: 'explodeOnPurpose', file: 'file:///srv/app/server.mjs', line: 52 });
  assert.deepEqual(parseV8Frame('    at Timeout.boom [as _onTimeout] ([eval]:1:24)'), { function: 'Timeout.boom', file: '[eval]', line: 1 });
  assert.deepEqual(parseV8Frame('    at async handle (/srv/app/a.js:3:1)'), { function: 'handle', file: '/srv/app/a.js', line: 3 });
  assert.deepEqual(parseV8Frame('    at /srv/app/a.js:7:2'), { function: '<anonymous>', file: '/srv/app/a.js', line: 7 });
  assert.deepEqual(parseV8Frame('    at new Promise (<anonymous>)'), { function: 'new Promise', file: '<anonymous>', line: null });
  assert.equal(parseV8Frame('Error: nope'), null);
});

test('an uncaught exception is read from a stderr tail: the last error block wins', () => {
  const tail = [
    'Error: an older one', '    at old (/a.js:1:1)', '',
    '/srv/app/server.mjs:52', "  throw new TypeError('x is not a function');", '  ^', '',
    'TypeError: x is not a function', '    at parseOrder (file:///srv/app/orders.mjs:10:3)', '    at process.processImmediate (node:internal/timers:485:21)', '',
    'Node.js v24.21.0',
  ];
  const e = lastErrorInText(tail);
  assert.equal(e?.type, 'TypeError');
  assert.equal(e?.message, 'x is not a function');
  assert.deepEqual(e?.frames.map((f) => f.function), ['parseOrder', 'process.processImmediate']);
});

test('a Python traceback is read innermost frame first; FATAL ERROR has no stack', () => {
  const py = lastErrorInText([
    'Traceback (most recent call last):',
    '  File "/srv/app.py", line 30, in handle',
    '    total = parse(body)',
    '  File "/srv/app.py", line 12, in parse',
    '    return int(text)',
    "ValueError: invalid literal for int() with base 10: 'x'",
  ]);
  assert.equal(py?.type, 'ValueError');
  assert.deepEqual(py?.frames.map((f) => f.function), ['parse', 'handle']);
  const oom = lastErrorInText(['<--- Last few GCs --->', 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory']);
  assert.deepEqual(oom, { type: 'FATAL ERROR', message: 'Reached heap limit Allocation failed - JavaScript heap out of memory', frames: [] });
  assert.equal(lastErrorInText(['listening on 3000', 'bye']), null);
});

test('error headers split into type and message; base names drop folders and URL schemes', () => {
  assert.deepEqual(splitErrorHeader('Error [ERR_HTTP_HEADERS_SENT]: Cannot set headers'), { type: 'Error', message: 'Cannot set headers' });
  assert.deepEqual(splitErrorHeader('RangeError: Maximum call stack size exceeded'), { type: 'RangeError', message: 'Maximum call stack size exceeded' });
  assert.deepEqual(splitErrorHeader('something odd happened'), { type: 'Error', message: 'something odd happened' });
  assert.equal(baseName('file:///srv/app/server.mjs'), 'server.mjs');
  assert.equal(baseName('node:internal/timers'), 'timers');
  assert.equal(baseName(null), null);
});
