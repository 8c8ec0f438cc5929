/**
 * Workers that send more than the host could ever hold: hundreds of MB of stdout, and a response of
 * gigabytes. The host relays and records both with bounded memory — it pauses a flooding pipe
 * rather than buffer it, and moves a response only as fast as the client takes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { get, helloPool } from '../helpers/test-host.ts';
import { EventIds } from '../../src/events/event-ids.ts';
import { faultScenario } from './harness.ts';
import { MB, mb, watchRss } from './footprint.ts';
import { describeLoad } from './steady-load.ts';

const run = promisify(execFile);

/** How much the host's RSS may rise while it relays many times that much. */
const rssBound = 128 * MB;
/**
 * After moving hundreds of MB, the allocator and V8 keep some of the pages they used (30–50 MB
 * here, a plateau: repeating the flood or the download does not raise it), so the settle bound is
 * wider — still a small fraction of what went through.
 */
const bulkSlack = { heldBytes: 16 * MB, rssBytes: 96 * MB, fds: 2 };
/** Paced loads: continuous, and leaving the shared event loop to the bulk transfer. */
const bulk = { paceMs: 5 };

test('floods stdout with 300 MB: the host pauses the pipe instead of buffering, keeps only the rotated log files, and serves on', async (t) => {
  const logMax = 8 * MB;
  const faulty = await faultScenario(t, { faulty: helloPool(), config: { logs: { maxBytes: logMax, maxFiles: 2 } }, ...bulk }, async (s) => {
    const rss = watchRss();
    const started = process.memoryUsage.rss();
    const r = await get(s.faulty('/flood?mb=300'), { timeoutMs: 90_000 });
    const peak = rss.stop();
    t.diagnostic(`host RSS while flooding: ${mb(started)} → peak ${mb(peak)}`);
    assert.equal(r.status, 200, r.body);
    assert.match(r.body, /flooded 314572800 bytes/);
    assert.ok(peak - started < rssBound, `host RSS rose ${mb(peak - started)} while relaying 300 MB of output (bound ${mb(rssBound)})`);

    const file = s.h.host.supervisor.logFile('faulty');
    // Rotation kept maxFiles rotated files beside the current one, each at most maxBytes and a line.
    assert.ok(existsSync(`${file}.2`), 'the log was rotated');
    assert.ok(!existsSync(`${file}.3`), 'no more than maxFiles rotated files');
    for (const f of [file, `${file}.1`, `${file}.2`]) assert.ok(statSync(f).size <= logMax + 2048, `${f}: ${statSync(f).size} bytes`);
    const lastLine = readFileSync(`${file}.1`, 'latin1').trimEnd().split('\n').at(-1)!;
    assert.match(lastLine, /^\S+ faulty-\d+ stdout f{1023}$/, 'whole lines, tagged with time, worker and stream');
    assert.equal(s.h.events(EventIds.OutputLogFailed).length, 0);
  }, bulkSlack);
  assert.equal(faulty.failed, 0, `the flooding worker still serves: ${describeLoad(faulty)}`);
});

/** A client that reads a response and throws it away; prints the status and the body's size. */
const discardingClient = `
  const url = process.argv[1];
  require('node:http').get(url, (res) => {
    let n = 0;
    res.on('data', (c) => { n += c.length; });
    res.on('end', () => process.stdout.write(res.statusCode + ' ' + n));
  }).on('error', (err) => { console.error(err.message); process.exit(1); });
`;

test('a 2 GB response: streamed to a client that reads it all, with the host\'s memory bounded', async (t) => {
  const size = 2 * 1024 * MB;
  const faulty = await faultScenario(t, { faulty: helloPool(), ...bulk }, async (s) => {
    const rss = watchRss();
    const started = process.memoryUsage.rss();
    // The client is another process, so this one holds the host alone, as in production.
    // (Never a sync spawn here: this process's event loop is the host's.)
    const client = await run(process.execPath, ['-e', discardingClient, s.faulty(`/download?bytes=${size}`)], { encoding: 'utf8', timeout: 60_000 });
    const peak = rss.stop();
    t.diagnostic(`host RSS while relaying: ${mb(started)} → peak ${mb(peak)}`);
    assert.equal(client.stdout, `200 ${size}`, 'every byte arrived');
    assert.ok(peak - started < rssBound, `host RSS rose ${mb(peak - started)} while relaying ${mb(size)} (bound ${mb(rssBound)})`);
  }, bulkSlack);
  assert.equal(faulty.failed, 0, `the pool served its load beside the download: ${describeLoad(faulty)}`);
});
