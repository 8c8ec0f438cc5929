/**
 * Routing (DESIGN §5): the Host header picks the site, the longest path prefix picks the app and
 * so the pool. Exact host names are looked up in a map, so the cost stays flat with thousands of
 * sites; "*.example" patterns and "*" are tried after, in that order.
 */
import type { SiteConfig } from '../config/types.ts';

interface Route {
  readonly path: string;
  readonly pool: string;
  readonly stripPrefix?: boolean;
}

/** Host and path to pool name. Immutable: a reload builds a new Router. */
export class Router {
  readonly #exact = new Map<string, Route[]>();
  readonly #suffix: Array<{ suffix: string; routes: Route[] }> = [];
  #any: Route[] | null = null;

  constructor(sites: readonly SiteConfig[]) {
    const add = (list: Route[], routes: readonly Route[]): void => {
      for (const r of routes) list.push(r);
      list.sort((a, b) => b.path.length - a.path.length);
    };
    for (const site of sites) {
      for (const host of site.hosts) {
        if (host === '*') {
          this.#any ??= [];
          add(this.#any, site.apps);
        } else if (host.startsWith('*.')) {
          let entry = this.#suffix.find((s) => s.suffix === host.slice(1));
          if (entry === undefined) {
            entry = { suffix: host.slice(1), routes: [] };
            this.#suffix.push(entry);
          }
          add(entry.routes, site.apps);
        } else {
          let list = this.#exact.get(host);
          if (list === undefined) {
            list = [];
            this.#exact.set(host, list);
          }
          add(list, site.apps);
        }
      }
    }
    this.#suffix.sort((a, b) => b.suffix.length - a.suffix.length);
  }

  /** The pool for a request, or null (404). `host` is lower case without a port. */
  route(host: string | null, path: string): string | null {
    return this.match(host, path)?.pool ?? null;
  }

  /** The app (path, pool, stripPrefix) a request goes to, or null (404). */
  match(host: string | null, path: string): Route | null {
    const routes = this.#routesFor(host);
    if (routes === null) return null;
    for (const r of routes) {
      if (r.path === '/') return r;
      if (path.startsWith(r.path) && (path.length === r.path.length || path.charCodeAt(r.path.length) === 47 /* / */ || path.charCodeAt(r.path.length) === 63 /* ? */)) {
        return r;
      }
    }
    return null;
  }

  #routesFor(host: string | null): Route[] | null {
    if (host !== null) {
      const exact = this.#exact.get(host);
      if (exact !== undefined) return exact;
      for (const s of this.#suffix) if (host.endsWith(s.suffix)) return s.routes;
    }
    return this.#any;
  }
}
