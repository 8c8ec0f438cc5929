/**
 * The probes against a real php-cgi (Debian's php-cgi; skipped with a message where it is
 * missing), started the way the pool starts it: its listening socket on fd 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { getScript, getValues } from './probe.ts';
import { phpDocroot as docroot, phpSkip as skip, startPhp } from '../../test/helpers/php-cgi.ts';

test('FCGI_GET_VALUES is answered by a php-cgi started on fd 0 (ready, and a ping)', { skip }, async () => {
  const php = await startPhp();
  try {
    const first = await getValues(php.address, 5_000);
    assert.equal(first.kind, 'answered', JSON.stringify(first));
    if (first.kind === 'answered') assert.equal(first.values.get('FCGI_MPXS_CONNS'), '0');
    // The socket file stayed although the host closed its own copy.
    assert.ok(existsSync(php.address.path));
    const again = await getValues(php.address, 5_000);
    assert.equal(again.kind, 'answered');
  } finally {
    await php.stop();
  }
});

test('a probe waits behind a kept connection, and is answered once that connection closes', { skip }, async () => {
  const php = await startPhp();
  try {
    const held = connect(php.address.path);
    await new Promise((r) => held.once('connect', r));
    // php-cgi now reads `held`; a probe cannot be answered until it is gone.
    const probe = getValues(php.address, 5_000);
    const early = await Promise.race([probe, new Promise((r) => setTimeout(() => r('waiting'), 300))]);
    assert.equal(early, 'waiting');
    held.destroy();
    assert.equal((await probe).kind, 'answered');
    // A probe that is never let in fails at its limit.
    const held2 = connect(php.address.path);
    await new Promise((r) => held2.once('connect', r));
    const late = await getValues(php.address, 300);
    assert.equal(late.kind, 'failed');
    held2.destroy();
  } finally {
    await php.stop();
  }
});

test('a pingPath script answers through a FastCGI request with its status; a missing one is a 404', { skip }, async () => {
  const php = await startPhp();
  try {
    const ok = await getScript(php.address, '/index.php', docroot, 5_000);
    assert.equal(ok.kind === 'answered' ? ok.status : ok.reason, 200);
    const status = await getScript(php.address, '/status.php?what=x', docroot, 5_000);
    assert.equal(status.kind === 'answered' ? status.status : status.reason, 404);
    const missing = await getScript(php.address, '/no-such-script.php', docroot, 5_000);
    assert.equal(missing.kind === 'answered' ? missing.status : missing.reason, 404);
  } finally {
    await php.stop();
  }
});
