/**
 * Beyond one machine (issue 14, DESIGN §8): two Paddock hosts on loopback behind a real HAProxy
 * configured by `paddock lb haproxy`, each serving pools `good` and `bad`, under continuous load
 * through HAProxy. A failing pool is routed around on its host alone with no failed request; a
 * drained host leaves with no failed request; and at layer 4 the failures are counted and said.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { farmUnavailable } from './balancers/farm.ts';
import { drainA, failuresAround, pidsAfter, rapidFailOnA, restoreOnA, startFarm, startLoads, type Farm, type FarmLoads } from './balancers/scenarios.ts';

const skip = farmUnavailable() ?? false;

function describeResult(name: string, r: { ok: number; failed: number; outcomes: Readonly<Record<string, number>> }): string {
  return `${name}: ${r.ok} ok, ${r.failed} failed ${JSON.stringify(r.outcomes)}`;
}

describe('two hosts behind HAProxy', { skip }, () => {
  let farm: Farm;
  // Every load started, so that none outlives a failed scenario.
  const started: FarmLoads[] = [];
  const load = (via: 'http' | 'tcp', failing: 'bad' | 'bad4'): FarmLoads => {
    const l = startLoads(farm, via, failing);
    started.push(l);
    return l;
  };
  before(async () => {
    farm = await startFarm();
  });
  after(async () => {
    await Promise.all(started.flatMap((l) => [l.good.stop(), l.bad.stop()]));
    await farm?.stop();
  });

  it('http mode: a pool crash-looping into rapid-fail on host A is routed to B alone, with no failed request', async (t: TestContext) => {
    const loads = load('http', 'bad');
    const f = await rapidFailOnA(farm, loads);
    t.diagnostic(`5002 at ${new Date(f.rapidFailAt).toISOString()}; HAProxy marked bad/a ${f.markedAs} ${f.markedAt === null ? 'never' : `${f.markedAt - f.rapidFailAt} ms after it`}; ` +
      `last request handed to A's bad ${f.lastToStoppedAt - f.rapidFailAt} ms after it (${f.handedAfter} after the 5002), then none for ${f.quietMs} ms`);
    t.diagnostic(describeResult('good', f.good));
    t.diagnostic(describeResult('bad', f.bad));
    assert.ok(f.lastToStoppedAt - f.rapidFailAt < 2_000, `HAProxy sent A's stopped pool a request ${f.lastToStoppedAt - f.rapidFailAt} ms after the 5002`);
    assert.ok(f.quietMs >= 700, 'and nothing since');
    assert.ok(f.markedAt !== null, "HAProxy's check took bad/a out");
    assert.equal(f.bad.failed, 0, `bad: ${failuresAround(f.bad, f.rapidFailAt).join(', ')}`);
    assert.equal(f.good.failed, 0, `good: ${failuresAround(f.good, f.rapidFailAt).join(', ')}`);
    // The healthy pool is not routed away from A: both hosts served it after the 5002.
    const goodAfter = pidsAfter(f.good.answers, f.rapidFailAt);
    assert.ok((goodAfter.get(f.pids.goodA) ?? 0) > 0, `A served good after the 5002: ${JSON.stringify([...goodAfter])}`);
    assert.ok((goodAfter.get(f.pids.goodB) ?? 0) > 0, 'B served good after the 5002');
    // Every bad answer after HAProxy's check took A out came from B.
    const badAfter = pidsAfter(f.bad.answers, f.lastToStoppedAt + 100);
    assert.deepEqual([...badAfter.keys()], [f.pids.badB], `bad after A was out: ${JSON.stringify([...badAfter])}`);
    const states = await farm.haproxy.http.states();
    assert.equal(states['pool_good/a'], 'UP', 'A stays UP for good');
    assert.notEqual(states['pool_bad/a'], 'UP');
  });

  it("tcp mode (layer 4), TcpLevel: the failed pool's connections are reset, its clients' new connections go to B; the failures are counted", async (t: TestContext) => {
    const loads = load('tcp', 'bad4');
    const f = await rapidFailOnA(farm, loads);
    const failures = failuresAround(f.bad, f.rapidFailAt);
    // A layer-4 balancer forwards bytes on a connection it has already given a host: a request that
    // met A's stopped pool (queued at the 5002, or sent before the check took A out) cannot be sent
    // again by HAProxy. The client sees its connection reset and must retry on a new connection,
    // which goes to B. These are the figure: requests that failed, each once.
    t.diagnostic(`layer 4: ${f.bad.failed} of ${f.bad.ok + f.bad.failed} requests to bad failed (${failures.join(', ') || 'none'}): ` +
      "requests A's stopped pool reset, which a layer-4 balancer cannot retry");
    t.diagnostic(`last request handed to A's bad ${f.lastToStoppedAt - f.rapidFailAt} ms after the 5002; HAProxy marked bad/a ${f.markedAs} ` +
      `${f.markedAt === null ? 'never' : `${f.markedAt - f.rapidFailAt} ms after it`}`);
    t.diagnostic(describeResult('good', f.good));
    assert.equal(f.good.failed, 0, `good: ${failuresAround(f.good, f.rapidFailAt).join(', ')}`);
    // Every failure is a reset or a cut connection — never a 503 (TcpLevel) — and none comes after
    // A was out: a reset by A's stopped pool, or HAProxy cutting A's sessions as it marked A DOWN.
    const out = Math.max(f.lastToStoppedAt, f.markedAt ?? 0);
    for (const x of f.bad.answers.filter((a) => a.outcome !== '200')) {
      assert.match(x.outcome, /^(ECONNRESET|EPIPE|socket hang up)$/, `a failure is a reset: ${x.outcome}`);
      assert.ok(x.at <= out + 500, `failure at +${x.at - f.rapidFailAt} ms, after A was out (+${out - f.rapidFailAt} ms)`);
    }
    assert.ok(f.lastToStoppedAt - f.rapidFailAt < 2_000, 'HAProxy stopped sending to A within 2 s');
    const badAfter = pidsAfter(f.bad.answers, f.lastToStoppedAt + 100);
    assert.deepEqual([...badAfter.keys()], [f.pids.badB], 'the retried connections went to B');
    const goodAfter = pidsAfter(f.good.answers, f.rapidFailAt);
    assert.ok((goodAfter.get(f.pids.goodA) ?? 0) > 0 && (goodAfter.get(f.pids.goodB) ?? 0) > 0, 'good stays on both hosts');
  });

  it('http mode: host A drained under load: no failed request, A exits on its own, B carries everything', async (t: TestContext) => {
    const loads = load('http', 'bad');
    const badA = await restoreOnA(farm, loads);
    assert.ok(badA > 0);
    const f = await drainA(farm, loads);
    t.diagnostic(`drain → exit in ${f.exitedAt - f.drainAt} ms (code ${f.exitCode}); HAProxy saw A as ${f.statesSeen.join(', ')}`);
    t.diagnostic(describeResult('good', f.good));
    t.diagnostic(describeResult('bad', f.bad));
    assert.equal(f.exitCode, 0, 'A exited by itself, cleanly');
    assert.equal(f.good.failed, 0, `good: ${failuresAround(f.good, f.drainAt).join(', ')}`);
    assert.equal(f.bad.failed, 0, `bad: ${failuresAround(f.bad, f.drainAt).join(', ')}`);
    assert.ok(f.statesSeen.some((s) => s.endsWith('NOLB')), `HAProxy took A out gently (NOLB): ${f.statesSeen.join(', ')}`);
    assert.deepEqual([...f.goodAfterExit.keys()], [f.pidsB.good], 'B carries good');
    assert.deepEqual([...f.badAfterExit.keys()], [f.pidsB.bad], 'B carries bad');
    assert.ok((f.goodAfterExit.get(f.pidsB.good) ?? 0) > 0 && (f.badAfterExit.get(f.pidsB.bad) ?? 0) > 0);
  });
});
