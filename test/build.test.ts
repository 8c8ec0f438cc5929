import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteSpecifiers } from '../scripts/build.ts';

test('the build turns relative .ts specifiers into .js and leaves everything else alone', () => {
  const code = [
    "import { a } from './a.ts';",
    "import './side-effect.ts';",
    "export { b } from '../b/b.ts';",
    "const { c } = await import('./c.ts');",
    "import { d } from 'node:module';",
    "import { e } from 'some-package/e.ts';",
    "const asset = new URL('./page.html', import.meta.url);",
    "import f from \"./f.mjs\";",
  ].join('\n');
  assert.equal(rewriteSpecifiers(code), [
    "import { a } from './a.js';",
    "import './side-effect.js';",
    "export { b } from '../b/b.js';",
    "const { c } = await import('./c.js');",
    "import { d } from 'node:module';",
    "import { e } from 'some-package/e.ts';",
    "const asset = new URL('./page.html', import.meta.url);",
    "import f from \"./f.mjs\";",
  ].join('\n'));
});
