import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkedScanner, type ChunkedLimits } from './chunked.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Feeds `body` whole; returns what the scanner said. */
function scan(body: string, limits?: ChunkedLimits): number | { error: string } {
  return new ChunkedScanner(limits).feed(b(body));
}

function assertEnds(body: string, end = body.length, limits?: ChunkedLimits): void {
  assert.equal(scan(body, limits), end, JSON.stringify(body));
}

function assertError(body: string, code: string, limits?: ChunkedLimits): void {
  const r = scan(body, limits);
  assert.deepEqual(r, { error: code }, JSON.stringify(body));
}

const BODY = '5\r\nhello\r\n1a;name=value\r\n' + 'x'.repeat(26) + '\r\n0\r\n\r\n';

describe('ChunkedScanner: well-formed bodies', () => {
  it('finds the end of a simple body', () => {
    assertEnds('5\r\nhello\r\n0\r\n\r\n');
    assertEnds('0\r\n\r\n');
    assertEnds(BODY);
  });

  it('accepts upper- and lower-case hex and leading zeros up to 16 digits', () => {
    assertEnds('A\r\n0123456789\r\nb\r\n0123456789a\r\n0\r\n\r\n');
    assertEnds('0000000000000005\r\nhello\r\n0000\r\n\r\n');
  });

  it('stops at the end and leaves what follows (a pipelined request) to the caller', () => {
    const body = '3\r\nabc\r\n0\r\n\r\n';
    assertEnds(body + 'GET / HTTP/1.1\r\n', body.length);
  });

  it('starts at the given offset, e.g. just past the head', () => {
    const head = 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n';
    const buf = b(head + BODY + 'NEXT');
    assert.equal(new ChunkedScanner().feed(buf, head.length), head.length + BODY.length);
  });

  it('accepts chunk extensions in their RFC 9112 §7.1.1 grammar', () => {
    for (const ext of [';a', ';a=b', ';a=b;c=d', ';a="q"', ';a="sp ace \\" \\\\ esc"', ' ;a', '\t; a = b ', ';a ;b', ';a= "x" ;b', ';a=b ;c', ";!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~"]) {
      const ok = ext.endsWith(' ') ? ext.trimEnd() : ext;
      assertEnds(`3${ok}\r\nabc\r\n0${ok}\r\n\r\n`);
    }
  });

  it('accepts trailer fields', () => {
    assertEnds('3\r\nabc\r\n0\r\nX-Checksum: abc\r\nX-Empty:\r\nX-Obs: caf\xe9\t1\r\n\r\n');
  });

  it('skips large chunk data in one step', () => {
    const data = 'z'.repeat(70000);
    assertEnds(`${(70000).toString(16)}\r\n${data}\r\n0\r\n\r\n`);
  });

  it('is ready for the next body after one ends', () => {
    const s = new ChunkedScanner();
    assert.equal(s.feed(b('1\r\na\r\n0\r\n\r\n')), 11);
    assert.equal(s.feed(b('2\r\nab\r\n0\r\n\r\n')), 12);
  });
});

describe('ChunkedScanner: split input', () => {
  const bodies = [BODY, '3;a="x;y"\r\nabc\r\n0\r\nT: v\r\n\r\n', '0\r\n\r\n'];
  for (const body of bodies) {
    it(`finds the same end wherever ${JSON.stringify(body.slice(0, 16))} is split`, () => {
      const buf = b(body + 'TAIL');
      for (let k = 0; k <= body.length; k++) {
        const s = new ChunkedScanner();
        const first = s.feed(buf.subarray(0, k));
        if (k < body.length) {
          assert.equal(first, -1, `first part of ${k} bytes`);
          assert.equal(s.feed(buf.subarray(k)), body.length - k, `rest after ${k} bytes`);
        } else {
          assert.equal(first, body.length);
        }
      }
    });

    it(`finds the end of ${JSON.stringify(body.slice(0, 16))} fed one byte at a time`, () => {
      const s = new ChunkedScanner();
      const buf = b(body);
      for (let k = 0; k < body.length - 1; k++) assert.equal(s.feed(buf.subarray(k, k + 1)), -1, `byte ${k}`);
      assert.equal(s.feed(buf.subarray(body.length - 1)), 1);
    });
  }

  it('keeps reading a chunk whose data spans several feeds', () => {
    const s = new ChunkedScanner();
    assert.equal(s.feed(b('a\r\n01234')), -1);
    assert.equal(s.feed(b('56')), -1);
    assert.equal(s.feed(b('789\r')), -1);
    assert.equal(s.feed(b('\n0\r\n\r\nNEXT')), 6);
  });
});

describe('ChunkedScanner: malformed bodies', () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ['empty size', '\r\nabc\r\n0\r\n\r\n', 'INVALID_CHUNK_SIZE'],
    ['non-hex size', 'g\r\n', 'INVALID_CHUNK_SIZE'],
    ['0x prefix', '0x5\r\nhello\r\n0\r\n\r\n', 'INVALID_CHUNK_SIZE'],
    ['negative size', '-1\r\n', 'INVALID_CHUNK_SIZE'],
    ['plus sign', '+5\r\n', 'INVALID_CHUNK_SIZE'],
    ['leading space', ' 5\r\nhello\r\n0\r\n\r\n', 'INVALID_CHUNK_SIZE'],
    ['trailing space', '5 \r\nhello\r\n0\r\n\r\n', 'INVALID_CHUNK_EXTENSION'],
    ['17 digits', '10000000000000000\r\n', 'CHUNK_SIZE_OVERFLOW'],
    ['17 digits of leading zeros', '00000000000000005\r\nhello\r\n0\r\n\r\n', 'CHUNK_SIZE_OVERFLOW'],
    ['16 digits past 2^64/2^53', 'ffffffffffffffff\r\n', 'CHUNK_SIZE_OVERFLOW'],
    ['2^53', '20000000000000\r\n', 'CHUNK_SIZE_OVERFLOW'],
    ['bare LF after the size', '5\nhello\r\n0\r\n\r\n', 'BARE_LF'],
    ['bare LF as a line', '\n', 'BARE_LF'],
    ['CR without LF after the size', '5\rhello', 'BARE_CR'],
    ['data longer than its size', '5\r\nhelloX\r\n0\r\n\r\n', 'CHUNK_DATA_NOT_TERMINATED'],
    ['data shorter than its size', '5\r\nhell\r\n0\r\n\r\n', 'CHUNK_DATA_NOT_TERMINATED'],
    ['data ended by a bare LF', '5\r\nhello\n0\r\n\r\n', 'CHUNK_DATA_NOT_TERMINATED'],
    ['data ended by a bare CR', '5\r\nhello\r0\r\n\r\n', 'BARE_CR'],
    ['empty extension', '5;\r\nhello\r\n0\r\n\r\n', 'INVALID_CHUNK_EXTENSION'],
    ['extension without a name', '5;=a\r\n', 'INVALID_CHUNK_EXTENSION'],
    ['extension without a value', '5;a=\r\n', 'INVALID_CHUNK_EXTENSION'],
    ['whitespace ending an extension', '5;a \r\n', 'INVALID_CHUNK_EXTENSION'],
    ['non-token extension name', '5;a(b)\r\n', 'INVALID_CHUNK_EXTENSION'],
    ['non-token extension value', '5;a=b@c\r\n', 'INVALID_CHUNK_EXTENSION'],
    ['unterminated quoted value', '5;a="abc\r\nhello\r\n0\r\n\r\n', 'INVALID_CHUNK_EXTENSION'],
    ['LF inside a quoted value', '5;a="a\nb"\r\n', 'BARE_LF'],
    ['NUL in an extension', '5;a=\x00\r\n', 'INVALID_CHUNK_EXTENSION'],
    ['text after a quoted value', '5;a="x"y\r\n', 'INVALID_CHUNK_EXTENSION'],
    ['bare LF ending an extension', '5;a=b\nhello', 'BARE_LF'],
    ['obs-fold in the trailers', '0\r\nX: a\r\n b\r\n\r\n', 'INVALID_TRAILER'],
    ['space before colon in a trailer', '0\r\nX : a\r\n\r\n', 'INVALID_TRAILER'],
    ['trailer without colon', '0\r\nX\r\n\r\n', 'INVALID_TRAILER'],
    ['empty trailer name', '0\r\n: a\r\n\r\n', 'INVALID_TRAILER'],
    ['NUL in a trailer', '0\r\nX: a\x00\r\n\r\n', 'INVALID_TRAILER'],
    ['bare LF ending a trailer', '0\r\nX: a\n\r\n', 'BARE_LF'],
    ['bare LF as the final line', '0\r\n\n', 'BARE_LF'],
    ['CR without LF at the end', '0\r\n\rX', 'BARE_CR'],
    ['CR without LF after a trailer', '0\r\nX: a\rb\r\n\r\n', 'BARE_CR'],
  ];
  for (const [name, body, code] of cases) {
    it(`refuses ${name} (${code})`, () => {
      assertError(body, code);
      // Split anywhere, the verdict is the same.
      for (let k = 1; k < body.length; k++) {
        const s = new ChunkedScanner();
        const first = s.feed(b(body.slice(0, k)));
        const r = first === -1 ? s.feed(b(body.slice(k))) : first;
        assert.deepEqual(r, { error: code }, `split at ${k}`);
      }
    });
  }

  it('bounds chunk extensions over the whole body', () => {
    const ext = ';n=' + 'v'.repeat(60);
    const body = `1${ext}\r\na\r\n`.repeat(4) + '0\r\n\r\n';
    assertEnds(body, body.length, { maxExtensionBytes: 4 * ext.length });
    assertError(body, 'CHUNK_EXTENSIONS_TOO_LARGE', { maxExtensionBytes: 4 * ext.length - 1 });
    assertError(`1;${'a'.repeat(20000)}\r\n`, 'CHUNK_EXTENSIONS_TOO_LARGE');
  });

  it('bounds the trailer section', () => {
    const trailers = 'X-A: 1234567890\r\n\r\n';
    assertEnds(`0\r\n${trailers}`, 3 + trailers.length, { maxTrailerBytes: trailers.length });
    assertError(`0\r\n${trailers}`, 'TRAILERS_TOO_LARGE', { maxTrailerBytes: trailers.length - 1 });
    assertError(`0\r\nX: ${'a'.repeat(20000)}`, 'TRAILERS_TOO_LARGE');
  });

  it('keeps failing after an error until reset', () => {
    const s = new ChunkedScanner();
    const err = s.feed(b('z\r\n'));
    assert.deepEqual(err, { error: 'INVALID_CHUNK_SIZE' });
    assert.equal(s.feed(b('0\r\n\r\n')), err);
    s.reset();
    assert.equal(s.feed(b('0\r\n\r\n')), 5);
  });

  it('forgets a body in progress on reset', () => {
    const s = new ChunkedScanner();
    assert.equal(s.feed(b('ff\r\nabc')), -1);
    s.reset();
    assert.equal(s.feed(b('0\r\n\r\n')), 5);
  });
});
