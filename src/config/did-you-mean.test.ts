import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { didYouMean, levenshtein, suggestion } from './did-you-mean.ts';

describe('did-you-mean', () => {
  it('measures edit distance', () => {
    assert.equal(levenshtein('kitten', 'sitting'), 3);
    assert.equal(levenshtein('', 'abc'), 3);
    assert.equal(levenshtein('same', 'same'), 0);
  });

  it('suggests close names, ignoring case, and nothing for far ones', () => {
    const keys = ['pingInterval', 'pingResponseTime', 'pingingEnabled', 'idleTimeout'];
    assert.equal(didYouMean('pingIntervall', keys), 'pingInterval');
    assert.equal(didYouMean('pinginterval', keys), 'pingInterval');
    assert.equal(didYouMean('idletimout', keys), 'idleTimeout');
    assert.equal(didYouMean('colour', keys), null);
    assert.equal(suggestion('pool', ['pools', 'sites']), " (did you mean 'pools'?)");
    assert.equal(suggestion('zzz', ['pools']), '');
  });
});
