import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findHeaderValue } from './find-header.ts';
import { parseRequestHead, type RequestHead } from './request-head.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function okReq(s: string, maxHead?: number, maxTarget?: number): RequestHead {
  const r = parseRequestHead(b(s), maxHead, maxTarget);
  assert.equal(r.kind, 'ok', `expected ok for ${JSON.stringify(s)}, got ${JSON.stringify(r)}`);
  return (r as { head: RequestHead }).head;
}

function errReq(s: string, status: number, code?: string, maxHead?: number, maxTarget?: number): void {
  const r = parseRequestHead(b(s), maxHead, maxTarget);
  assert.equal(r.kind, 'error', `expected error for ${JSON.stringify(s)}, got ${JSON.stringify(r)}`);
  const e = r as { status: number; code: string; reason: string };
  assert.equal(e.status, status, `status for ${JSON.stringify(s)} (${e.code})`);
  if (code !== undefined) assert.equal(e.code, code, `code for ${JSON.stringify(s)}`);
  assert.ok(e.reason.length > 0);
}

const WRK_GET =
  'GET /plaintext?id=1 HTTP/1.1\r\n' +
  'Host: Shop.Example:8080\r\n' +
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64) wrk/4.2\r\n' +
  'Accept: text/plain,text/html;q=0.9,*/*;q=0.8\r\n' +
  'Accept-Encoding: gzip, deflate\r\n' +
  'Connection: keep-alive\r\n\r\n';

describe('parseRequestHead: valid requests', () => {
  it('parses an origin-form GET with every fact', () => {
    const h = okReq(WRK_GET);
    assert.deepEqual(h, {
      method: 'GET',
      target: '/plaintext?id=1',
      path: '/plaintext',
      versionMinor: 1,
      host: 'shop.example',
      hostRaw: 'Shop.Example:8080',
      authority: null,
      contentLength: -1,
      chunked: false,
      keepAlive: true,
      upgrade: false,
      expectContinue: false,
      headLength: WRK_GET.length,
      headStart: 0,
      requestLineEnd: 'GET /plaintext?id=1 HTTP/1.1\r\n'.length,
      hasForwardedHeaders: false,
      hasAdminCookie: false,
    });
  });

  it('cuts the path at the query or fragment', () => {
    assert.equal(okReq('GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: h\r\n\r\n').path, '/a/b');
    assert.equal(okReq('GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n').path, '/a');
    assert.equal(okReq('GET / HTTP/1.1\r\nHost: h\r\n\r\n').path, '/');
    assert.equal(okReq('GET /caf\xe9 HTTP/1.1\r\nHost: h\r\n\r\n').target, '/caf\xe9');
  });

  it('accepts extension methods that are tokens', () => {
    assert.equal(okReq('PROPFIND /d HTTP/1.1\r\nHost: h\r\n\r\n').method, 'PROPFIND');
    assert.equal(okReq("M-SEARCH!#$%&'*+.^_`|~ * HTTP/1.1\r\nHost: h\r\n\r\n".replace(' * ', ' / ')).method, "M-SEARCH!#$%&'*+.^_`|~");
  });

  it('takes host and path from an absolute-form target (RFC 9112 §3.2.2)', () => {
    const h = okReq('GET http://Api.Example:81/v1/x?q=1 HTTP/1.1\r\nHost: other.example\r\n\r\n');
    assert.equal(h.host, 'api.example');
    assert.equal(h.hostRaw, 'other.example');
    assert.equal(h.path, '/v1/x');
    assert.equal(h.target, 'http://Api.Example:81/v1/x?q=1');
    assert.equal(h.authority, 'Api.Example:81', 'the authority as sent, port and case kept');
    assert.equal(h.hostRaw, 'other.example');
    assert.equal(okReq('GET HTTPS://h.example HTTP/1.1\r\nHost: h.example\r\n\r\n').path, '/');
    assert.equal(okReq('GET http://h.example?x=1 HTTP/1.1\r\nHost: h.example\r\n\r\n').path, '/');
    assert.equal(okReq('GET http://[::1]:8080/p HTTP/1.1\r\nHost: x\r\n\r\n').host, '[::1]');
  });

  it('accepts asterisk-form for OPTIONS only', () => {
    const h = okReq('OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n');
    assert.equal(h.path, '*');
    assert.equal(h.target, '*');
    errReq('GET * HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'INVALID_TARGET');
  });

  it('answers 501 to CONNECT and 400 to authority-form elsewhere', () => {
    errReq('CONNECT h.example:443 HTTP/1.1\r\nHost: h.example:443\r\n\r\n', 501, 'CONNECT_NOT_SUPPORTED');
    errReq('GET h.example:443 HTTP/1.1\r\nHost: h.example\r\n\r\n', 400, 'INVALID_TARGET');
  });

  it('refuses absolute-form with another scheme, userinfo or no host', () => {
    errReq('GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'INVALID_TARGET');
    errReq('GET http://user@h/x HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'INVALID_TARGET');
    errReq('GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'INVALID_TARGET');
    errReq('GET http:// HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'INVALID_TARGET');
  });

  it('parses HTTP/1.0 without Host', () => {
    const h = okReq('GET / HTTP/1.0\r\n\r\n');
    assert.equal(h.versionMinor, 0);
    assert.equal(h.host, null);
    assert.equal(h.hostRaw, null);
    assert.equal(h.keepAlive, false);
    assert.equal(h.headLength, 18);
  });

  it('trims optional whitespace around values and accepts HTAB and obs-text inside them', () => {
    const h = okReq('POST /u HTTP/1.1\r\nHost:\t h \t\r\nContent-Length:  12 \r\nX-A: a\tb \xe9\xff\r\n\r\n');
    assert.equal(h.hostRaw, 'h');
    assert.equal(h.contentLength, 12);
    assert.equal(findHeaderValue(b('GET / HTTP/1.1\r\nHost: h\r\nX-A: a\tb \xe9\r\n\r\n'), h, 'x-a'), 'a\tb \xe9');
  });

  it('accepts an empty Host (RFC 9110 §7.2) and field names of any case', () => {
    assert.equal(okReq('GET / HTTP/1.1\r\nHost:\r\n\r\n').host, '');
    const h = okReq('POST / HTTP/1.1\r\nhOsT: H\r\nCONTENT-LENGTH: 3\r\n\r\n');
    assert.equal(h.host, 'h');
    assert.equal(h.contentLength, 3);
  });

  it('ignores empty lines before the request line (RFC 9112 §2.2)', () => {
    const s = '\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n';
    const h = okReq(s);
    assert.equal(h.headStart, 4);
    assert.equal(h.requestLineEnd, 4 + 'GET /x HTTP/1.1\r\n'.length);
    assert.equal(h.headLength, s.length);
    assert.equal(h.path, '/x');
  });
});

describe('parseRequestHead: connection facts', () => {
  const conn = (v: string, version = '1.1'): RequestHead =>
    okReq(`GET / HTTP/${version}\r\nHost: h\r\n${v}\r\n`);

  it('decides keep-alive per RFC 9112 §9.3', () => {
    assert.equal(conn('').keepAlive, true);
    assert.equal(conn('Connection: close\r\n').keepAlive, false);
    assert.equal(conn('Connection: Close\r\n').keepAlive, false);
    assert.equal(conn('Connection: keep-alive, close\r\n').keepAlive, false);
    assert.equal(conn('Connection: keep-alive\r\nConnection: close\r\n').keepAlive, false);
    assert.equal(conn('Connection: closed\r\n').keepAlive, true);
    assert.equal(conn('', '1.0').keepAlive, false);
    assert.equal(conn('Connection: Keep-Alive\r\n', '1.0').keepAlive, true);
    assert.equal(conn('Connection: foo,  keep-alive ,bar\r\n', '1.0').keepAlive, true);
    assert.equal(conn('Connection: keep-alive, close\r\n', '1.0').keepAlive, false);
  });

  it('sees a WebSocket upgrade only with Connection: upgrade, an Upgrade field and HTTP/1.1', () => {
    assert.equal(conn('Connection: Upgrade\r\nUpgrade: websocket\r\n').upgrade, true);
    assert.equal(conn('Connection: keep-alive, upgrade\r\nUpgrade: websocket\r\n').upgrade, true);
    assert.equal(conn('Connection: upgrade\r\n').upgrade, false);
    assert.equal(conn('Upgrade: websocket\r\n').upgrade, false);
    assert.equal(conn('Connection: upgrade\r\nUpgrade: websocket\r\n', '1.0').upgrade, false);
  });

  it('sees Expect: 100-continue in any case', () => {
    assert.equal(conn('Expect: 100-Continue\r\n').expectContinue, true);
    assert.equal(conn('Expect: 100-continue-x\r\n').expectContinue, false);
    assert.equal(conn('').expectContinue, false);
  });

  it('flags client-sent X-Forwarded-Proto and X-Forwarded-Host, not X-Forwarded-For', () => {
    assert.equal(conn('X-Forwarded-Proto: https\r\n').hasForwardedHeaders, true);
    assert.equal(conn('x-forwarded-host: evil\r\n').hasForwardedHeaders, true);
    assert.equal(conn('X-Forwarded-For: 1.2.3.4\r\n').hasForwardedHeaders, false);
  });

  it('reads a lone chunked Transfer-Encoding in any case', () => {
    const h = conn('Transfer-Encoding: Chunked \r\n');
    assert.equal(h.chunked, true);
    assert.equal(h.contentLength, -1);
  });
});

describe('parseRequestHead: smuggling vectors and malformed heads', () => {
  const H = 'Host: h\r\n';
  const cases: ReadonlyArray<readonly [string, string, number, string]> = [
    // request line
    ['double space after method', `GET  / HTTP/1.1\r\n${H}\r\n`, 400, 'INVALID_TARGET'],
    ['double space after target', `GET /  HTTP/1.1\r\n${H}\r\n`, 400, 'INVALID_VERSION'],
    ['tab separator', `GET\t/ HTTP/1.1\r\n${H}\r\n`, 400, 'INVALID_METHOD'],
    ['leading space', ` GET / HTTP/1.1\r\n${H}\r\n`, 400, 'INVALID_METHOD'],
    ['trailing space after version', `GET / HTTP/1.1 \r\n${H}\r\n`, 400, 'INVALID_VERSION'],
    ['non-token method', `GE(T / HTTP/1.1\r\n${H}\r\n`, 400, 'INVALID_METHOD'],
    ['missing target', `GET HTTP/1.1\r\n${H}\r\n`, 400, 'INVALID_TARGET'],
    ['HTTP/0.9 line', `GET /\r\n${H}\r\n`, 400, 'INVALID_TARGET'],
    ['DEL in target', `GET /a\x7fb HTTP/1.1\r\n${H}\r\n`, 400, 'INVALID_TARGET'],
    ['NUL in target', `GET /a\x00b HTTP/1.1\r\n${H}\r\n`, 400, 'INVALID_TARGET'],
    ['relative target', `GET a/b HTTP/1.1\r\n${H}\r\n`, 400, 'INVALID_TARGET'],
    ['lower-case version', `GET / http/1.1\r\n${H}\r\n`, 400, 'INVALID_VERSION'],
    ['version with two digits', `GET / HTTP/1.10\r\n${H}\r\n`, 400, 'INVALID_VERSION'],
    ['HTTP/2.0', `GET / HTTP/2.0\r\n${H}\r\n`, 505, 'UNSUPPORTED_VERSION'],
    ['HTTP/1.2', `GET / HTTP/1.2\r\n${H}\r\n`, 505, 'UNSUPPORTED_VERSION'],
    ['HTTP/0.9 version', `GET / HTTP/0.9\r\n${H}\r\n`, 505, 'UNSUPPORTED_VERSION'],
    // line endings
    ['bare LF ending the request line', `GET / HTTP/1.1\n${H}\r\n`, 400, 'BARE_LF'],
    ['bare LF ending a field line', `GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n`, 400, 'BARE_LF'],
    ['bare LF inside a value', `GET / HTTP/1.1\r\n${H}X: a\nb\r\n\r\n`, 400, 'BARE_LF'],
    ['bare LF as the empty line', `GET / HTTP/1.1\r\n${H}\n\r\n\r\n`, 400, 'BARE_LF'],
    ['bare LF after the method', `GET\n/ HTTP/1.1\r\n${H}\r\n`, 400, 'BARE_LF'],
    ['bare CR inside a value', `GET / HTTP/1.1\r\n${H}X: a\rb\r\n\r\n`, 400, 'BARE_CR'],
    ['bare CR opening a line', `GET / HTTP/1.1\r\n${H}\rX: a\r\n\r\n`, 400, 'BARE_CR'],
    // field lines
    ['obs-fold', `GET / HTTP/1.1\r\n${H}X: a\r\n b\r\n\r\n`, 400, 'OBS_FOLD'],
    ['obs-fold with HTAB', `GET / HTTP/1.1\r\n${H}X: a\r\n\tb\r\n\r\n`, 400, 'OBS_FOLD'],
    ['whitespace before the first field', `GET / HTTP/1.1\r\n ${H}\r\n`, 400, 'OBS_FOLD'],
    ['space before colon', `GET / HTTP/1.1\r\n${H}Content-Length : 5\r\n\r\n`, 400, 'SPACE_BEFORE_COLON'],
    ['tab before colon', `GET / HTTP/1.1\r\n${H}Transfer-Encoding\t: chunked\r\n\r\n`, 400, 'SPACE_BEFORE_COLON'],
    ['empty field name', `GET / HTTP/1.1\r\n${H}: x\r\n\r\n`, 400, 'INVALID_HEADER_NAME'],
    ['non-token field name', `GET / HTTP/1.1\r\n${H}X(y): 1\r\n\r\n`, 400, 'INVALID_HEADER_NAME'],
    ['obs-text field name', `GET / HTTP/1.1\r\n${H}X\xe9: 1\r\n\r\n`, 400, 'INVALID_HEADER_NAME'],
    ['field line without colon', `GET / HTTP/1.1\r\n${H}Xyz\r\n\r\n`, 400, 'INVALID_HEADER_NAME'],
    ['NUL in a value', `GET / HTTP/1.1\r\n${H}X: a\x00b\r\n\r\n`, 400, 'INVALID_HEADER_VALUE'],
    ['VT in a value', `GET / HTTP/1.1\r\n${H}Transfer-Encoding: \x0bchunked\r\n\r\n`, 400, 'INVALID_HEADER_VALUE'],
    ['DEL in a value', `GET / HTTP/1.1\r\n${H}X: a\x7f\r\n\r\n`, 400, 'INVALID_HEADER_VALUE'],
    ['ESC in a value', `GET / HTTP/1.1\r\n${H}X: \x1b[31m\r\n\r\n`, 400, 'INVALID_HEADER_VALUE'],
    // Host
    ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\nX: y\r\n\r\n', 400, 'MISSING_HOST'],
    ['two Host fields', `GET / HTTP/1.1\r\n${H}Host: h\r\n\r\n`, 400, 'DUPLICATE_HOST'],
    ['two Host fields in HTTP/1.0', `GET / HTTP/1.0\r\n${H}HOST: other\r\n\r\n`, 400, 'DUPLICATE_HOST'],
    // Content-Length
    ['signed Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\n`, 400, 'INVALID_CONTENT_LENGTH'],
    ['negative Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, 400, 'INVALID_CONTENT_LENGTH'],
    ['hex Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 0x5\r\n\r\n`, 400, 'INVALID_CONTENT_LENGTH'],
    ['Content-Length with a space inside', `POST / HTTP/1.1\r\n${H}Content-Length: 1 2\r\n\r\n`, 400, 'INVALID_CONTENT_LENGTH'],
    ['empty Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: \r\n\r\n`, 400, 'INVALID_CONTENT_LENGTH'],
    ['Content-Length list of equal values', `POST / HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\n`, 400, 'INVALID_CONTENT_LENGTH'],
    ['two equal Content-Length fields', `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 5\r\n\r\n`, 400, 'DUPLICATE_CONTENT_LENGTH'],
    ['two differing Content-Length fields', `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\n`, 400, 'DUPLICATE_CONTENT_LENGTH'],
    ['Content-Length past 2^53', `POST / HTTP/1.1\r\n${H}Content-Length: 99999999999999999999\r\n\r\n`, 413, 'CONTENT_LENGTH_TOO_LARGE'],
    // Transfer-Encoding
    ['Content-Length and Transfer-Encoding', `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`, 400, 'CONTENT_LENGTH_WITH_TRANSFER_ENCODING'],
    ['Transfer-Encoding and Content-Length', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n`, 400, 'CONTENT_LENGTH_WITH_TRANSFER_ENCODING'],
    ['gzip, chunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n`, 501, 'UNSUPPORTED_TRANSFER_ENCODING'],
    ['chunked twice in one field', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n`, 501, 'UNSUPPORTED_TRANSFER_ENCODING'],
    ['chunked not final', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n`, 400, 'CHUNKED_NOT_FINAL'],
    ['unknown coding', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, 400, 'CHUNKED_NOT_FINAL'],
    ['chunked look-alike', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n`, 400, 'CHUNKED_NOT_FINAL'],
    ['chunked with a parameter', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked;a=b\r\n\r\n`, 400, 'CHUNKED_NOT_FINAL'],
    ['trailing comma', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked,\r\n\r\n`, 400, 'CHUNKED_NOT_FINAL'],
    ['empty Transfer-Encoding', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: \r\n\r\n`, 400, 'CHUNKED_NOT_FINAL'],
    ['two Transfer-Encoding fields', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n`, 400, 'DUPLICATE_TRANSFER_ENCODING'],
    ['Transfer-Encoding in HTTP/1.0', `POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n`, 400, 'TRANSFER_ENCODING_HTTP10'],
  ];

  for (const [name, head, status, code] of cases) {
    it(`refuses ${name} with ${status}`, () => {
      errReq(head, status, code);
      // The verdict must not depend on how the head was split across reads.
      for (let k = 1; k < head.length; k++) {
        const r = parseRequestHead(b(head.slice(0, k)));
        assert.ok(r.kind === 'incomplete' || (r.kind === 'error' && r.status === status), `${name}: prefix ${k} gave ${JSON.stringify(r)}`);
      }
    });
  }
});

describe('parseRequestHead: incremental input and pipelining', () => {
  const heads = [
    WRK_GET,
    'GET / HTTP/1.0\r\n\r\n',
    '\r\nPOST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n',
    'OPTIONS * HTTP/1.1\r\nHost: h\r\nX-Empty:\r\n\r\n',
  ];
  for (const head of heads) {
    it(`is incomplete at every byte before the end of ${JSON.stringify(head.slice(0, 24))}`, () => {
      const full = okReq(head);
      for (let k = 0; k < head.length; k++) {
        assert.deepEqual(parseRequestHead(b(head.slice(0, k))), { kind: 'incomplete' }, `prefix of ${k} bytes`);
      }
      assert.deepEqual(okReq(head), full);
    });
  }

  it('returns headLength so pipelined requests can be sliced apart', () => {
    const first = 'POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n';
    const second = 'GET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n';
    const third = 'GET /c HTTP/1.1\r\nHost: h\r\n\r\n';
    let buf = b(first + 'hello' + second + third);
    const r1 = parseRequestHead(buf);
    assert.equal(r1.kind, 'ok');
    const h1 = (r1 as { head: RequestHead }).head;
    assert.equal(h1.headLength, first.length);
    assert.equal(h1.contentLength, 5);
    assert.equal(buf.toString('latin1', h1.headLength, h1.headLength + 5), 'hello');
    buf = buf.subarray(h1.headLength + h1.contentLength);
    const h2 = (parseRequestHead(buf) as { head: RequestHead }).head;
    assert.equal(h2.path, '/b');
    assert.equal(h2.keepAlive, false);
    buf = buf.subarray(h2.headLength);
    const h3 = (parseRequestHead(buf) as { head: RequestHead }).head;
    assert.equal(h3.path, '/c');
    assert.equal(h3.headLength, buf.length);
  });

  it('does not look at body bytes after the head', () => {
    const h = okReq('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n\n\x00\r\x01');
    assert.equal(h.contentLength, 4);
  });

  it('refuses a bare LF before the head is complete', () => {
    errReq('GET / HTTP/1.1\nHost: h\n', 400, 'BARE_LF');
    errReq('\n', 400, 'BARE_LF');
    errReq('\r\n\n', 400, 'BARE_LF');
  });
});

describe('parseRequestHead: size limits', () => {
  it('answers 431 to a complete head past the limit', () => {
    const head = `GET / HTTP/1.1\r\nHost: h\r\nX-Big: ${'a'.repeat(200)}\r\n\r\n`;
    errReq(head, 431, 'HEAD_TOO_LARGE', 200);
    assert.equal(okReq(head, head.length).headLength, head.length);
    errReq(head, 431, 'HEAD_TOO_LARGE', head.length - 1);
  });

  it('answers 431 as soon as an incomplete head passes the limit', () => {
    const partial = `GET / HTTP/1.1\r\nHost: h\r\nX-Big: ${'a'.repeat(300)}`;
    assert.equal(parseRequestHead(b(partial.slice(0, 256)), 256).kind, 'incomplete');
    errReq(partial.slice(0, 257), 431, 'HEAD_TOO_LARGE', 256);
    errReq(partial, 431, 'HEAD_TOO_LARGE', 256);
    errReq(`GET / HTTP/1.1\r\nX: ${'a'.repeat(20000)}`, 431, 'HEAD_TOO_LARGE');
  });

  it('answers 414 to a target past its limit, complete or not', () => {
    const target = '/' + 'p'.repeat(100);
    errReq(`GET ${target} HTTP/1.1\r\nHost: h\r\n\r\n`, 414, 'TARGET_TOO_LONG', 16384, 100);
    assert.equal(okReq(`GET ${target} HTTP/1.1\r\nHost: h\r\n\r\n`, 16384, 101).target, target);
    errReq(`GET ${target}`, 414, 'TARGET_TOO_LONG', 16384, 50);
    errReq(`GET ${target} HTTP/1.1\r\nHost: h\r\n`, 414, 'TARGET_TOO_LONG', 16384, 50);
    errReq(`GET /${'p'.repeat(9000)}`, 414, 'TARGET_TOO_LONG');
    // A target within its limit inside a head past the head limit is still a 431.
    errReq(`GET ${target} HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(300)}\r\n\r\n`, 431, 'HEAD_TOO_LARGE', 256, 200);
  });
});

describe('parseRequestHead: mutated heads against a plain reference', () => {
  // A deterministic generator, so a failure can be replayed.
  let seed = 0x9e3779b9;
  const random = (n: number): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
  const alphabet = ['\x00', '\t', '\n', '\r', ' ', ':', '\x7f', '\x80', '\xff', '\x0b', '(', 'a', 'Z', '0', ',', '\r\n', '\r\n ', '\r\n\r\n'];
  const bases = [
    WRK_GET,
    'POST /u?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-A: a b\r\n\r\n',
    'GET http://h.example/p HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
  ];
  const requestLine = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [\x21-\x7e\x80-\xff]+ HTTP\/\d\.\d$/;
  const fieldLine = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*$/;

  it('never accepts what the reference refuses, and never refuses field syntax it accepts', () => {
    for (let n = 0; n < 6000; n++) {
      let s = bases[random(bases.length)];
      for (let k = 1 + random(3); k > 0; k--) {
        const at = random(s.length);
        const op = random(3);
        const piece = alphabet[random(alphabet.length)];
        s = op === 0 ? s.slice(0, at) + piece + s.slice(at + 1) : op === 1 ? s.slice(0, at) + piece + s.slice(at) : s.slice(0, at) + s.slice(at + 1);
      }
      const r = parseRequestHead(b(s));
      const where = JSON.stringify(s);
      if (r.kind === 'error') assert.notEqual(r.code, 'INVALID_FIELD_SECTION', where);
      let body = s;
      while (body.startsWith('\r\n')) body = body.slice(2);
      const end = body.indexOf('\r\n\r\n');
      if (end < 0) {
        const bareLf = /(^|[^\r])\n/.test(body);
        assert.equal(r.kind, bareLf ? 'error' : 'incomplete', where);
        continue;
      }
      const lines = body.slice(0, end).split('\r\n');
      const lineOk = requestLine.test(lines[0]);
      const fieldsOk = lines.slice(1).every((l) => fieldLine.test(l));
      if (r.kind === 'ok') {
        assert.ok(lineOk && fieldsOk, `accepted ${where}`);
        assert.equal(r.head.headLength, s.length - body.length + end + 4, where);
      }
      if (lineOk && !fieldsOk) assert.equal(r.kind, 'error', `missed ${where}`);
    }
  });
});
