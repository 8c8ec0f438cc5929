import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { WebSocket } from 'ws';
import { startTestHost, helloPool, oneSite, type TestHost } from './helpers/test-host.ts';

let h: TestHost;
before(async () => {
  h = await startTestHost({ sites: oneSite('web'), pools: { web: helloPool() } });
});
after(() => h?.stop());

const size = 50 * 1024 * 1024;

test('a 50 MB upload streams through the front door to the worker', async () => {
  const expected = createHash('sha256');
  let sent = 0;
  const body = new Readable({
    read() {
      if (sent >= size) return this.push(null);
      const chunk = Buffer.alloc(Math.min(1 << 20, size - sent), sent & 0xff);
      sent += chunk.length;
      expected.update(chunk);
      this.push(chunk);
    },
  });
  const result = await new Promise<string>((resolve, reject) => {
    const req = request(`${h.url}/upload`, { method: 'POST', headers: { 'content-length': String(size) } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    body.pipe(req);
  });
  const { bytes, sha256 } = JSON.parse(result) as { bytes: number; sha256: string };
  assert.equal(bytes, size);
  assert.equal(sha256, expected.digest('hex'));
});

test('a 50 MB chunked upload (no Content-Length) streams too', async () => {
  const chunk = Buffer.alloc(1 << 20, 7);
  const result = await new Promise<string>((resolve, reject) => {
    const req = request(`${h.url}/upload`, { method: 'POST' }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    let n = 0;
    const write = (): void => {
      while (n < 50) {
        n++;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
  assert.equal((JSON.parse(result) as { bytes: number }).bytes, size);
});

test('a 50 MB download streams back, byte for byte', async () => {
  const { bytes, ok } = await new Promise<{ bytes: number; ok: boolean }>((resolve, reject) => {
    request(`${h.url}/download?bytes=${size}`, (res) => {
      let bytes = 0;
      let ok = true;
      res.on('data', (c: Buffer) => {
        for (let i = 0; i < c.length; i += 4099) if (c[i] !== ((bytes + i) & 0xff)) ok = false;
        bytes += c.length;
      });
      res.on('end', () => resolve({ bytes, ok }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
  assert.equal(bytes, size);
  assert.ok(ok, 'the pattern arrived intact');
});

test('a WebSocket upgrade passes through and echoes', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${h.port}/ws`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const replies: string[] = [];
  const got = new Promise<void>((resolve) => {
    ws.on('message', (m) => {
      replies.push(m.toString());
      if (replies.length === 2) resolve();
    });
  });
  ws.send('one');
  ws.send('two');
  await got;
  assert.deepEqual(replies.map((r) => r.replace(/^echo: /, '')), ['one', 'two']);
  ws.close();
});
