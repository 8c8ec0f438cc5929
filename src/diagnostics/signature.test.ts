import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signatureOf } from './signature.ts';

test('the signature ignores line numbers and folders, and changes with the throw site', () => {
  const a = signatureOf('crash', 'TypeError', [{ function: 'parse', file: '/srv/v1/orders.mjs', line: 10 }, { function: 'handle', file: '/srv/v1/server.mjs', line: 3 }], 'web');
  const b = signatureOf('crash', 'TypeError', [{ function: 'parse', file: '/srv/v2/orders.mjs', line: 99 }, { function: 'handle', file: '/srv/v2/server.mjs', line: 7 }], 'api');
  const c = signatureOf('crash', 'TypeError', [{ function: 'render', file: '/srv/v1/view.mjs', line: 10 }], 'web');
  assert.equal(a.bucket, b.bucket);
  assert.match(a.bucket, /^[0-9a-f]{12}$/);
  assert.equal(a.signature, 'crash TypeError | parse (orders.mjs) | handle (server.mjs)');
  assert.deepEqual(a.top, ['parse (orders.mjs)', 'handle (server.mjs)']);
  assert.notEqual(a.bucket, c.bucket);
  assert.notEqual(a.bucket, signatureOf('hang', 'TypeError', [{ function: 'parse', file: 'orders.mjs', line: 1 }, { function: 'handle', file: 'server.mjs', line: 1 }], 'web').bucket);
});

test('abort machinery and unknown frames are skipped; a frameless crash is told apart by pool', () => {
  const frames = ['__pthread_kill_implementation', '__GI_raise', '__GI_abort', '??', 'napi_fatal', 'addon::render'].map((f) => ({ function: f, file: null, line: null }));
  assert.deepEqual(signatureOf('crash', 'SIGABRT', frames, 'web').top, ['napi_fatal', 'addon::render']);
  const web = signatureOf('crash', 'exit code 1', [], 'web');
  assert.equal(web.signature, 'crash exit code 1 | no stack | pool web');
  assert.notEqual(web.bucket, signatureOf('crash', 'exit code 1', [], 'api').bucket);
});
