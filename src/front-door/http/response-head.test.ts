import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ParseResult } from './parse-result.ts';
import { parseResponseHead, responseBodyKind, type ResponseHead } from './response-head.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function okRes(s: string): ResponseHead {
  const r = parseResponseHead(b(s));
  assert.equal(r.kind, 'ok', `expected ok for ${JSON.stringify(s)}, got ${JSON.stringify(r)}`);
  return (r as { head: ResponseHead }).head;
}

function errRes(s: string, code?: string): void {
  const r = parseResponseHead(b(s));
  assert.equal(r.kind, 'error', `expected error for ${JSON.stringify(s)}, got ${JSON.stringify(r)}`);
  assert.equal((r as { status: number }).status, 502);
  if (code !== undefined) assert.equal((r as { code: string }).code, code, `code for ${JSON.stringify(s)}`);
}

describe('parseResponseHead', () => {
  it('parses a response with Content-Length', () => {
    const s = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n';
    assert.deepEqual(okRes(s + 'Hello, World!'), {
      status: 200,
      versionMinor: 1,
      contentLength: 13,
      chunked: false,
      keepAlive: true,
      headLength: s.length,
    });
  });

  it('accepts an empty reason and a missing one', () => {
    assert.equal(okRes('HTTP/1.1 204 \r\n\r\n').status, 204);
    assert.equal(okRes('HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n').status, 404);
    assert.equal(okRes('HTTP/1.0 500 Internal\tServer Error \xe9\r\n\r\n').status, 500);
  });

  it('refuses malformed status lines with 502', () => {
    errRes('HTTP/1.1 20 OK\r\n\r\n', 'INVALID_STATUS_LINE');
    errRes('HTTP/1.1 2000 OK\r\n\r\n', 'INVALID_STATUS_LINE');
    errRes('HTTP/1.1 099 Low\r\n\r\n', 'INVALID_STATUS_LINE');
    errRes('HTTP/1.1  200 OK\r\n\r\n', 'INVALID_STATUS_LINE');
    errRes('HTTP/1.1 200 O\x01K\r\n\r\n', 'INVALID_STATUS_LINE');
    errRes('HTTP/1.1 200 OK\n\r\n\r\n', 'BARE_LF');
    errRes('HTTP/2 200 OK\r\n\r\n', 'INVALID_VERSION');
    errRes('HTTP/2.0 200 OK\r\n\r\n', 'UNSUPPORTED_VERSION');
    errRes('ICY 200 OK\r\n\r\n', 'INVALID_VERSION');
  });

  it('applies the request field rules to a worker response', () => {
    errRes('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', 'CONTENT_LENGTH_WITH_TRANSFER_ENCODING');
    errRes('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 'DUPLICATE_CONTENT_LENGTH');
    errRes('HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n', 'INVALID_CONTENT_LENGTH');
    errRes('HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n', 'CONTENT_LENGTH_TOO_LARGE');
    errRes('HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n', 'OBS_FOLD');
    errRes('HTTP/1.1 200 OK\r\nX : a\r\n\r\n', 'SPACE_BEFORE_COLON');
    errRes('HTTP/1.1 200 OK\r\nX: a\x00\r\n\r\n', 'INVALID_HEADER_VALUE');
    errRes('HTTP/1.1 200 OK\r\nX: a\nY: b\r\n\r\n', 'BARE_LF');
    errRes('HTTP/1.1 200 OK\nX: a\n\n', 'BARE_LF');
    errRes('HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'TRANSFER_ENCODING_HTTP10');
    errRes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', 'DUPLICATE_TRANSFER_ENCODING');
  });

  it('knows each body kind (RFC 9112 §6.3)', () => {
    const len = okRes('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n');
    const chunked = okRes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    const gzipChunked = okRes('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n');
    const gzipOnly = okRes('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n');
    const unframed = okRes('HTTP/1.1 200 OK\r\n\r\n');
    assert.equal(responseBodyKind(len, 'GET'), 'length');
    assert.equal(responseBodyKind(chunked, 'POST'), 'chunked');
    assert.equal(responseBodyKind(gzipChunked, 'GET'), 'chunked');
    assert.equal(responseBodyKind(gzipOnly, 'GET'), 'close');
    assert.equal(gzipOnly.keepAlive, false);
    assert.equal(responseBodyKind(unframed, 'GET'), 'close');
    for (const h of [len, chunked, gzipOnly, unframed]) assert.equal(responseBodyKind(h, 'HEAD'), 'none');
    for (const status of ['100 Continue', '101 Switching Protocols', '103 Early Hints', '204 No Content', '304 Not Modified']) {
      const h = okRes(`HTTP/1.1 ${status}\r\nContent-Length: 10\r\n\r\n`);
      assert.equal(responseBodyKind(h, 'GET'), 'none', status);
    }
    assert.equal(responseBodyKind(okRes('HTTP/1.1 205 Reset\r\nContent-Length: 0\r\n\r\n'), 'GET'), 'length');
  });

  it('decides keep-alive from the version and Connection', () => {
    assert.equal(okRes('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n').keepAlive, true);
    assert.equal(okRes('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').keepAlive, false);
    assert.equal(okRes('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').keepAlive, false);
    assert.equal(okRes('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').keepAlive, true);
  });

  it('is incomplete at every byte before the end, and reads a 100 Continue then the final head', () => {
    const interim = 'HTTP/1.1 100 Continue\r\n\r\n';
    const final = 'HTTP/1.1 201 Created\r\nLocation: /x\r\nTransfer-Encoding: chunked\r\n\r\n';
    const all = interim + final;
    for (let k = 0; k < interim.length; k++) {
      assert.deepEqual(parseResponseHead(b(all.slice(0, k))), { kind: 'incomplete' }, `prefix of ${k} bytes`);
    }
    let buf = b(all);
    const first = okRes(all);
    assert.equal(first.status, 100);
    buf = buf.subarray(first.headLength);
    for (let k = 0; k < final.length; k++) {
      assert.deepEqual(parseResponseHead(buf.subarray(0, k)), { kind: 'incomplete' }, `prefix of ${k} bytes`);
    }
    const r: ParseResult<ResponseHead> = parseResponseHead(buf);
    assert.equal(r.kind === 'ok' && r.head.status, 201);
    assert.equal(r.kind === 'ok' && r.head.chunked, true);
  });

  it('answers 502 to a head past the limit, complete or not', () => {
    const r = parseResponseHead(b(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(300)}`), 256);
    assert.equal(r.kind === 'error' && r.code, 'HEAD_TOO_LARGE');
    const c = parseResponseHead(b(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(300)}\r\n\r\n`), 256);
    assert.equal(c.kind === 'error' && c.status, 502);
  });
});

describe('parseResponseHead: mutated heads against a plain reference', () => {
  // A deterministic generator, so a failure can be replayed.
  let seed = 0x2545f491;
  const random = (n: number): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
  const alphabet = ['\x00', '\t', '\n', '\r', ' ', ':', '\x7f', '\x80', '\xff', '\x0b', '(', 'a', '0', '9', ',', '\r\n', '\r\n ', '\r\n\r\n'];
  const bases = [
    'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 12\r\nConnection: keep-alive\r\n\r\nhello world\n',
    'HTTP/1.0 404 Not Found\r\nX-A: a b\r\n\r\n',
    'HTTP/1.1 204\r\n\r\n',
  ];
  const statusLine = /^HTTP\/\d\.\d [1-9]\d\d( [\t\x20-\x7e\x80-\xff]*)?$/;
  const fieldLine = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*$/;

  it('never accepts what the reference refuses, and never refuses field syntax it accepts', () => {
    for (let n = 0; n < 4000; n++) {
      let s = bases[random(bases.length)];
      for (let k = 1 + random(3); k > 0; k--) {
        const at = random(s.length);
        const op = random(3);
        const piece = alphabet[random(alphabet.length)];
        s = op === 0 ? s.slice(0, at) + piece + s.slice(at + 1) : op === 1 ? s.slice(0, at) + piece + s.slice(at) : s.slice(0, at) + s.slice(at + 1);
      }
      const r = parseResponseHead(b(s));
      const where = JSON.stringify(s);
      const end = s.indexOf('\r\n\r\n');
      if (end < 0) {
        assert.equal(r.kind, /(^|[^\r])\n/.test(s) ? 'error' : 'incomplete', where);
        continue;
      }
      const lines = s.slice(0, end).split('\r\n');
      const lineOk = statusLine.test(lines[0]);
      const fieldsOk = lines.slice(1).every((l) => fieldLine.test(l));
      if (r.kind === 'ok') {
        assert.ok(lineOk && fieldsOk, `accepted ${where}`);
        assert.equal(r.head.headLength, end + 4, where);
      } else {
        assert.equal(r.kind === 'error' && r.status, 502, where);
      }
      if (lineOk && !fieldsOk) assert.equal(r.kind, 'error', `missed ${where}`);
    }
  });
});
