/**
 * Checks that span keys, which a schema of single values cannot make: apps name pools that exist,
 * no two apps claim the same (host, path), every pool has a command once defaults are merged, and
 * so on. They read the raw file (as YAML gave it) and skip what the schema already rejects, so they
 * run even when the schema found errors: the file is reported whole, not one layer at a time.
 */
import { formatBinding, parseBinding } from './binding.ts';
import type { PathSegment, Problem } from './config-error.ts';
import { suggestion } from './did-you-mean.ts';
import { normaliseAppPath, normaliseHostPattern } from './routes.ts';

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function attempt<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null; // the schema reports this value
  }
}

function problem(path: readonly PathSegment[], code: string, message: string, at: 'key' | 'value' = 'value'): Problem {
  return { path, code, message, at };
}

function checkListen(raw: Raw, out: Problem[]): void {
  const listen = typeof raw.listen === 'string' || typeof raw.listen === 'number' ? [raw.listen] : raw.listen;
  if (!Array.isArray(listen)) return;
  if (listen.length === 0) {
    out.push(problem(['listen'], 'CONFIG_NO_LISTEN', 'at least one listen binding is needed, e.g. ["127.0.0.1:8080"]'));
  }
  const seen = new Map<string, number>();
  listen.forEach((entry, i) => {
    const b = attempt(() => parseBinding(entry));
    if (!b) return;
    if (b.tls && !isObject(raw.tls)) {
      out.push(problem(['listen', i], 'CONFIG_TLS_MISSING', `binding ${formatBinding(b)} serves TLS: give the certificate and key as tls: { cert, key }`));
    }
    const key = formatBinding({ ...b, tls: false });
    const first = seen.get(key);
    // Port 0 asks the kernel for a free port each time: two of them never collide.
    if (first !== undefined && b.port !== 0) {
      out.push(problem(['listen', i], 'CONFIG_DUPLICATE_BINDING', `binding ${key} is already listed as listen[${first}]`));
    } else {
      seen.set(key, i);
    }
  });
}

/** Shortest token a TCP admin binding off loopback may carry: 32 characters (about 190 bits in base64). */
export const MIN_REMOTE_TOKEN_LENGTH = 32;

/** Whether a binding's host is a loopback address (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

// admin.tcp without a token is served with one made on first start (<dataDir>/admin.token); a
// binding others can reach with a short token is refused: a bad config starts nothing.
function checkAdmin(raw: Raw, out: Problem[]): void {
  const admin = raw.admin;
  if (!isObject(admin)) return;
  if (admin.tcp === undefined || admin.tcp === null || typeof admin.token !== 'string') return;
  const b = attempt(() => parseBinding(admin.tcp));
  if (!b || isLoopbackHost(b.host)) return;
  if (admin.token.length < MIN_REMOTE_TOKEN_LENGTH) {
    out.push(problem(['admin', 'token'], 'CONFIG_ADMIN_TOKEN_SHORT',
      `admin.tcp listens on ${formatBinding(b)}, which other machines can reach: admin.token must be at least ${MIN_REMOTE_TOKEN_LENGTH} characters (it has ${admin.token.length}); remove it to have one made in dataDir`));
  }
}

// identityType and user must agree: SpecificUser names a user; the other two run as no named user.
function checkIdentities(raw: Raw, out: Problem[]): void {
  if (!isObject(raw.pools)) return;
  const defaults = isObject(raw.applicationPoolDefaults) && isObject(raw.applicationPoolDefaults.processModel) ? raw.applicationPoolDefaults.processModel : {};
  for (const [name, value] of Object.entries(raw.pools)) {
    const pm = isObject(value) && isObject(value.processModel) ? value.processModel : {};
    const type = pm.identityType ?? defaults.identityType;
    const user = pm.user !== undefined ? pm.user : defaults.user;
    const hasUser = user !== undefined && user !== null;
    if (type === 'SpecificUser' && !hasUser) {
      out.push(problem(['pools', name, 'processModel', 'identityType'], 'CONFIG_IDENTITY_NO_USER', `pool '${name}' has identityType SpecificUser but no processModel.user`));
    } else if ((type === 'ApplicationPoolIdentity' || type === 'HostIdentity') && hasUser) {
      out.push(problem(['pools', name, 'processModel', 'user'], 'CONFIG_IDENTITY_USER', `pool '${name}' has identityType ${String(type)}, which runs as no named user: remove processModel.user or use SpecificUser`));
    }
  }
}

function checkSites(raw: Raw, pools: ReadonlySet<string>, out: Problem[]): void {
  if (!Array.isArray(raw.sites)) return;
  const siteNames = new Map<string, number>();
  // "host path" → where it was first claimed, as a readable key path.
  const routes = new Map<string, string>();
  raw.sites.forEach((site: unknown, s) => {
    if (!isObject(site)) return;
    if (typeof site.name === 'string') {
      const first = siteNames.get(site.name);
      if (first !== undefined) {
        out.push(problem(['sites', s, 'name'], 'CONFIG_DUPLICATE_SITE', `site name '${site.name}' is already used by sites[${first}]`));
      } else {
        siteNames.set(site.name, s);
      }
    }
    const rawHosts = site.hosts === undefined ? ['*'] : site.hosts;
    const hosts = Array.isArray(rawHosts)
      ? [...new Set(rawHosts.map((h) => attempt(() => normaliseHostPattern(h))).filter((h) => h !== null))]
      : [];
    if (!Array.isArray(site.apps)) return;
    site.apps.forEach((app: unknown, a) => {
      if (!isObject(app)) return;
      const where: PathSegment[] = ['sites', s, 'apps', a];
      if (typeof app.pool === 'string' && app.pool.trim() !== '' && !pools.has(app.pool)) {
        out.push(problem([...where, 'pool'], 'CONFIG_MISSING_POOL',
          `pool '${app.pool}' is not defined under pools${suggestion(app.pool, pools)}`));
      }
      const path = attempt(() => normaliseAppPath(app.path));
      if (path === null) return;
      const clashes: string[] = [];
      for (const host of hosts) {
        const first = routes.get(`${host} ${path}`);
        if (first !== undefined) clashes.push(`host '${host}' is already served by ${first}`);
        else routes.set(`${host} ${path}`, `sites[${s}].apps[${a}]`);
      }
      if (clashes.length > 0) {
        out.push(problem([...where, 'path'], 'CONFIG_DUPLICATE_ROUTE', `path '${path}' for ${clashes.join('; ')}`));
      }
    });
  });
}

function checkCommands(raw: Raw, out: Problem[]): void {
  if (!isObject(raw.pools)) return;
  const defaults = isObject(raw.applicationPoolDefaults) ? raw.applicationPoolDefaults : {};
  for (const [name, value] of Object.entries(raw.pools)) {
    const pool = value === null ? {} : value; // `web:` alone is a pool of all defaults
    if (!isObject(pool)) continue; // the schema says "expected a mapping"
    if (pool.command === undefined && defaults.command === undefined) {
      out.push(problem(['pools', name, 'command'], 'CONFIG_NO_COMMAND',
        `pool '${name}' has no command: give an argv list such as ["node", "server.js"] here or in applicationPoolDefaults`));
    }
  }
}

/** documentRoot says where FastCGI scripts live; on an HTTP pool it is a forgotten `protocol: fastcgi`. */
function checkDocumentRoots(raw: Raw, out: Problem[]): void {
  if (!isObject(raw.pools)) return;
  const defaults = isObject(raw.applicationPoolDefaults) ? raw.applicationPoolDefaults : {};
  for (const [name, value] of Object.entries(raw.pools)) {
    if (!isObject(value) || value.documentRoot === undefined) continue;
    const protocol = value.protocol ?? defaults.protocol ?? 'http';
    if (protocol !== 'fastcgi') {
      out.push(problem(['pools', name, 'documentRoot'], 'CONFIG_DOCUMENT_ROOT_NOT_FASTCGI',
        `pool '${name}' speaks ${String(protocol)}: documentRoot is for FastCGI pools; add protocol: fastcgi or remove it`, 'key'));
    }
  }
}

/** Every cross-key problem of the raw file, in file order where it matters. */
export function crossCheck(raw: Raw): Problem[] {
  const out: Problem[] = [];
  const pools = new Set(isObject(raw.pools) ? Object.keys(raw.pools) : []);
  checkListen(raw, out);
  checkAdmin(raw, out);
  checkSites(raw, pools, out);
  checkCommands(raw, out);
  checkIdentities(raw, out);
  checkDocumentRoots(raw, out);
  return out;
}
