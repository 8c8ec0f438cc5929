/**
 * Requests a client gave up on without an answer, counted from the server's side. wrk cannot see
 * a request that is never answered (it counts timeouts only for late answers), but when it exits
 * it closes its connections: a server that reads them sees EOF and closes at once, while a
 * connection held by a hung process stays in CLOSE_WAIT, its one request unanswered
 * (RFC 9293 §3.3.2: CLOSE_WAIT lasts until the local application closes). Listening sockets are
 * counted the same way.
 */
import { readFileSync } from 'node:fs';

/** TCP state code of CLOSE_WAIT in /proc/net/tcp (include/net/tcp_states.h). */
const CLOSE_WAIT = '08';
const LISTEN = '0A';

/** Sockets whose local port is `port` and whose state is CLOSE_WAIT, over IPv4 and IPv6. */
export function closeWaitCount(port: number): number {
  return socketCount(port, CLOSE_WAIT);
}

/**
 * Listening sockets on local port `port`: one per front-door thread when each binds its own with
 * SO_REUSEPORT, one for a front door whose processes share a single socket.
 */
export function listenCount(port: number): number {
  return socketCount(port, LISTEN);
}

function socketCount(port: number, state: string): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 3 && f[1].endsWith(`:${hexPort}`) && f[3] === state) n++;
    }
  }
  return n;
}
