import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResponseHead } from './http-parser.ts';
import { CgiResponse, MAX_CGI_HEAD, type ResponseRequestFacts } from './cgi-response.ts';

const GET11: ResponseRequestFacts = { method: 'GET', versionMinor: 1, keepAlive: true };

/** Runs stdout pieces through a response; `endAfter` is the batch after which END_REQUEST came. */
function translate(batches: readonly (readonly string[])[], req: ResponseRequestFacts = GET11): { text: string; r: CgiResponse } {
  const r = new CgiResponse(req);
  const out: Buffer[] = [];
  batches.forEach((batch, i) => {
    for (const piece of batch) assert.equal(r.push(Buffer.from(piece, 'latin1')), null, piece);
    const taken = r.take(i === batches.length - 1);
    assert.ok(Array.isArray(taken), JSON.stringify(taken));
    out.push(...(taken as Buffer[]));
  });
  return { text: Buffer.concat(out).toString('latin1'), r };
}

/** The head of an HTTP response as the front door's own strict parser reads it. */
function headOf(text: string): { status: number; fields: Map<string, string>; body: string } {
  const buf = Buffer.from(text, 'latin1');
  const parsed = parseResponseHead(buf);
  assert.equal(parsed.kind, 'ok', text);
  const lines = text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n').slice(1);
  const fields = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 2)]));
  return { status: parsed.kind === 'ok' ? parsed.head.status : 0, fields, body: text.slice(text.indexOf('\r\n\r\n') + 4) };
}

test('a whole response that came with its END_REQUEST gets a Content-Length', () => {
  const { text, r } = translate([['Content-type: text/html; charset=UTF-8\r\n\r\n<p>hello</p>']]);
  const h = headOf(text);
  assert.equal(h.status, 200);
  assert.equal(h.fields.get('content-type'), 'text/html; charset=UTF-8');
  assert.equal(h.fields.get('content-length'), '12');
  assert.equal(h.fields.get('transfer-encoding'), undefined);
  assert.ok(h.fields.has('date'));
  assert.equal(h.body, '<p>hello</p>');
  assert.ok(r.complete && r.keepClient);
});

test('a longer response streams chunked to HTTP/1.1, close-delimited to HTTP/1.0', () => {
  const { text, r } = translate([['Content-type: text/plain\r\n\r\nfirst '], ['second '], ['third']]);
  const h = headOf(text);
  assert.equal(h.fields.get('transfer-encoding'), 'chunked');
  assert.equal(h.body, '6\r\nfirst \r\n7\r\nsecond \r\n5\r\nthird\r\n0\r\n\r\n');
  assert.equal(r.framing, 'chunked');
  assert.ok(r.keepClient);
  const old = translate([['Content-type: text/plain\r\n\r\nfirst '], ['second']], { method: 'GET', versionMinor: 0, keepAlive: true });
  const oh = headOf(old.text);
  assert.equal(oh.fields.get('connection'), 'close');
  assert.equal(oh.body, 'first second');
  assert.equal(old.r.keepClient, false);
});

test('a script\'s own Content-Length is kept; what it writes beyond is dropped, short is incomplete', () => {
  const exact = translate([['Content-Length: 5\r\nContent-type: text/plain\r\n\r\nhel'], ['lo']]);
  assert.equal(headOf(exact.text).body, 'hello');
  assert.equal(headOf(exact.text).fields.get('transfer-encoding'), undefined);
  assert.ok(exact.r.complete);
  const long = translate([['Content-Length: 2\r\n\r\nhello']]);
  assert.equal(headOf(long.text).body, 'he');
  assert.equal(long.r.excess, 3);
  const short = translate([['Content-Length: 10\r\n\r\nhi']]);
  assert.equal(short.r.complete, false);
  assert.equal(short.r.keepClient, false);
});

test('Status: sets the status line; Location alone is a 302 (RFC 3875 §6.2.3)', () => {
  const nf = headOf(translate([['Status: 404 Not Found\r\nX-Reason: gone fishing\r\nContent-type: text/html\r\n\r\nmissing']]).text);
  assert.equal(nf.status, 404);
  assert.equal(nf.fields.get('x-reason'), 'gone fishing');
  assert.equal(nf.fields.has('status'), false);
  assert.ok(translate([['Status: 418 I\'m a teapot\r\n\r\n']]).text.startsWith('HTTP/1.1 418 I\'m a teapot\r\n'));
  assert.ok(translate([['Status: 299\r\n\r\n']]).text.startsWith('HTTP/1.1 299 Unknown\r\n'));
  const moved = headOf(translate([['Location: https://example.com/next\r\n\r\n']]).text);
  assert.equal(moved.status, 302);
  assert.equal(moved.fields.get('location'), 'https://example.com/next');
  // PHP's header('Location: …') sends its own Status: that one wins.
  assert.equal(headOf(translate([['Status: 301 Moved Permanently\r\nLocation: /x\r\n\r\n']]).text).status, 301);
});

test('hop-by-hop fields from the script never reach the client', () => {
  const h = headOf(translate([['Content-type: text/plain\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nKeep-Alive: 5\r\nUpgrade: h2c\r\n\r\nok']]).text);
  assert.equal(h.fields.get('connection'), undefined);
  assert.equal(h.fields.get('keep-alive'), undefined);
  assert.equal(h.fields.get('upgrade'), undefined);
  assert.equal(h.fields.get('content-length'), '2');
  assert.equal(h.body, 'ok');
});

test('LF-only heads (RFC 3875 §6.3), a head cut anywhere, and the body that follows it', () => {
  const whole = 'Content-type: text/plain\nX-A: 1\n\nbody';
  for (let cut = 1; cut < whole.length; cut++) {
    const h = headOf(translate([[whole.slice(0, cut), whole.slice(cut)]]).text);
    assert.equal(h.fields.get('x-a'), '1', `cut at ${cut}`);
    assert.equal(h.body, 'body', `cut at ${cut}`);
  }
  const crlf = 'Content-type: text/plain\r\n\r\nbody';
  for (let cut = 1; cut < crlf.length; cut++) assert.equal(headOf(translate([[crlf.slice(0, cut)], [crlf.slice(cut)]]).text).body.replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$|\r\n[0-9a-f]+\r\n/g, ''), 'body', `cut at ${cut}`);
});

test('HEAD, 204 and 304 carry no body; the client connection stays', () => {
  const head = translate([['Content-type: text/html\r\n\r\n<html>'], ['more']], { method: 'HEAD', versionMinor: 1, keepAlive: true });
  assert.equal(headOf(head.text).body, '');
  assert.equal(headOf(head.text).fields.get('transfer-encoding'), undefined);
  assert.ok(head.r.keepClient);
  const nc = translate([['Status: 204 No Content\r\nContent-Length: 3\r\n\r\nabc']]);
  assert.equal(headOf(nc.text).body, '');
  assert.equal(headOf(nc.text).fields.get('content-length'), undefined);
  assert.equal(headOf(translate([['Status: 304 Not Modified\r\n\r\n']]).text).status, 304);
});

test('the client asked to close: the response says so (RFC 9112 §9.6); HTTP/1.0 keep-alive is answered', () => {
  assert.equal(headOf(translate([['Content-type: a/b\r\n\r\nx']], { method: 'GET', versionMinor: 1, keepAlive: false }).text).fields.get('connection'), 'close');
  assert.equal(headOf(translate([['Content-type: a/b\r\n\r\nx']], { method: 'GET', versionMinor: 0, keepAlive: true }).text).fields.get('connection'), 'keep-alive');
});

test('heads that cannot be answered with: 502 material, with a code', () => {
  const fails = (stdout: string, ended = true): string => {
    const r = new CgiResponse(GET11);
    const pushed = r.push(Buffer.from(stdout, 'latin1'));
    if (pushed !== null) return pushed.code;
    const taken = r.take(ended);
    return Array.isArray(taken) ? 'ok' : taken.code;
  };
  assert.equal(fails('not a header\r\n\r\n'), 'BAD_HEADER_LINE');
  assert.equal(fails('Bad Name: x\r\n\r\n'), 'BAD_HEADER_LINE');
  assert.equal(fails('X-Split: a\rb\r\n\r\n'), 'BAD_HEADER_LINE');
  assert.equal(fails('Status: nope\r\n\r\n'), 'BAD_STATUS');
  assert.equal(fails('Status: 101 Switching Protocols\r\n\r\n'), 'BAD_STATUS');
  assert.equal(fails('Status: 200\r\nStatus: 404\r\n\r\n'), 'BAD_STATUS');
  assert.equal(fails('Content-Length: -1\r\n\r\n'), 'BAD_CONTENT_LENGTH');
  assert.equal(fails('Content-Length: 1\r\nContent-Length: 1\r\n\r\n'), 'BAD_CONTENT_LENGTH');
  assert.equal(fails('Content-type: text/html\r\n'), 'NO_HEAD');
  assert.equal(fails(''), 'NO_HEAD');
  assert.equal(fails('Content-type: text/html\r\n', false), 'ok');
  assert.equal(fails(`X-Big: ${'a'.repeat(MAX_CGI_HEAD)}\r\n`, false), 'HEAD_TOO_LARGE');
});
