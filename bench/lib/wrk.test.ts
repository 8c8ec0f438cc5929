import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWrk } from './wrk.ts';

const CLEAN = `Running 10s test @ http://127.0.0.1:9200/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.31ms  250.00us   9.87ms   90.00%
    Req/Sec    47.10k     1.20k   49.00k    70.00%
  Latency Distribution
     50%    1.28ms
     75%    1.40ms
     90%    1.60ms
     99%    2.50ms
  471234 requests in 10.00s, 60.00MB read
Requests/sec:  47123.40
Transfer/sec:      6.00MB
`;

const FAULTY = `Running 12s test @ http://127.0.0.1:9300/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.00us    1.10ms    1.37s    99.00%
    Req/Sec    60.00k     5.00k   70.00k    80.00%
  Latency Distribution
     50%  700.00us
     75%  800.00us
     90%    1.00ms
     99%    3.10ms
  654768 requests in 12.00s, 80.00MB read
  Socket errors: connect 2, read 133, write 1, timeout 4
  Non-2xx or 3xx responses: 7
Requests/sec:  54564.00
Transfer/sec:      6.70MB
`;

test('a clean wrk report gives rate, percentiles and no failures', () => {
  const r = parseWrk(CLEAN);
  assert.equal(r.requests, 471234);
  assert.equal(r.seconds, 10);
  assert.equal(r.rps, 47123.4);
  assert.equal(r.p50Ms, 1.28);
  assert.equal(r.p99Ms, 2.5);
  assert.equal(r.maxMs, 9.87);
  assert.equal(r.failed, 0);
  assert.deepEqual(r.errors, { connect: 0, read: 0, write: 0, timeout: 0 });
});

test('socket errors and non-2xx answers add up to the failed count; units convert to ms', () => {
  const r = parseWrk(FAULTY);
  assert.deepEqual(r.errors, { connect: 2, read: 133, write: 1, timeout: 4 });
  assert.equal(r.non2xx, 7);
  assert.equal(r.failed, 147);
  assert.equal(r.p50Ms, 0.7);
  assert.equal(r.maxMs, 1370);
});

test('a report without a request count is an error with a stable code', () => {
  assert.throws(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused\n'), { code: 'BENCH_WRK_OUTPUT' });
});
