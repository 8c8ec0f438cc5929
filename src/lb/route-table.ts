/**
 * Paddock's routing (DESIGN §5, front-door/router.ts) as an ordered table a balancer can copy:
 * groups of Host patterns, most specific first — exact names, then `*.domain` suffixes from the
 * longest, then `*` — each with its apps, longest path first. A request takes the first group
 * whose pattern matches its Host and, inside it, the first app whose path is a prefix of its
 * path at a segment boundary; a group matched with no app matching is a 404 from Paddock, not a
 * fall-through to the next group, exactly as the front door does it.
 */
import type { SiteConfig } from '../config/types.ts';

export type HostMatch =
  | { readonly kind: 'exact'; readonly hosts: readonly string[] }
  | { readonly kind: 'suffix'; readonly suffix: string }
  | { readonly kind: 'any' };

export interface RouteApp {
  readonly path: string;
  readonly pool: string;
}

export interface RouteGroup {
  readonly match: HostMatch;
  /** Longest path first. */
  readonly apps: readonly RouteApp[];
}

function sortApps(apps: RouteApp[]): RouteApp[] {
  return apps.sort((a, b) => b.path.length - a.path.length);
}

/** The sites' routes in the order a balancer must test them. */
export function routeTable(sites: readonly SiteConfig[]): RouteGroup[] {
  const exact = new Map<string, RouteApp[]>();
  const suffix = new Map<string, RouteApp[]>();
  const any: RouteApp[] = [];
  for (const site of sites) {
    for (const host of site.hosts) {
      const list = host === '*' ? any : host.startsWith('*.') ? getList(suffix, host.slice(1)) : getList(exact, host);
      list.push(...site.apps.map((a) => ({ path: a.path, pool: a.pool })));
    }
  }
  const groups: RouteGroup[] = [];
  // Exact names with the same apps share one group (a site's "shop.example" and "www.shop.example").
  const byApps = new Map<string, { hosts: string[]; apps: RouteApp[] }>();
  for (const [host, apps] of exact) {
    const sorted = sortApps(apps);
    const key = JSON.stringify(sorted);
    const g = byApps.get(key);
    if (g) g.hosts.push(host);
    else byApps.set(key, { hosts: [host], apps: sorted });
  }
  for (const g of byApps.values()) groups.push({ match: { kind: 'exact', hosts: g.hosts }, apps: g.apps });
  for (const [s, apps] of [...suffix].sort((a, b) => b[0].length - a[0].length)) {
    groups.push({ match: { kind: 'suffix', suffix: s }, apps: sortApps(apps) });
  }
  if (any.length > 0) groups.push({ match: { kind: 'any' }, apps: sortApps(any) });
  return groups;
}

function getList(map: Map<string, RouteApp[]>, key: string): RouteApp[] {
  let list = map.get(key);
  if (list === undefined) {
    list = [];
    map.set(key, list);
  }
  return list;
}
