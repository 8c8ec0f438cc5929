/**
 * The record codec against the FastCGI 1.0 specification: the byte layouts of §3.3, §3.4, §4.1,
 * §5.1 and §5.5, and the message flows of Appendix B, written the way the specification writes
 * them (`{FCGI_PARAMS, 1, "\013\002SERVER_PORT80…"}`: octal escapes are lengths).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FCGI_KEEP_CONN, ProtocolStatus, RecordType, Role, MANAGEMENT_VARIABLES,
  decodeEndRequest, decodeNameValuePairs, encodeBeginRequest, encodeEndRequest, encodeGetValues,
  encodeHeader, encodeNameValuePairs, encodeParams, encodeRecord, streamRecords, RecordError,
} from './records.ts';
import { RecordReader, type FeedResult } from './record-reader.ts';

/** The specification's C-string notation: "\013\002SERVER_PORT80" with octal escapes. */
function spec(s: string): Buffer {
  return Buffer.from(s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), 'latin1');
}

/** What a reader hands its sink, as readable lines. */
function reading(chunks: readonly Buffer[]): { events: string[]; results: FeedResult[] } {
  const events: string[] = [];
  const name = (t: number): string => (t === RecordType.Stdout ? 'STDOUT' : 'STDERR');
  const reader = new RecordReader({
    onStream: (t, id, data) => {
      const last = events.at(-1);
      const key = `${name(t)} ${id} `;
      // Pieces of one record arrive as they come: join them for the comparison.
      if (last?.startsWith(key) && !last.endsWith(' end')) events[events.length - 1] = last + data.toString('latin1');
      else events.push(key + data.toString('latin1'));
    },
    onStreamEnd: (t, id) => events.push(`${name(t)} ${id} end`),
    onEndRequest: (id, app, proto) => events.push(`END_REQUEST ${id} ${app} ${proto}`),
    onManagement: (t, id, content) => events.push(`${t === RecordType.GetValuesResult ? 'GET_VALUES_RESULT' : 'UNKNOWN_TYPE'} ${id} ${JSON.stringify(t === RecordType.GetValuesResult ? decodeNameValuePairs(content) : [...content])}`),
  });
  return { events, results: chunks.map((c) => reader.feed(c)) };
}

/** Every way of cutting `bytes` in two, plus byte by byte: a reader must not care. */
function cuts(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [[bytes]];
  for (let i = 1; i < bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  out.push([...bytes].map((b) => Buffer.from([b])));
  return out;
}

test('§3.3: a record header is version, type, request id, content length, padding, reserved', () => {
  assert.deepEqual([...encodeHeader(RecordType.Stdin, 0x0102, 0x0304, 5)], [1, 5, 1, 2, 3, 4, 5, 0]);
  assert.throws(() => encodeHeader(RecordType.Stdin, 1, 65536), (e: RecordError) => e.code === 'CONTENT_TOO_LARGE');
  // §3.3 recommends eight-byte alignment: padding fills the record up.
  const aligned = encodeRecord(RecordType.Stdout, 1, Buffer.from('abc'), true);
  assert.equal(aligned.length, 16);
  assert.equal(aligned[6], 5);
});

test('§3.4: name-value pairs, lengths of one byte up to 127 and four bytes (high bit set) above', () => {
  // The specification's own example pair.
  assert.deepEqual(encodeNameValuePairs([['SERVER_PORT', '80']]), spec('\\013\\002SERVER_PORT80'));
  assert.deepEqual(encodeNameValuePairs([['SERVER_ADDR', '199.170.183.42']]), spec('\\013\\016SERVER_ADDR199.170.183.42'));
  const long = 'x'.repeat(128);
  const bytes = encodeNameValuePairs([['N', long], [long, '']]);
  assert.deepEqual([...bytes.subarray(0, 5)], [1, 0x80, 0, 0, 128]);
  assert.deepEqual([...bytes.subarray(5 + 1 + 128, 5 + 1 + 128 + 5)], [0x80, 0, 0, 128, 0]);
  assert.deepEqual(decodeNameValuePairs(bytes), [['N', long], [long, '']]);
  // 127 still fits in one byte.
  assert.equal(encodeNameValuePairs([['A', 'y'.repeat(127)]])[1], 127);
  // Bytes stay bytes: a header value with obs-text (latin1) arrives unchanged.
  assert.deepEqual(decodeNameValuePairs(encodeNameValuePairs([['HTTP_X', 'caf\xe9']])), [['HTTP_X', 'caf\xe9']]);
});

test('§3.4: a pair cut short is an error, never a guess', () => {
  for (const bad of [spec('\\013'), spec('\\013\\002SERVER_PORT8'), Buffer.from([0x80, 0, 0]), Buffer.from([1, 0x80, 0, 0, 9, 65])]) {
    assert.throws(() => decodeNameValuePairs(bad), (e: RecordError) => e.code === 'BAD_NAME_VALUE', bad.toString('hex'));
  }
});

test('§5.1 and §5.5: FCGI_BEGIN_REQUEST and FCGI_END_REQUEST bodies', () => {
  assert.deepEqual([...encodeBeginRequest(1, Role.Responder, FCGI_KEEP_CONN)], [1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual([...encodeBeginRequest(2, Role.Responder, 0).subarray(8)], [0, 1, 0, 0, 0, 0, 0, 0]);
  const end = encodeEndRequest(1, 938, ProtocolStatus.RequestComplete);
  assert.deepEqual([...end], [1, 3, 0, 1, 0, 8, 0, 0, 0, 0, 3, 0xaa, 0, 0, 0, 0]);
  assert.deepEqual(decodeEndRequest(end.subarray(8)), { appStatus: 938, protocolStatus: 0 });
  assert.throws(() => decodeEndRequest(Buffer.alloc(7)), (e: RecordError) => e.code === 'BAD_END_REQUEST');
});

test('§4.1: FCGI_GET_VALUES asks with empty values on request id 0; the result is read back', () => {
  const ask = encodeGetValues([...MANAGEMENT_VARIABLES]);
  assert.deepEqual([...ask.subarray(0, 4)], [1, RecordType.GetValues, 0, 0]);
  assert.deepEqual(decodeNameValuePairs(ask.subarray(8)), [['FCGI_MAX_CONNS', ''], ['FCGI_MAX_REQS', ''], ['FCGI_MPXS_CONNS', '']]);
  const answer = encodeRecord(RecordType.GetValuesResult, 0, encodeNameValuePairs([['FCGI_MAX_CONNS', '1'], ['FCGI_MPXS_CONNS', '0']]), true);
  for (const chunks of cuts(answer)) {
    assert.deepEqual(reading(chunks).events, ['GET_VALUES_RESULT 0 [["FCGI_MAX_CONNS","1"],["FCGI_MPXS_CONNS","0"]]']);
  }
  // §4.2: an application that does not know a management type says so.
  const unknown = encodeRecord(RecordType.UnknownType, 0, Buffer.from([99, 0, 0, 0, 0, 0, 0, 0]));
  assert.deepEqual(reading([unknown]).events, ['UNKNOWN_TYPE 0 [99,0,0,0,0,0,0,0]']);
});

test('Appendix B, example 1: a simple request, and the response read however it is cut', () => {
  const params = spec('\\013\\002SERVER_PORT80\\013\\016SERVER_ADDR199.170.183.42');
  const sent = Buffer.concat([
    encodeBeginRequest(1, Role.Responder, 0),
    encodeParams(1, [['SERVER_PORT', '80'], ['SERVER_ADDR', '199.170.183.42']]),
    ...streamRecords(RecordType.Stdin, 1, Buffer.alloc(0)),
  ]);
  // {FCGI_BEGIN_REQUEST, 1, {FCGI_RESPONDER, 0}} {FCGI_PARAMS, 1, "…"} {FCGI_PARAMS, 1, ""} {FCGI_STDIN, 1, ""}
  assert.deepEqual(sent, Buffer.concat([
    Buffer.from([1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
    Buffer.from([1, 4, 0, 1, 0, params.length, 0, 0]), params,
    Buffer.from([1, 4, 0, 1, 0, 0, 0, 0]),
    Buffer.from([1, 5, 0, 1, 0, 0, 0, 0]),
  ]));
  const response = Buffer.concat([
    encodeRecord(RecordType.Stdout, 1, Buffer.from('Content-type: text/html\r\n\r\n<html>\n<head> ... '), true),
    encodeRecord(RecordType.Stdout, 1),
    encodeEndRequest(1, 0, ProtocolStatus.RequestComplete),
  ]);
  for (const chunks of cuts(response)) {
    const r = reading(chunks);
    assert.deepEqual(r.events, ['STDOUT 1 Content-type: text/html\r\n\r\n<html>\n<head> ... ', 'STDOUT 1 end', 'END_REQUEST 1 0 0']);
    assert.equal(r.results.at(-1)!.kind, 'ended');
    assert.ok(r.results.slice(0, -1).every((x) => x.kind === 'more'));
  }
});

test('Appendix B, example 2: parameters split across records, and data on stdin', () => {
  // The Web server may cut the pairs anywhere: "\013\002SERVER_PORT80\013\016SER" + "VER_ADDR…".
  const pairs = spec('\\013\\002SERVER_PORT80\\013\\016SERVER_ADDR199.170.183.42');
  const split = Buffer.concat([
    encodeRecord(RecordType.Params, 1, pairs.subarray(0, 20)),
    encodeRecord(RecordType.Params, 1, pairs.subarray(20)),
  ]);
  assert.equal(split.subarray(8, 28).toString('latin1'), spec('\\013\\002SERVER_PORT80\\013\\016SER').toString('latin1'));
  assert.deepEqual(decodeNameValuePairs(Buffer.concat([split.subarray(8, 28), split.subarray(36)])), [['SERVER_PORT', '80'], ['SERVER_ADDR', '199.170.183.42']]);
  const stdin = streamRecords(RecordType.Stdin, 1, Buffer.from('quantity=100&item=3047936'));
  assert.deepEqual(Buffer.concat(stdin), Buffer.concat([Buffer.from([1, 5, 0, 1, 0, 25, 0, 0]), Buffer.from('quantity=100&item=3047936')]));
  // A stream longer than one record is cut at 65535 bytes, without copying the data.
  const big = Buffer.alloc(65535 * 2 + 10, 7);
  const parts = streamRecords(RecordType.Stdin, 3, big);
  assert.equal(parts.length, 6);
  assert.deepEqual(parts.filter((_, i) => i % 2 === 0).map((h) => h.readUInt16BE(4)), [65535, 65535, 10]);
  assert.equal(parts[1].buffer, big.buffer);
  // Params longer than one record: pairs cut across records, then the empty record.
  const many = encodeParams(1, [['A', 'v'.repeat(70_000)]]);
  assert.equal(many.readUInt16BE(4), 65535);
  assert.deepEqual([...many.subarray(-8)], [1, 4, 0, 1, 0, 0, 0, 0]);
});

test('Appendix B, example 3: stderr between stdout records, and an application status', () => {
  const response = Buffer.concat([
    encodeRecord(RecordType.Stdout, 1, Buffer.from('Content-type: text/html\r\n\r\n<ht'), true),
    encodeRecord(RecordType.Stderr, 1, Buffer.from('config error: missing SI_UID\n'), true),
    encodeRecord(RecordType.Stdout, 1, Buffer.from('ml>\n<head> ... ')),
    encodeRecord(RecordType.Stdout, 1),
    encodeRecord(RecordType.Stderr, 1),
    encodeEndRequest(1, 938, ProtocolStatus.RequestComplete),
  ]);
  for (const chunks of cuts(response)) {
    assert.deepEqual(reading(chunks).events, [
      'STDOUT 1 Content-type: text/html\r\n\r\n<ht',
      'STDERR 1 config error: missing SI_UID\n',
      'STDOUT 1 ml>\n<head> ... ',
      'STDOUT 1 end',
      'STDERR 1 end',
      'END_REQUEST 1 938 0',
    ]);
  }
});

test('Appendix B, example 4: two requests multiplexed, answered out of order, are told apart by id', () => {
  const response = Buffer.concat([
    encodeRecord(RecordType.Stdout, 1, Buffer.from('Content-type: text/html\r\n\r\n')),
    encodeRecord(RecordType.Stdout, 2, Buffer.from('Content-type: text/html\r\n\r\n<html>\n<head> ... ')),
    encodeRecord(RecordType.Stdout, 2),
    encodeEndRequest(2, 0, ProtocolStatus.RequestComplete),
  ]);
  // The second request's END_REQUEST ends what this reader reads: Paddock never multiplexes, so a
  // reader is for one request, and what follows its end is an error (checked below).
  assert.deepEqual(reading([response]).events, [
    'STDOUT 1 Content-type: text/html\r\n\r\n',
    'STDOUT 2 Content-type: text/html\r\n\r\n<html>\n<head> ... ',
    'STDOUT 2 end',
    'END_REQUEST 2 0 0',
  ]);
  // The begin records of that example carry FCGI_KEEP_CONN.
  assert.equal(encodeBeginRequest(2, Role.Responder, FCGI_KEEP_CONN)[10], 1);
});

test('strict reading: version, types an application may not send, bodies of the wrong size, bytes after the end', () => {
  const bad = (bytes: Buffer): string => {
    const r = reading([bytes]).results.at(-1)!;
    return r.kind === 'error' ? r.error.code : r.kind;
  };
  assert.equal(bad(Buffer.from([2, 6, 0, 1, 0, 0, 0, 0])), 'BAD_VERSION');
  assert.equal(bad(encodeRecord(RecordType.Stdin, 1, Buffer.from('x'))), 'UNKNOWN_RECORD_TYPE');
  assert.equal(bad(encodeBeginRequest(1, Role.Responder, 0)), 'UNKNOWN_RECORD_TYPE');
  assert.equal(bad(Buffer.from([1, 42, 0, 1, 0, 0, 0, 0])), 'UNKNOWN_RECORD_TYPE');
  assert.equal(bad(encodeRecord(RecordType.EndRequest, 1, Buffer.alloc(4))), 'BAD_END_REQUEST');
  assert.equal(bad(encodeRecord(RecordType.UnknownType, 0, Buffer.alloc(3))), 'BAD_UNKNOWN_TYPE');
  assert.equal(bad(Buffer.concat([encodeEndRequest(1, 0, 0), Buffer.from([1])])), 'DATA_AFTER_END');
  // An error sticks: the connection is done for.
  const reader = new RecordReader({ onStream() {}, onStreamEnd() {}, onEndRequest() {}, onManagement() {} });
  assert.equal(reader.feed(Buffer.from([9, 6, 0, 1, 0, 0, 0, 0])).kind, 'error');
  assert.equal(reader.feed(encodeEndRequest(1, 0, 0)).kind, 'error');
  // Padding after FCGI_END_REQUEST is read before the request counts as ended.
  const padded = encodeRecord(RecordType.EndRequest, 1, Buffer.alloc(8), false);
  padded[6] = 8;
  const withPadding = Buffer.concat([padded, Buffer.alloc(8)]);
  const halves = reading([withPadding.subarray(0, 20), withPadding.subarray(20)]);
  assert.deepEqual(halves.results.map((r) => r.kind), ['more', 'ended']);
});
