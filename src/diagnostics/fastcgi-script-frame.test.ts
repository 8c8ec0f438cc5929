import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scriptFrame } from './fastcgi-script-frame.ts';

test('the script in hand names the hang: path up to its first .php segment, under the document root', () => {
  assert.deepEqual(scriptFrame(['GET /loop.php'], '/srv/www'), { function: 'PHP script /loop.php', file: '/srv/www/loop.php', line: null });
  assert.equal(scriptFrame(['POST /shop/index.php/cart/42'], '/srv/www/')!.file, '/srv/www/shop/index.php');
  assert.equal(scriptFrame(['GET /caf%C3%A9.php'], '/w')!.file, '/w/café.php');
  assert.equal(scriptFrame(['GET /'], '/w')!.file, '/w/index.php');
  assert.equal(scriptFrame(['GET /blog/?x=1'], '/w')!.file, '/w/blog/index.php');
  assert.equal(scriptFrame(['GET /blog'], '/w'), null);
  assert.equal(scriptFrame(['GET /a.phpx'], '/w'), null);
  assert.equal(scriptFrame([], '/w'), null);
});
