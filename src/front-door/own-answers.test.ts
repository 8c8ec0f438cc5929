import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import type { RequestHead } from './http-parser.ts';
import { sendNotFound, sendOwnAnswer } from './own-answers.ts';

function fakeSocket(): { socket: Socket; out: Array<[string, string]> } {
  const out: Array<[string, string]> = [];
  const socket = { write: (s: string) => out.push(['write', s]), end: (s: string) => out.push(['end', s]) } as unknown as Socket;
  return { socket, out };
}
const head = (h: Partial<RequestHead>): RequestHead => ({ method: 'GET', keepAlive: true, chunked: false, contentLength: 0, ...h }) as RequestHead;

test('an own answer keeps the connection only for a request read whole that may stay alive, and one that closes says so', () => {
  const a = fakeSocket();
  assert.equal(sendOwnAnswer(a.socket, head({}), true, false, 503, 'down', { 'Retry-After': '5' }), false);
  assert.equal(a.out[0]![0], 'write');
  assert.doesNotMatch(a.out[0]![1], /Connection: close/);
  assert.match(a.out[0]![1], /Retry-After: 5/);
  for (const [h, reqDone, closing] of [[head({}), false, false], [head({ keepAlive: false }), true, false], [head({}), true, true]] as const) {
    const b = fakeSocket();
    assert.equal(sendOwnAnswer(b.socket, h, reqDone, closing, 502, 'gone', {}), true);
    assert.equal(b.out[0]![0], 'end');
    assert.match(b.out[0]![1], /Connection: close\r\n/);
  }
});

test('a 404 closes when the request has a body the front door does not read', () => {
  const a = fakeSocket();
  assert.equal(sendNotFound(a.socket, head({ method: 'HEAD' }), false), false);
  assert.match(a.out[0]![1], /^HTTP\/1\.1 404/);
  assert.ok(a.out[0]![1].endsWith('\r\n\r\n'), 'HEAD: no body');
  const b = fakeSocket();
  assert.equal(sendNotFound(b.socket, head({ contentLength: 5 }), false), true);
  assert.equal(b.out[0]![0], 'end');
  assert.match(b.out[0]![1], /Connection: close/);
});
