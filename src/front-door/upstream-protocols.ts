/**
 * The protocols the front door speaks to workers, chosen per pool: HTTP/1.1 over the worker's
 * socket (exchange.ts), or FastCGI's responder role (fastcgi/fastcgi-exchange.ts), each a
 * ClientExchange with its own Connector for its leases.
 */
import type { PoolDoor } from '../pools/pool-door.ts';
import type { RequestHead } from './http-parser.ts';
import type { ClientExchange, ExchangeOwner } from './exchange-owner.ts';
import { Exchange } from './exchange.ts';
import type { MountedApp } from './forwarded-prefix.ts';
import { FastCgiExchange } from './fastcgi-exchange.ts';

/** The exchange that carries `head` (read from `raw`) to a worker of `pool`, for the app it was routed to. */
export function openExchange(owner: ExchangeOwner, pool: PoolDoor, head: RequestHead, raw: Buffer, app: MountedApp | null = null): ClientExchange {
  if (pool.config.protocol === 'fastcgi') return new FastCgiExchange(owner, pool, head, raw, app);
  return new Exchange(owner, pool, head, raw, app);
}
