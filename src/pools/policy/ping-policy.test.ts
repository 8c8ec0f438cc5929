import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planMissedPing } from './ping-policy.ts';
import type { DiagnosticsConfig, FailureConfig } from '../../config/types.ts';

const failure = (over: Partial<FailureConfig> = {}): FailureConfig => ({
  rapidFailProtection: true, rapidFailProtectionInterval: 300_000, rapidFailProtectionMaxCrashes: 5,
  loadBalancerCapabilities: 'HttpLevel', orphanWorkerProcess: false, orphanAction: null, maxOrphanedProcesses: 2,
  autoShutdownAction: null, blockedRequestLimit: 0, blockedRequestTime: 90_000, ...over,
});
const diagnostics = (hangReports: boolean): DiagnosticsConfig => ({ crashReports: true, hangReports, coreDumps: false, keepCores: false, includeQueryStrings: false });

test('by default a hung worker is captured, killed and replaced', () => {
  assert.deepEqual(planMissedPing(failure(), diagnostics(true), false, 0), { capture: true, dispose: 'kill', replace: true, orphansToKill: 0 });
});

test('a miss that trips rapid-fail starts no replacement', () => {
  assert.equal(planMissedPing(failure(), diagnostics(true), true, 0).replace, false);
});

test('orphaning keeps the worker and kills the oldest orphans beyond the limit', () => {
  assert.deepEqual(planMissedPing(failure({ orphanWorkerProcess: true }), diagnostics(false), false, 2), { capture: false, dispose: 'orphan', replace: true, orphansToKill: 1 });
  assert.equal(planMissedPing(failure({ orphanWorkerProcess: true }), diagnostics(true), false, 1).orphansToKill, 0);
});
