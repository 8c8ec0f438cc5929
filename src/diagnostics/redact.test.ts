import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactText, redactValue, secretsOf } from './redact.ts';

test('secret-looking values of the pool environment are replaced, ordinary ones kept', () => {
  const secrets = secretsOf({ SECRET_TOKEN: 'hunter2-xyz', DB_PASSWORD: 'p"w\\d!long', NODE_ENV: 'production', API_KEY: 'short' });
  assert.deepEqual(secrets.map(([, r]) => r).sort(), ['[redacted DB_PASSWORD]', '[redacted SECRET_TOKEN]']);
  assert.equal(redactText('token=hunter2-xyz env=production', secrets), 'token=[redacted SECRET_TOKEN] env=production');
  const value = redactValue({ tail: ['pw p"w\\d!long'], nested: { s: 'x hunter2-xyz' } }, secrets);
  assert.deepEqual(value, { tail: ['pw [redacted DB_PASSWORD]'], nested: { s: 'x [redacted SECRET_TOKEN]' } });
});
