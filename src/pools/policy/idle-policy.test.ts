import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idleVerdict } from './idle-policy.ts';
import { POOL_DEFAULTS } from '../../config/defaults.ts';
import type { ProcessModelConfig } from '../../config/types.ts';

const pm = (over: Partial<ProcessModelConfig> = {}): ProcessModelConfig => ({ ...POOL_DEFAULTS.processModel, idleTimeout: 1_000, ...over });
const idle = { inFlight: 0, lastActivityAt: 0 };

const cases: Array<{ name: string; args: Parameters<typeof idleVerdict>; expect: ReturnType<typeof idleVerdict> }> = [
  { name: 'not yet idle long enough', args: [pm(), 'OnDemand', idle, false, 999], expect: null },
  { name: 'idle exactly idleTimeout: Terminate', args: [pm(), 'OnDemand', idle, false, 1_000], expect: 'terminate' },
  { name: 'Suspend', args: [pm({ idleTimeoutAction: 'Suspend' }), 'OnDemand', idle, false, 5_000], expect: 'suspend' },
  { name: 'Suspend applies to AlwaysRunning too', args: [pm({ idleTimeoutAction: 'Suspend' }), 'AlwaysRunning', idle, false, 5_000], expect: 'suspend' },
  { name: 'AlwaysRunning is kept', args: [pm(), 'AlwaysRunning', idle, false, 5_000], expect: 'keep' },
  { name: 'a request in flight', args: [pm(), 'OnDemand', { inFlight: 1, lastActivityAt: 0 }, false, 5_000], expect: null },
  { name: 'being recycled already', args: [pm(), 'OnDemand', idle, true, 5_000], expect: null },
  { name: 'idleTimeout 0 is never', args: [pm({ idleTimeout: 0 }), 'OnDemand', idle, false, 1e12], expect: null },
];

for (const c of cases) {
  test(`idle: ${c.name}`, () => assert.equal(idleVerdict(...c.args), c.expect));
}
