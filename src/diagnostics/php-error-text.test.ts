import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastPhpError } from './php-error-text.ts';
import { lastErrorInText } from './stack-text.ts';
import { signatureOf } from './signature.ts';

test('an uncaught exception: message without its location, frames innermost first with files and lines', () => {
  const tail = [
    'PHP Warning:  Undefined variable $x in /srv/www/cart.php on line 3',
    'PHP Fatal error:  Uncaught Error: Call to undefined function calculate_shipping() in /srv/www/cart.php:8',
    'Stack trace:',
    '#0 /srv/www/cart.php(10): checkout(Array)',
    '#1 /srv/www/index.php(4): Shop\\Cart->total(Array, 3)',
    '#2 {main}',
    '  thrown in /srv/www/cart.php on line 8',
  ];
  const e = lastErrorInText(tail)!;
  assert.equal(e.type, 'PHP Fatal error');
  assert.equal(e.message, 'Uncaught Error: Call to undefined function calculate_shipping()');
  assert.deepEqual(e.frames, [
    { function: 'checkout', file: '/srv/www/cart.php', line: 8 },
    { function: 'Shop\\Cart->total', file: '/srv/www/cart.php', line: 10 },
    { function: '{main}', file: '/srv/www/index.php', line: 4 },
  ]);
  // The bucket follows the failing function and file, not the line.
  const a = signatureOf('crash', e.type, e.frames, 'php');
  const b = signatureOf('crash', e.type, e.frames.map((f) => ({ ...f, line: (f.line ?? 0) + 5 })), 'php');
  assert.equal(a.bucket, b.bucket);
  assert.equal(a.top[0], 'checkout (cart.php)');
});

test('a fatal error without a trace, from an error_log file, and a parse error', () => {
  const oom = lastPhpError(['[09-Mar-2026 10:00:00 UTC] PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /srv/www/big.php on line 12'])!;
  assert.equal(oom.error.type, 'PHP Fatal error');
  assert.equal(oom.error.message, 'Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)');
  assert.deepEqual(oom.error.frames, [{ function: 'PHP', file: '/srv/www/big.php', line: 12 }]);
  const parse = lastPhpError(['PHP Parse error:  syntax error, unexpected token "}" in /srv/www/x.php on line 3'])!;
  assert.equal(parse.error.type, 'PHP Parse error');
  assert.equal(parse.error.frames[0].line, 3);
  // display_errors=stderr writes the same without the "PHP " prefix.
  assert.equal(lastPhpError(['Fatal error: Maximum execution time of 30 seconds exceeded in /srv/www/loop.php on line 6'])!.error.frames[0].file, '/srv/www/loop.php');
});

test('warnings and notices alone are no crash cause; the latest error wins over an older Node one', () => {
  assert.equal(lastPhpError(['PHP Warning:  foo in /a.php on line 1', 'PHP Notice:  bar in /a.php on line 2']), null);
  const mixed = lastErrorInText([
    'TypeError: x is not a function',
    '    at main (/app/a.js:1:1)',
    'PHP Fatal error:  Uncaught Exception: boom in /srv/www/a.php:2',
    'Stack trace:',
    '#0 {main}',
    '  thrown in /srv/www/a.php on line 2',
  ])!;
  assert.equal(mixed.type, 'PHP Fatal error');
  assert.deepEqual(mixed.frames, [{ function: '{main}', file: '/srv/www/a.php', line: 2 }]);
});
