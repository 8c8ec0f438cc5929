import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHost, helloPool, oneSite, type TestHost } from './helpers/test-host.ts';

let h: TestHost;
let certDir: string;
const openssl = ['/usr/bin/openssl', '/bin/openssl'].some((f) => existsSync(f));
before(async () => {
  if (!openssl) return;
  certDir = mkdtempSync(join(tmpdir(), 'pdk-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  h = await startTestHost({
    listen: ['127.0.0.1:0', 'https://127.0.0.1:0'],
    tls: { cert: join(certDir, 'cert.pem'), key: join(certDir, 'key.pem') },
    sites: oneSite('web'),
    pools: { web: helloPool() },
  });
});
after(async () => {
  await h?.stop();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

test('an https:// binding terminates TLS and tells the worker X-Forwarded-Proto: https', { skip: !openssl && 'openssl is not installed (.ci/run installs it)' }, async () => {
  const tlsPort = h.host.bound.find((b) => b.tls)!.port;
  const body = await new Promise<string>((resolve, reject) => {
    request({ host: '127.0.0.1', port: tlsPort, path: '/echo-headers', rejectUnauthorized: false, headers: { host: 'secure.test' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(text));
    }).on('error', reject).end();
  });
  const headers = JSON.parse(body) as Record<string, string>;
  assert.equal(headers['x-forwarded-proto'], 'https');
  assert.equal(headers['x-forwarded-host'], 'secure.test');
});
