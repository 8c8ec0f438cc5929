/**
 * Real servers, unmodified, behind Paddock with the first configuration a user would write
 * (docs/hosting-apps.md): Express, Fastify and Koa from npm; Flask under gunicorn, under
 * `flask run` and under waitress, `python3 -m http.server` and `php -S` from Debian packages. Each
 * is mounted below "/" with stripPrefix and answers a GET, a JSON POST and a path under its prefix.
 * A server whose program is not installed is skipped with a message (.ci/run installs them all).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fixtures, get, startTestHost, type TestHost } from './helpers/test-host.ts';

const apps = join(fixtures, 'apps');

// Debian's packages first: a Python of one's own on PATH (pyenv, a venv) may lack Flask.
process.env.PATH = ['/usr/bin', process.env.PATH ?? ''].join(delimiter);

/** The pool of each recipe exactly as docs/hosting-apps.md writes it; `needs` is what must be installed. */
const RECIPES: Record<string, { needs: string | null; pool: Record<string, unknown>; stripPrefix?: boolean }> = {
  express: { needs: null, pool: { command: ['node', 'server.js'], cwd: join(apps, 'express') } },
  'express-npm': { needs: 'npm', pool: { command: ['npm', 'start'], cwd: join(apps, 'express') } },
  fastify: { needs: null, pool: { command: ['node', 'server.js'], cwd: join(apps, 'fastify') } },
  koa: { needs: null, pool: { command: ['node', 'server.js'], cwd: join(apps, 'koa') } },
  gunicorn: { needs: 'gunicorn', pool: { command: ['gunicorn', '--bind', '127.0.0.1:{port}', 'app:app'], cwd: join(apps, 'flask') } },
  // The other way to mount a WSGI app: gunicorn takes SCRIPT_NAME off the path itself (and url_for includes it).
  'gunicorn-script-name': { needs: 'gunicorn', stripPrefix: false, pool: { command: ['gunicorn', '--bind', '127.0.0.1:{port}', 'app:app'], cwd: join(apps, 'flask'), env: { SCRIPT_NAME: '/gunicorn-script-name' } } },
  flask: { needs: 'flask', pool: { command: ['flask', 'run', '--port', '{port}'], cwd: join(apps, 'flask') } },
  waitress: { needs: 'waitress-serve', pool: { command: ['waitress-serve', '--listen=127.0.0.1:{port}', 'app:app'], cwd: join(apps, 'flask') } },
  static: { needs: 'python3', pool: { command: ['python3', '-m', 'http.server', '{port}', '--bind', '127.0.0.1'], cwd: join(apps, 'static') } },
  php: { needs: 'php', pool: { command: ['php', '-S', '127.0.0.1:{port}', 'index.php'], cwd: join(apps, 'php') } },
};

/** The program on PATH, or null. */
function which(program: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, program))) return join(dir, program);
  }
  return null;
}

/** The Flask app needs Flask importable by the Python that runs the server. */
function flaskImportable(): boolean {
  return which('python3') !== null && existsSync('/usr/lib/python3/dist-packages/flask');
}

const installed = Object.fromEntries(Object.entries(RECIPES).map(([name, r]) => {
  const missing = r.needs !== null && which(r.needs) === null ? r.needs
    : ['gunicorn', 'gunicorn-script-name', 'flask', 'waitress'].includes(name) && !flaskImportable() ? 'python3-flask' : null;
  return [name, missing];
}));

describe('real servers behind Paddock, unmodified', () => {
  let h: TestHost;

  before(async () => {
    const pools: Record<string, unknown> = {};
    const mounted: Array<{ path: string; pool: string; stripPrefix: boolean }> = [];
    for (const [name, r] of Object.entries(RECIPES)) {
      if (installed[name] !== null) continue;
      // Small limits only so that a broken recipe fails the test quickly; the recipes need none.
      pools[name] = { ...r.pool, processModel: { startupTimeLimit: '20s', shutdownTimeLimit: '5s' } };
      mounted.push({ path: `/${name}`, pool: name, stripPrefix: r.stripPrefix ?? true });
    }
    h = await startTestHost({ sites: [{ name: 'apps', hosts: ['*'], apps: mounted }], pools });
    // Every server starts on its first request: start them all at once rather than one per test.
    await Promise.all(mounted.map((m) => get(`${h.url}${m.path}/`).catch(() => null)));
  });

  after(async () => {
    await h?.stop();
  });

  for (const name of Object.keys(RECIPES)) {
    it(`${name}: GET, a JSON POST and a path under its prefix`, async (t) => {
      if (installed[name] !== null) {
        t.skip(`${installed[name]} is not installed (Debian package; .ci/run installs it)`);
        return;
      }
      const base = `${h.url}/${name}`;
      if (name === 'static') {
        const page = await get(`${base}/`);
        assert.equal(page.status, 200, page.body);
        assert.match(page.body, /Served by python3 -m http\.server behind Paddock/);
        const file = await get(`${base}/items/42.json`);
        assert.equal(file.status, 200, file.body);
        assert.deepEqual(JSON.parse(file.body), { item: 42 });
        // http.server takes no POST: its own 501 comes back through the front door.
        const post = await get(`${base}/items`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
        assert.equal(post.status, 501);
        assert.match(post.body, /Unsupported method/);
        return;
      }
      const index = await get(`${base}/`);
      assert.equal(index.status, 200, index.body);
      const seen = JSON.parse(index.body) as { server: string; path: string; prefix: string | null };
      assert.equal(seen.path, '/', 'the app sees the path it was written for');
      assert.equal(seen.prefix, `/${name}`, 'and learns its prefix from X-Forwarded-Prefix');
      const server = { gunicorn: /^gunicorn/, 'gunicorn-script-name': /^gunicorn/, flask: /^Werkzeug/, waitress: /^waitress/, 'express-npm': /^express$/ }[name] ?? new RegExp(`^${name}$`);
      assert.match(seen.server, server);

      const post = await get(`${base}/echo`, { method: 'POST', body: JSON.stringify({ order: 7, items: ['a', 'b'] }), headers: { 'content-type': 'application/json' } });
      assert.equal(post.status, 200, post.body);
      assert.deepEqual((JSON.parse(post.body) as { got: unknown }).got, { order: 7, items: ['a', 'b'] });

      const item = await get(`${base}/items/42`);
      assert.equal(item.status, 200, item.body);
      assert.deepEqual({ ...(JSON.parse(item.body) as Record<string, unknown>), server: undefined }, { server: undefined, item: 42, path: '/items/42' });
    });
  }

  it('the Python and PHP pools run as runtime generic on a TCP port, the Node pools on a unix socket', () => {
    for (const [name, pool] of h.host.supervisor.poolMap) {
      const node = ['express', 'express-npm', 'fastify', 'koa'].includes(name);
      // The runtime came from the command: none of the recipes names one.
      assert.equal((RECIPES[name].pool as { runtime?: string }).runtime, undefined);
      assert.deepEqual([pool.config.runtime, pool.config.listen], node ? ['node', 'unix'] : ['generic', 'tcp'], name);
    }
  });
});
