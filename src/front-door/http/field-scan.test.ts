import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesAre, bytesEqual, hasBareLf } from './chars.ts';
import { CONN_CLOSE, CONN_KEEP_ALIVE, CONN_UPGRADE, connectionOptions, fields, scanFields, transferCoding } from './field-scan.ts';
import { parseRequestHead } from './request-head.ts';
import { parseResponseHead } from './response-head.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('scanFields', () => {
  it('notes the fields that decide framing, routing and forwarding, and where the head ends', () => {
    const section = 'Host: h:1\r\nContent-Length: 12\r\nConnection: keep-alive, Upgrade\r\nUpgrade: ws\r\nExpect: 100-continue\r\nX-Forwarded-Host: x\r\nX-Other: y\r\n\r\nBODY';
    assert.equal(scanFields(b(section), 0, 400), null);
    assert.equal(fields.end, section.indexOf('BODY'));
    assert.equal(fields.hostRaw, 'h:1');
    assert.equal(fields.hostCount, 1);
    assert.equal(fields.contentLength, 12);
    assert.equal(fields.conn, CONN_KEEP_ALIVE | CONN_UPGRADE);
    assert.equal(fields.upgradeField, true);
    assert.equal(fields.expectContinue, true);
    assert.equal(fields.forwarded, true);
    assert.equal(fields.refusal, null);
  });

  it('starts every scan afresh', () => {
    assert.equal(scanFields(b('Host: a\r\nTransfer-Encoding: chunked\r\n\r\n'), 0, 400), null);
    assert.equal(scanFields(b('X: y\r\n\r\n'), 0, 502), null);
    assert.equal(fields.hostCount, 0);
    assert.equal(fields.hostRaw, null);
    assert.equal(fields.te, 'none');
    assert.equal(fields.teCount, 0);
    assert.equal(fields.end, 8);
  });

  it('keeps the first refusal and reports it only when the syntax is sound', () => {
    assert.equal(scanFields(b('Host: a\r\nHost: b\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'), 0, 400), null);
    assert.equal(fields.refusal?.code, 'DUPLICATE_HOST');
    // A syntax error after the second Host wins, as a check of the syntax first would have it.
    assert.equal(scanFields(b('Host: a\r\nHost: b\r\nX: \x00\r\n\r\n'), 0, 400)?.code, 'INVALID_HEADER_VALUE');
    const r = parseRequestHead(b('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nX : y\r\n\r\n'));
    assert.equal(r.kind === 'error' && r.code, 'SPACE_BEFORE_COLON');
  });

  it('reads a section cut short as an error where it stops; the head parsers then wait for more', () => {
    const head = 'GET / HTTP/1.1\r\nHost: h\r\nX-Long: abc\r\n\r\n';
    const fieldsAt = head.indexOf('Host');
    for (let k = fieldsAt; k < head.length; k++) {
      const buf = b(head.slice(0, k));
      assert.notEqual(scanFields(buf, fieldsAt, 400), null, `prefix of ${k} bytes`);
      assert.deepEqual(parseRequestHead(buf), { kind: 'incomplete' }, `prefix of ${k} bytes`);
    }
    assert.equal(scanFields(b(head), fieldsAt, 400), null);
  });

  it('gives the response status for a malformed field in a response', () => {
    assert.equal(scanFields(b('X\x01: y\r\n\r\n'), 0, 502)?.status, 502);
    assert.equal(scanFields(b('Content-Length: 99999999999999999999\r\n\r\n'), 0, 502), null);
    assert.equal(fields.refusal?.status, 502);
    assert.equal(scanFields(b('Content-Length: 99999999999999999999\r\n\r\n'), 0, 400), null);
    assert.equal(fields.refusal?.status, 413);
  });
});

describe('connectionOptions and transferCoding on bytes', () => {
  const conn = (v: string): number => connectionOptions(b(v), 0, v.length);
  const te = (v: string): string => transferCoding(b(v), 0, v.length);

  it('reads each Connection option in any case and any list shape', () => {
    assert.equal(conn('keep-alive'), CONN_KEEP_ALIVE);
    assert.equal(conn('Close'), CONN_CLOSE);
    assert.equal(conn('close, Upgrade'), CONN_CLOSE | CONN_UPGRADE);
    assert.equal(conn(' ,, keep-alive ,\tupgrade,'), CONN_KEEP_ALIVE | CONN_UPGRADE);
    assert.equal(conn('closed, keep-alive-x, upgrades'), 0);
    assert.equal(conn(''), 0);
  });

  it('classifies a Transfer-Encoding list by its final coding', () => {
    assert.equal(te('chunked'), 'chunked');
    assert.equal(te('CHUNKED'), 'chunked');
    assert.equal(te('gzip, chunked'), 'chunkedLast');
    assert.equal(te('gzip,chunked'), 'chunkedLast');
    assert.equal(te('chunked, gzip'), 'other');
    assert.equal(te('chunked,'), 'other');
    assert.equal(te('xchunked'), 'other');
    assert.equal(te(''), 'other');
  });

  it('looks only inside the range it is given', () => {
    const buf = b('gzip, chunked');
    assert.equal(transferCoding(buf, 6, buf.length), 'chunked');
    assert.equal(connectionOptions(b('close, keep-alive'), 7, 17), CONN_KEEP_ALIVE);
  });
});

describe('byte helpers', () => {
  it('compares bytes to names, folding case only where asked', () => {
    assert.equal(bytesAre(b('xContent-LENGTH'), 1, 'content-length'), true);
    assert.equal(bytesAre(b('Content-Lengt'), 0, 'content-length'), false);
    assert.equal(bytesEqual(b('GET'), 0, 'GET'), true);
    assert.equal(bytesEqual(b('get'), 0, 'GET'), false);
    assert.equal(bytesEqual(b('GE'), 0, 'GET'), false);
  });

  it('finds a bare LF from a start offset on', () => {
    assert.equal(hasBareLf(b('a\r\nb\r\n'), 0), false);
    assert.equal(hasBareLf(b('a\r\nb\n'), 0), true);
    assert.equal(hasBareLf(b('\r\n\nx'), 2), true);
    assert.equal(hasBareLf(b('\nx'), 1), false);
  });
});

describe('strings reused from the last head', () => {
  it('never hands back a stale target, path or Host', () => {
    const ok = (s: string) => {
      const r = parseRequestHead(b(s));
      assert.equal(r.kind, 'ok', s);
      return (r as { head: { target: string; path: string; hostRaw: string | null; host: string | null } }).head;
    };
    const seen = [
      ['/a?x=1', '/a', 'Shop.Example:80', 'shop.example'],
      ['/a?x=1', '/a', 'Shop.Example:80', 'shop.example'],
      ['/a?y=1', '/a', 'shop.example:80', 'shop.example'],
      ['/b', '/b', 'other', 'other'],
      ['/a?x=1', '/a', 'Shop.Example:81', 'shop.example'],
      ['/a?x=2', '/a', '', ''],
      ['/a?x=2', '/a', 'x', 'x'],
    ];
    for (const [target, path, hostRaw, host] of seen) {
      const h = ok(`GET ${target} HTTP/1.1\r\nHost: ${hostRaw}\r\n\r\n`);
      assert.deepEqual([h.target, h.path, h.hostRaw, h.host], [target, path, hostRaw, host]);
    }
    const abs = ok('GET http://Api.Example/v?q HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.deepEqual([abs.target, abs.path, abs.host], ['http://Api.Example/v?q', '/v', 'api.example']);
    assert.equal(ok('GET /v?q HTTP/1.1\r\nHost: x\r\n\r\n').path, '/v');
  });

  it('makes no strings for a response head', () => {
    const r = parseResponseHead(b('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'));
    assert.equal(r.kind === 'ok' && Object.values(r.head).some((v) => typeof v === 'string'), false);
  });
});
