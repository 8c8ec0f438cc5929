import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigValueError, parseCpuLimit, parseDuration, parseMemory } from './units.ts';

describe('parseDuration', () => {
  it('reads units, combinations and bare milliseconds', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('20m'), 1_200_000);
    assert.equal(parseDuration('29h'), 104_400_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1m 30s'), 90_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('90S'), 90_000);
    assert.equal(parseDuration(250), 250);
    assert.equal(parseDuration('250'), 250);
    assert.equal(parseDuration(0), 0);
  });

  it("reads IIS's TimeSpan form", () => {
    assert.equal(parseDuration('00:01:30'), 90_000);
    assert.equal(parseDuration('1.05:00:00'), 104_400_000); // IIS periodicRestart.time default
    assert.equal(parseDuration('00:20:00'), 1_200_000);
    assert.equal(parseDuration('00:00:01.5'), 1500);
    assert.equal(parseDuration('01:30'), 5_400_000); // .NET reads hh:mm
  });

  it('rejects bad values with a message that names them', () => {
    for (const bad of ['', 'soon', '10x', '1h30', '-5s', '00:61:00', -1, Number.NaN, true, null, [1], {}]) {
      assert.throws(() => parseDuration(bad), (err: unknown) => {
        assert.ok(err instanceof ConfigValueError);
        assert.equal(err.code, 'CONFIG_BAD_DURATION');
        assert.match(err.message, /invalid duration/);
        return true;
      }, `expected ${JSON.stringify(bad)} to be rejected`);
    }
    assert.throws(() => parseDuration('10x'), /invalid duration "10x"/);
  });
});

describe('parseMemory', () => {
  it('reads a bare number as kilobytes, as IIS does', () => {
    assert.equal(parseMemory(2048), 2048 * 1024);
    assert.equal(parseMemory('2048'), 2048 * 1024);
    assert.equal(parseMemory(0), 0);
  });

  it('reads units, all 1024-based', () => {
    assert.equal(parseMemory('512MB'), 512 * 1024 * 1024);
    assert.equal(parseMemory('512MiB'), 512 * 1024 * 1024);
    assert.equal(parseMemory('1GB'), 1024 ** 3);
    assert.equal(parseMemory('1GiB'), 1024 ** 3);
    assert.equal(parseMemory('100KB'), 100 * 1024);
    assert.equal(parseMemory('1.5 G'), 1.5 * 1024 ** 3);
    assert.equal(parseMemory('512mb'), 512 * 1024 * 1024);
    assert.equal(parseMemory('10B'), 10);
  });

  it('reads a bare number as bytes when asked', () => {
    assert.equal(parseMemory(4096, 'B'), 4096);
    assert.equal(parseMemory('10MB', 'B'), 10 * 1024 * 1024);
  });

  it('rejects bad values with a message that names them', () => {
    for (const bad of ['lots', '512XB', '-1MB', -1, '', null, true]) {
      assert.throws(() => parseMemory(bad), (err: unknown) => err instanceof ConfigValueError && err.code === 'CONFIG_BAD_MEMORY');
    }
    assert.throws(() => parseMemory('512XB'), /invalid memory size "512XB"/);
  });
});

describe('parseCpuLimit', () => {
  it("reads IIS's 1/1000-percent integer and percentages", () => {
    assert.equal(parseCpuLimit(25000), 25000);
    assert.equal(parseCpuLimit('25%'), 25000);
    assert.equal(parseCpuLimit('2.5%'), 2500);
    assert.equal(parseCpuLimit('100%'), 100000);
    assert.equal(parseCpuLimit(0), 0);
    assert.equal(parseCpuLimit('50000'), 50000);
  });

  it('rejects values outside 0..100000', () => {
    for (const bad of ['200%', 100001, -1, 1.5, 'half', null]) {
      assert.throws(() => parseCpuLimit(bad), (err: unknown) => err instanceof ConfigValueError && err.code === 'CONFIG_BAD_CPU_LIMIT');
    }
    assert.throws(() => parseCpuLimit('200%'), /invalid CPU limit "200%"/);
  });
});
