import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead } from './http-parser.ts';
import { buildCgiParams, decodePath, normalisePath, splitScript, type CgiConnectionFacts, type CgiParamsResult } from './cgi-params.ts';

const conn: CgiConnectionFacts = { remoteAddress: '203.0.113.7', remotePort: 50123, serverAddress: '127.0.0.1', serverPort: 8080, https: false };

function cgi(head: string, facts: CgiConnectionFacts = conn, root = '/srv/www'): CgiParamsResult {
  const raw = Buffer.from(head.replaceAll('\n', '\r\n') + '\r\n', 'latin1');
  const r = parseRequestHead(raw);
  assert.equal(r.kind, 'ok', head);
  if (r.kind !== 'ok') throw new Error('unparsed');
  return buildCgiParams(r.head, raw, facts, root);
}

function vars(head: string, facts?: CgiConnectionFacts, root?: string): Record<string, string> {
  const r = cgi(head, facts, root);
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  return Object.fromEntries(r.kind === 'ok' ? r.params : []);
}

test('RFC 3875 §4.1 variables of a GET with a query string', () => {
  const v = vars('GET /shop/cart.php?item=3047936&qty=1 HTTP/1.1\nHost: Shop.Example:8080\nUser-Agent: curl/8\nAccept: */*\n');
  assert.equal(v.GATEWAY_INTERFACE, 'CGI/1.1');
  assert.equal(v.SERVER_PROTOCOL, 'HTTP/1.1');
  assert.equal(v.REQUEST_METHOD, 'GET');
  assert.equal(v.SCRIPT_NAME, '/shop/cart.php');
  assert.equal(v.SCRIPT_FILENAME, '/srv/www/shop/cart.php');
  assert.equal(v.DOCUMENT_ROOT, '/srv/www');
  assert.equal(v.QUERY_STRING, 'item=3047936&qty=1');
  assert.equal(v.REQUEST_URI, '/shop/cart.php?item=3047936&qty=1');
  assert.equal(v.REMOTE_ADDR, '203.0.113.7');
  assert.equal(v.REMOTE_PORT, '50123');
  assert.equal(v.SERVER_ADDR, '127.0.0.1');
  assert.equal(v.SERVER_PORT, '8080');
  assert.equal(v.SERVER_NAME, 'shop.example');
  assert.equal(v.REDIRECT_STATUS, '200');
  assert.equal(v.REQUEST_SCHEME, 'http');
  assert.equal(v.HTTP_HOST, 'Shop.Example:8080');
  assert.equal(v.HTTP_USER_AGENT, 'curl/8');
  assert.equal(v.HTTP_ACCEPT, '*/*');
  assert.equal(v.HTTP_X_FORWARDED_FOR, '203.0.113.7');
  assert.equal(v.HTTP_X_FORWARDED_PROTO, 'http');
  assert.equal(v.HTTP_X_FORWARDED_HOST, 'Shop.Example:8080');
  // No body: no CONTENT_LENGTH; no PATH_INFO; not TLS.
  for (const absent of ['CONTENT_LENGTH', 'CONTENT_TYPE', 'PATH_INFO', 'PATH_TRANSLATED', 'HTTPS']) assert.equal(v[absent], undefined, absent);
});

test('a form POST: CONTENT_TYPE and CONTENT_LENGTH, not HTTP_CONTENT_*', () => {
  const v = vars('POST /form.php HTTP/1.1\nHost: a\nContent-Type: application/x-www-form-urlencoded\nContent-Length: 25\n');
  assert.equal(v.CONTENT_TYPE, 'application/x-www-form-urlencoded');
  assert.equal(v.CONTENT_LENGTH, '25');
  assert.equal(v.HTTP_CONTENT_TYPE, undefined);
  assert.equal(v.HTTP_CONTENT_LENGTH, undefined);
  assert.equal(vars('POST /form.php HTTP/1.1\nHost: a\nContent-Length: 0\n').CONTENT_LENGTH, '0');
});

test('PATH_INFO after the script, decoded, with PATH_TRANSLATED under the document root', () => {
  const v = vars('GET /app/index.php/users/42%20x/?a=1 HTTP/1.1\nHost: a\n');
  assert.equal(v.SCRIPT_NAME, '/app/index.php');
  assert.equal(v.PATH_INFO, '/users/42 x/');
  assert.equal(v.PATH_TRANSLATED, '/srv/www/users/42 x/');
  assert.equal(v.DOCUMENT_URI, '/app/index.php/users/42 x/');
  assert.equal(v.REQUEST_URI, '/app/index.php/users/42%20x/?a=1');
});

test('a folder runs its index.php; a path that names no script is a 404 from the host', () => {
  assert.equal(vars('GET / HTTP/1.1\nHost: a\n').SCRIPT_FILENAME, '/srv/www/index.php');
  assert.equal(vars('GET /blog/ HTTP/1.1\nHost: a\n').SCRIPT_NAME, '/blog/index.php');
  for (const path of ['/uploads/photo.jpg', '/blog', '/.php', '/a.phps', '/x.PHP']) {
    const r = cgi(`GET ${path} HTTP/1.1\nHost: a\n`);
    assert.equal(r.kind === 'refused' ? r.status : 200, 404, path);
  }
  // The first .php segment is the script, wherever later ones are.
  assert.deepEqual(splitScript('/a.php/b.php'), { scriptName: '/a.php', pathInfo: '/b.php' });
  assert.deepEqual(splitScript('/uploads/photo.jpg/x.php'), { scriptName: '/uploads/photo.jpg/x.php', pathInfo: '' });
});

test('path traversal: encoded or not, a path never leaves the document root', () => {
  for (const path of ['/../etc/passwd.php', '/a/../../x.php', '/%2e%2e/x.php', '/%2E%2E%2Fsecret.php', '/a/%2e%2e/%2e%2e/b.php', '/..']) {
    const r = cgi(`GET ${path} HTTP/1.1\nHost: a\n`);
    assert.equal(r.kind === 'refused' ? `${r.status} ${r.reason}` : 'ok', '400 URL', path);
  }
  // Dot segments inside the root are resolved, and the result stays under it.
  assert.equal(vars('GET /a/b/../../c/./d.php HTTP/1.1\nHost: a\n').SCRIPT_FILENAME, '/srv/www/c/d.php');
  assert.equal(vars('GET //a//b.php HTTP/1.1\nHost: a\n').SCRIPT_FILENAME, '/srv/www/a/b.php');
  // A NUL or a bad escape is refused before any file name is made.
  for (const path of ['/a%00.php', '/a%zz.php', '/a%4.php']) {
    const r = cgi(`GET ${path} HTTP/1.1\nHost: a\n`);
    assert.equal(r.kind === 'refused' ? r.status : 200, 400, path);
  }
  assert.equal(normalisePath('/a/b/..'), '/a/');
  assert.equal(normalisePath('/a/./'), '/a/');
  assert.equal(normalisePath('/'), '/');
  assert.equal(decodePath('/caf%C3%A9.php'), '/caf\xc3\xa9.php');
  // Raw UTF-8 bytes in a file name reach the application as the same bytes.
  assert.equal(vars('GET /caf%C3%A9.php HTTP/1.1\nHost: a\n').SCRIPT_FILENAME, '/srv/www/caf\xc3\xa9.php');
});

test('HTTP_* fields: repeats joined, cookies with "; ", Proxy and underscored names dropped, forwarding set by the host', () => {
  const v = vars([
    'GET /i.php HTTP/1.1', 'Host: a', 'Accept: text/html', 'Accept: */*', 'Cookie: a=1', 'Cookie: b=2',
    'Proxy: http://evil.example', 'X-Foo_Bar: forged', 'X-Forwarded-For: 10.0.0.1', 'X-Forwarded-Proto: https',
    'X-Forwarded-Host: evil.example', 'X-Custom-Thing: yes',
  ].join('\n') + '\n');
  assert.equal(v.HTTP_ACCEPT, 'text/html, */*');
  assert.equal(v.HTTP_COOKIE, 'a=1; b=2');
  assert.equal(v.HTTP_PROXY, undefined);
  assert.equal(v.HTTP_X_FOO_BAR, undefined);
  assert.equal(v.HTTP_X_CUSTOM_THING, 'yes');
  assert.equal(v.HTTP_X_FORWARDED_FOR, '10.0.0.1, 203.0.113.7');
  assert.equal(v.HTTP_X_FORWARDED_PROTO, 'http');
  assert.equal(v.HTTP_X_FORWARDED_HOST, 'a');
});

test('HTTPS on a TLS binding; absolute-form targets; HTTP/1.0 without Host', () => {
  const v = vars('GET /i.php HTTP/1.1\nHost: a\n', { ...conn, https: true, serverPort: 8443 });
  assert.equal(v.HTTPS, 'on');
  assert.equal(v.REQUEST_SCHEME, 'https');
  assert.equal(v.HTTP_X_FORWARDED_PROTO, 'https');
  const abs = vars('GET http://shop.example/x.php?q=1 HTTP/1.1\nHost: shop.example\n');
  assert.equal(abs.REQUEST_URI, '/x.php?q=1');
  assert.equal(abs.QUERY_STRING, 'q=1');
  assert.equal(abs.SCRIPT_NAME, '/x.php');
  const old = vars('GET /x.php HTTP/1.0\n');
  assert.equal(old.SERVER_PROTOCOL, 'HTTP/1.0');
  assert.equal(old.SERVER_NAME, '127.0.0.1');
  assert.equal(old.HTTP_HOST, undefined);
});

test('a chunked request body is refused with 411: CGI needs CONTENT_LENGTH', () => {
  const r = cgi('POST /upload.php HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n');
  assert.equal(r.kind === 'refused' ? `${r.status} ${r.reason}` : 'ok', '411 LengthRequired');
});

test('a document root given with a trailing slash makes the same names', () => {
  assert.equal(vars('GET /i.php HTTP/1.1\nHost: a\n', conn, '/srv/www/').SCRIPT_FILENAME, '/srv/www/i.php');
});

test('an app mounted with stripPrefix: the script is found under the document root without the mount, SCRIPT_NAME keeps it', () => {
  const parse = (line: string, mount: string): CgiParamsResult => {
    const raw = Buffer.from(`${line}\r\nHost: a\r\n\r\n`, 'latin1');
    const r = parseRequestHead(raw);
    if (r.kind !== 'ok') throw new Error('unparsed');
    return buildCgiParams(r.head, raw, conn, '/srv/blog', mount);
  };
  const ok = (line: string, mount: string): Record<string, string> => {
    const r = parse(line, mount);
    assert.equal(r.kind, 'ok', JSON.stringify(r));
    return Object.fromEntries(r.kind === 'ok' ? r.params : []);
  };
  const v = ok('GET /blog/post.php/2024/hello?x=1 HTTP/1.1', '/blog');
  assert.equal(v.SCRIPT_FILENAME, '/srv/blog/post.php');
  assert.equal(v.SCRIPT_NAME, '/blog/post.php');
  assert.equal(v.PATH_INFO, '/2024/hello');
  assert.equal(v.DOCUMENT_URI, '/blog/post.php/2024/hello');
  assert.equal(ok('GET /blog HTTP/1.1', '/blog').SCRIPT_FILENAME, '/srv/blog/index.php');
  assert.equal(ok('GET /blog/ HTTP/1.1', '/blog/').SCRIPT_NAME, '/blog/index.php');
  // A dot segment that leaves the mount is refused, not run from another app's folder.
  const out = parse('GET /blog/../shop/cart.php HTTP/1.1', '/blog');
  assert.equal(out.kind, 'refused');
  assert.equal(out.kind === 'refused' ? out.status : 0, 400);
});
