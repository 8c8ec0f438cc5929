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

describe('findHeaderValue', () => {
  it('finds the first value of a field in any case, trimmed', () => {
    const buf = b('GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto:  https \r\nx-forwarded-proto: http\r\n\r\nBODY: x');
    const head = okReq(buf.toString('latin1'));
    assert.equal(findHeaderValue(buf, head, 'X-Forwarded-Proto'), 'https');
    assert.equal(findHeaderValue(buf, head, 'host'), 'h');
    assert.equal(findHeaderValue(buf, head, 'x-forwarded'), null);
    assert.equal(findHeaderValue(buf, head, 'body'), null);
    assert.equal(findHeaderValue(buf, head, 'get'), null);
    const lead = b('\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n');
    assert.equal(findHeaderValue(lead, okReq(lead.toString('latin1')), 'Host'), 'h');
  });
});
