import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostList } from './host-list.ts';

test('hosts take optional names, ports and check ports; IPv6 in brackets', () => {
  assert.deepEqual(parseHostList('10.0.0.1, web2.example'), [
    { name: 'host1', address: '10.0.0.1', port: null, checkPort: null },
    { name: 'host2', address: 'web2.example', port: null, checkPort: null },
  ]);
  assert.deepEqual(parseHostList('a=127.0.0.1:8081@9181,b=[::1]:8082@9182,[fd00::2]'), [
    { name: 'a', address: '127.0.0.1', port: 8081, checkPort: 9181 },
    { name: 'b', address: '::1', port: 8082, checkPort: 9182 },
    { name: 'host3', address: 'fd00::2', port: null, checkPort: null },
  ]);
  assert.deepEqual(parseHostList('10.0.0.1@9181')[0], { name: 'host1', address: '10.0.0.1', port: null, checkPort: 9181 });
});

test('a bad entry is refused with what is wrong in it', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /name at least one Paddock host/],
    ['10.0.0.1:http', /port 'http' in '10.0.0.1:http' is not a port/],
    ['10.0.0.1:8080@0', /check port '0'/],
    ['::1', /in brackets: \[::1\]/],
    ['[::1', /never closes it/],
    ['bad name=10.0.0.1', /server name 'bad name'/],
    ['a=10.0.0.1,a=10.0.0.2', /'a' is given twice/],
    ['host_with_underscore!', /is not a host name or address/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseHostList(text), (err: Error & { code?: string }) => err.code === 'LB_BAD_HOSTS' && message.test(err.message), text);
  }
});
