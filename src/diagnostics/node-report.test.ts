import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNodeReport, takeNodeReport } from './node-report.ts';
import { nodeDiagnosticFlags } from './node-flags.ts';

test('a real uncaught exception: Node writes the report, found by pid, parsed and deleted; no environment in it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdk report '));
  const reports = join(dir, 'reports dir');
  mkdirSync(reports);
  const child = spawnSync(process.execPath, ['-e', 'function failHere() { throw new RangeError("out of range") } setImmediate(failHere)'], {
    env: { ...process.env, NODE_OPTIONS: nodeDiagnosticFlags(reports, { reports: true, inspector: true }).join(' '), SECRET_TOKEN: 'hunter2-xyz' },
    encoding: 'utf8',
  });
  assert.equal(child.status, 1, child.stderr);
  const [name] = readdirSync(reports);
  assert.ok(!readFileSync(join(reports, name), 'utf8').includes('hunter2-xyz'), '--report-exclude-env keeps the environment out');
  const pid = Number(name.split('.')[3]);
  const facts = await takeNodeReport(reports, pid, 500);
  assert.equal(facts?.trigger, 'Exception');
  assert.deepEqual(facts?.error, { type: 'RangeError', message: 'out of range' });
  assert.equal(facts?.jsFrames[0].function, 'Immediate.failHere');
  assert.deepEqual(readdirSync(reports), [], 'the raw report is deleted once read');
  assert.equal(await takeNodeReport(reports, pid, 50), null);
  rmSync(dir, { recursive: true, force: true });
});

test('an out-of-memory report has no JS stack: the native frames and a note stand in', () => {
  const facts = parseNodeReport('r.json', {
    header: { trigger: 'OOMError', event: 'Allocation failed - JavaScript heap out of memory' },
    javascriptStack: { message: 'No stack.', stack: ['Unavailable.'] },
    nativeStack: [
      { pc: '0x1', symbol: 'node::TriggerNodeReport(v8::Isolate*, char const*) [node]' },
      { pc: '0x2', symbol: 'node::OOMErrorHandler(char const*, v8::OOMDetails const&) [node]' },
      { pc: '0x3', symbol: ' [node]' },
    ],
  });
  assert.deepEqual(facts.error, { type: 'OOMError', message: 'Allocation failed - JavaScript heap out of memory' });
  assert.deepEqual(facts.jsFrames, []);
  assert.deepEqual(facts.nativeFrames.map((f) => f.function), ['node::OOMErrorHandler', '??']);
  assert.match(facts.notes[0], /Out of memory: Node reports no JavaScript stack/);
});
