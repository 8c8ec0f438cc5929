import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as atOldPath from './http-parser.ts';
import * as http from './http/index.ts';
import { FIELD_VALUE_CHARS, TOKEN_CHARS } from './http/chars.ts';
import { parseRequestHead } from './http/request-head.ts';
import { parseResponseHead, responseBodyKind } from './http/response-head.ts';

// The parser's tests live beside its topics in ./http/; this file checks that the old import
// path, which chunked.ts, client-connection.ts and exchange.ts use, still gives the same API.
test('http-parser.ts re-exports the parser of ./http/ unchanged', () => {
  assert.deepEqual(Object.keys(atOldPath).sort(), Object.keys(http).sort());
  assert.deepEqual(Object.keys(atOldPath).sort(), [
    'FIELD_VALUE_CHARS', 'TOKEN_CHARS', 'findHeaderValue', 'normalizeHost', 'parseRequestHead', 'parseResponseHead', 'responseBodyKind',
  ]);
  assert.equal(atOldPath.parseRequestHead, parseRequestHead);
  assert.equal(atOldPath.parseResponseHead, parseResponseHead);
  assert.equal(atOldPath.responseBodyKind, responseBodyKind);
  assert.equal(atOldPath.TOKEN_CHARS, TOKEN_CHARS);
  assert.equal(atOldPath.FIELD_VALUE_CHARS, FIELD_VALUE_CHARS);
});
