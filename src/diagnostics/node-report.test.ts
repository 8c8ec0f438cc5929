import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNodeReport, takeNodeReport } from './node-report.ts';
import { nodeDiagnosticFlags, supportsReportExcludeEnv } from './node-flags.ts';
import { existsSync } from 'node:fs';

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

test('report flags are given only to a Node that keeps the environment out of its report', () => {
  assert.equal(supportsReportExcludeEnv(process.execPath), true);
  assert.equal(supportsReportExcludeEnv('/bin/true'), false, 'not a Node: no answer, no flags');
  assert.equal(supportsReportExcludeEnv(null), false);
  const system = '/usr/bin/node';
  if (existsSync(system)) {
    const major = Number(spawnSync(system, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout.trim());
    if (major > 0 && major < 22) assert.equal(supportsReportExcludeEnv(system), false, `Node ${major} refuses --report-exclude-env`);
  }
});
