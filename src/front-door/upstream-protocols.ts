/**
 * The protocols the front door speaks to workers, chosen per pool: HTTP/1.1 over the worker's
 * socket (exchange.ts) is the only one today. Another protocol (FastCGI) is another ClientExchange
 * with its own Connector for its leases, and one more case here.
 */
import type { Pool } from '../pools/pool.ts';
import type { RequestHead } from './http-parser.ts';
import type { ClientExchange, ExchangeOwner } from './exchange-owner.ts';
import { Exchange } from './exchange.ts';
import type { MountedApp } from './forwarded-prefix.ts';

/** The exchange that carries `head` (read from `raw`) to a worker of `pool`, for the app it was routed to. */
export function openExchange(owner: ExchangeOwner, pool: Pool, head: RequestHead, raw: Buffer, app: MountedApp | null = null): ClientExchange {
  return new Exchange(owner, pool, head, raw, app);
}
