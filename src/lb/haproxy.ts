/**
 * `paddock lb haproxy`: an HAProxy configuration for a farm of Paddock hosts that share one
 * Paddock config (DESIGN §8). One backend per pool, so a pool that fails on one host is routed
 * around on that host alone and the healthy pools keep every host (the seed's warning: reroute
 * the failed pool's traffic, never the healthy pools'). Each server is checked on the pool's
 * readiness, `GET /health/pools/NAME` on the host's health port:
 *
 * - 200: UP;
 * - 503 with `Paddock-Readiness: draining` (`paddock drain`): NOLB at once — no new requests,
 *   those in progress finish — as `http-check disable-on-404` does for a 404;
 * - anything else (stopped by rapid-fail, an administrator, the CPU limit; no worker can start;
 *   a full queue; no answer): DOWN after `fall` checks.
 *
 * In `http` mode the frontend copies Paddock's routing (route-table.ts), and a request Paddock
 * refused before any worker saw it (503), or a connection that failed, is sent again to another
 * host (`retry-on`, `option redispatch`). In `tcp` mode (a layer-4 balancer) there are no
 * requests to route or retry: each pool gets a frontend port of its own, and the checks still
 * decide which hosts take its new connections.
 */
import { formatBinding } from '../config/binding.ts';
import type { Binding, HostConfig } from '../config/types.ts';
import type { LbHost } from './host-list.ts';
import { routeTable, type RouteGroup } from './route-table.ts';
import { PaddockError } from '../paddock-error.ts';

export type LbMode = 'http' | 'tcp';

export interface HaproxyOptions {
  readonly hosts: readonly LbHost[];
  /** `http` (layer 7, default) or `tcp` (layer 4). */
  readonly mode: LbMode;
  /** Where HAProxy listens: the frontend (http), or the first pool's frontend, the next pools on the ports after it (tcp). */
  readonly bind: { readonly host: string; readonly port: number };
  /** Time between checks, ms. Default 2000. */
  readonly interMs?: number;
  /** Failed checks that mark a server DOWN. Default 2. */
  readonly fall?: number;
  /** Passed checks that mark it UP again. Default 2. */
  readonly rise?: number;
  /** The config file, named in the header. */
  readonly source: string;
}

/** A farm the config cannot describe; `code` is stable. */
export class LbConfigError extends PaddockError<'LB_NO_HEALTH_PORT' | 'LB_NO_POOLS'> {}

/** HAProxy's time format: "200ms", "2s", "2m". */
export function haproxyTime(ms: number): string {
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms > 0 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The readiness route of a pool (readiness.ts). */
export function readinessPath(pool: string): string {
  return `/health/pools/${pool}`;
}

interface Server {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly checkPort: number;
  readonly tls: boolean;
}

/** Each host's traffic and check ports: its own, else the config's. */
function servers(config: HostConfig, hosts: readonly LbHost[]): Server[] {
  const plain = config.listen.find((b) => !b.tls);
  const front: Binding = plain ?? config.listen[0];
  const checkDefault = config.health.listen?.port ?? config.admin.tcp?.port ?? null;
  return hosts.map((h) => {
    const checkPort = h.checkPort ?? checkDefault;
    if (checkPort === null) {
      throw new LbConfigError('LB_NO_HEALTH_PORT',
        `${config.file} serves the health checks on no TCP binding: set health: { listen: "0.0.0.0:9181" } (or admin.tcp), or give each host's check port as --hosts ADDRESS:PORT@CHECKPORT`);
    }
    const address = h.address.includes(':') ? `[${h.address}]` : h.address;
    return { name: h.name, address, port: h.port ?? front.port, checkPort, tls: plain === undefined };
  });
}

/** The check lines every pool backend shares, for `path`. */
function checkLines(path: string): string[] {
  return [
    '  option httpchk',
    `  http-check send meth GET uri ${path} ver HTTP/1.1 hdr Host paddock`,
    '  # A draining host answers 503 with Paddock-Readiness: draining: take it out gently (NOLB).',
    '  http-check expect ! hdr name paddock-readiness value draining error-status L7OKC comment draining',
    '  http-check expect status 200 comment "not ready: see the Paddock-Readiness header"',
  ];
}

function serverLine(s: Server): string {
  // TLS to the front door, plain HTTP to the health port.
  const tls = s.tls ? ' ssl verify required ca-file @system-ca sni req.hdr(host) no-check-ssl' : '';
  return `  server ${s.name} ${s.address}:${s.port} check port ${s.checkPort}${tls}`;
}

function bindText(b: { readonly host: string; readonly port: number }): string {
  return formatBinding({ host: b.host === '' || b.host === '*' ? '*' : b.host, port: b.port });
}

/** The frontend's ACLs and rules: Paddock's routing, group by group (route-table.ts). */
function routingLines(groups: readonly RouteGroup[], known: ReadonlySet<string>): string[] {
  const lines = [
    "  # Paddock's routing: the Host header (lower case, without the port), then the longest path prefix.",
    '  http-request set-var(txn.host) req.hdr(host),lower,regsub(:[0-9]+$,)',
  ];
  const acls: string[] = [];
  const rules: string[] = [];
  const pathAcls = new Map<string, string>();
  const pathAcl = (path: string): string => {
    let name = pathAcls.get(path);
    if (name === undefined) {
      name = `path_${pathAcls.size + 1}`;
      pathAcls.set(path, name);
      // A prefix matches at a segment boundary: /api and /api/x, never /apix (the query is not in `path`).
      acls.push(`  acl ${name} path -m str ${path}`, `  acl ${name} path -m beg ${path}/`);
    }
    return name;
  };
  let fallback = 'paddock_hosts';
  groups.forEach((g, i) => {
    let host: string | null = null;
    if (g.match.kind !== 'any') {
      host = `host_${i + 1}`;
      acls.push(g.match.kind === 'exact' ? `  acl ${host} var(txn.host) -m str ${g.match.hosts.join(' ')}` : `  acl ${host} var(txn.host) -m end ${g.match.suffix}`);
    }
    for (const app of g.apps) {
      if (!known.has(app.pool)) continue;
      const cond = [host, app.path === '/' ? null : pathAcl(app.path)].filter((c) => c !== null).join(' ');
      if (cond === '') fallback = `pool_${app.pool}`; // "*" and "/": everything else
      else rules.push(`  use_backend pool_${app.pool} if ${cond}`);
    }
    // A host that matched but no path: Paddock answers 404 itself; it must not fall to the next group.
    if (host !== null && !g.apps.some((a) => a.path === '/')) rules.push(`  use_backend paddock_hosts if ${host}`);
  });
  // HAProxy tries every use_backend rule in order, then default_backend.
  return [...lines, ...acls, ...rules, `  default_backend ${fallback}`];
}

/**
 * The HAProxy configuration for `config` served by `options.hosts`.
 * @example haproxyConfig(config, { hosts: parseHostList('10.0.0.1,10.0.0.2'), mode: 'http', bind: { host: '*', port: 80 }, source: 'paddock.yaml' })
 */
export function haproxyConfig(config: HostConfig, options: HaproxyOptions): string {
  const pools = Object.keys(config.pools);
  if (pools.length === 0) throw new LbConfigError('LB_NO_POOLS', `${config.file} has no pools: there is nothing to balance`);
  const farm = servers(config, options.hosts);
  const inter = options.interMs ?? 2_000;
  const fall = options.fall ?? 2;
  const rise = options.rise ?? 2;
  const http = options.mode === 'http';
  const out: string[] = [
    `# HAProxy configuration for ${farm.length} Paddock host${farm.length === 1 ? '' : 's'} (${farm.map((s) => `${s.address}:${s.port}`).join(', ')}),`,
    `# generated by \`paddock lb haproxy\` from ${options.source}; regenerate it when sites or pools change.`,
    '# Every pool has a backend; each server is checked on the pool\'s readiness (GET /health/pools/NAME):',
    '#   200 → UP;  503 "draining" (paddock drain) → NOLB, no new requests;  anything else → DOWN.',
    `# Mode ${options.mode}${http ? ': requests are routed as Paddock routes them, and retried on another host when refused.' : ' (layer 4): one frontend port per pool; a connection is not a request, so nothing is retried once sent.'}`,
    '# See docs/balancers.md.',
    '',
    'global',
    '  # maxconn, threads and logging as your HAProxy setup has them: nothing here depends on them.',
    '',
    'defaults',
    `  mode ${options.mode}`,
    '  timeout connect 2s',
    `  timeout client ${haproxyTime(config.webLimits.connectionTimeout)}`,
    '  # The longest a request may run; raise it for slow endpoints.',
    '  timeout server 2m',
    // A check's answer may take a while on a busy host; a late answer must not count as a failure.
    `  timeout check ${haproxyTime(Math.max(inter, 1_000))}`,
    '  retries 3',
    '  # A retry goes to another host (HAProxy avoids the server that just failed).',
    '  option redispatch 1',
  ];
  if (http) {
    out.push(
      '  # Paddock answers 503 for a stopped pool or a full queue before any worker has seen the request,',
      '  # so sending it again to another host is safe whatever the method. empty-response replays a request',
      '  # a host dropped unanswered: Paddock does that only when the host itself dies (a worker\'s death',
      '  # becomes a retry inside the host or a 502) or resets it for a TcpLevel pool before any worker saw it.',
      '  # Drop empty-response if a POST must never be replayed after a host crash. A 502 is not retried:',
      '  # it means a worker died holding a request that was not safe to repeat.',
      '  retry-on conn-failure empty-response 503',
      '  option forwardfor',
      `  default-server inter ${haproxyTime(inter)} fall ${fall} rise ${rise}`,
      '',
      'frontend paddock',
      `  bind ${bindText(options.bind)}`,
      ...routingLines(routeTable(config.sites), new Set(pools)),
    );
  } else {
    out.push(
      '  # When a check marks a host DOWN for a pool, its open connections for that pool are cut too:',
      '  # they would only meet the stopped pool (503, or resets with TcpLevel).',
      `  default-server inter ${haproxyTime(inter)} fall ${fall} rise ${rise} on-marked-down shutdown-sessions`,
    );
  }
  pools.forEach((pool, i) => {
    out.push('');
    const routed = config.sites.some((s) => s.apps.some((a) => a.pool === pool));
    if (!http) {
      out.push(`# Clients of pool ${pool} connect to port ${options.bind.port + i}.`, `frontend pool_${pool}`, `  bind ${bindText({ host: options.bind.host, port: options.bind.port + i })}`, `  default_backend pool_${pool}`, '');
    }
    out.push(`backend pool_${pool}`);
    if (!routed) out.push('  # No app of the sites routes to this pool.');
    // Least outstanding requests, as Paddock dispatches among a pool's own workers (DESIGN §5).
    out.push('  balance leastconn', ...checkLines(readinessPath(pool)), ...farm.map(serverLine));
  });
  if (http) {
    out.push(
      '',
      'backend paddock_hosts',
      '  # Requests no app matches: any live host answers them (Paddock\'s own 404).',
      '  balance roundrobin',
      '  option httpchk',
      '  http-check send meth GET uri /health ver HTTP/1.1 hdr Host paddock',
      '  http-check expect status 200',
      ...farm.map(serverLine),
    );
  }
  return out.join('\n') + '\n';
}
