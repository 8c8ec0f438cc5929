import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBinding, parseBinding } from './binding.ts';

describe('parseBinding', () => {
  it('reads host:port, bracketed IPv6, all-address and bare-port forms', () => {
    assert.deepEqual(parseBinding('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080, tls: false });
    assert.deepEqual(parseBinding('LocalHost:80'), { host: 'localhost', port: 80, tls: false });
    assert.deepEqual(parseBinding('[::1]:8443'), { host: '::1', port: 8443, tls: false });
    assert.deepEqual(parseBinding(':8080'), { host: '', port: 8080, tls: false });
    assert.deepEqual(parseBinding(8080), { host: '', port: 8080, tls: false });
    assert.deepEqual(parseBinding('127.0.0.1:0'), { host: '127.0.0.1', port: 0, tls: false });
    assert.deepEqual(parseBinding('https://127.0.0.1:8443'), { host: '127.0.0.1', port: 8443, tls: true });
    assert.deepEqual(parseBinding('http://[::1]:80'), { host: '::1', port: 80, tls: false });
  });

  it('rejects malformed bindings, naming them', () => {
    for (const bad of ['127.0.0.1', '::1:80', 'host:99999', 'host:http', 'bad host:80', '[::1]8080', null]) {
      assert.throws(() => parseBinding(bad), /invalid binding/, String(bad));
    }
  });

  it('formats back to the file form', () => {
    assert.equal(formatBinding({ host: '::1', port: 80 }), '[::1]:80');
    assert.equal(formatBinding({ host: '', port: 80 }), ':80');
    assert.equal(formatBinding({ host: '127.0.0.1', port: 80 }), '127.0.0.1:80');
  });
});
