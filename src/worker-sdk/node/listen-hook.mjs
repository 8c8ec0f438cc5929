// The worker's listen calls, seen and (where the app names PORT) aimed at what the host connects
// to. One wrapper of net.Server.prototype.listen (which http, https and http2 servers inherit),
// installed once per process before the app runs:
//
// - Redirect. A Node worker on a unix socket sees a port number in PORT and the socket path in
//   PADDOCK_SOCKET: a listen on that port, whatever the host argument (Fastify's "localhost",
//   "0.0.0.0", none), binds the socket instead. Where PORT itself is a socket path (a pool with
//   `listen: unix` and `runtime: generic` run under Node, or a test), `listen({ port: PORT })`,
//   which Node refuses for a string, binds the path. So `listen(process.env.PORT)`,
//   `listen({ port: Number(process.env.PORT) })` and `app.listen({ port: process.env.PORT })` all
//   serve the host, unmodified.
// - Ready. `onListening(server)` runs for each server whose bound address is PORT or the socket.
//
// Other listen calls pass through untouched; arguments, return value and errors stay Node's.
import net from 'node:net';
import path from 'node:path';

const STATE = Symbol.for('paddock.worker-sdk.listen-hook');

/**
 * True when a server's bound address is the worker's PORT: the same socket path, or the same TCP
 * port on any address.
 * @param {string | net.AddressInfo | null} address what `server.address()` returned
 * @param {string} port the PORT variable (a socket path or a TCP port number), or PADDOCK_SOCKET
 * @returns {boolean}
 */
export function isPortAddress(address, port) {
  if (address === null || port === '') return false;
  const tcpPort = Number(port);
  if (typeof address === 'string') {
    return Number.isNaN(tcpPort) && path.resolve(address) === path.resolve(port);
  }
  return !Number.isNaN(tcpPort) && address.port === tcpPort;
}

/**
 * @param {unknown} v
 * @returns {v is string | number}
 */
function isPortLike(v) {
  return typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)));
}

/**
 * The arguments a listen call should have: `args` itself unless it names the worker's PORT, then
 * a listen on the socket that keeps the call's backlog, callback and signal. Pure: tested alone.
 * @param {readonly unknown[]} args the app's arguments to `server.listen`
 * @param {string} port the PORT variable
 * @param {string} socket PADDOCK_SOCKET, or ''
 * @returns {unknown[] | null} the arguments to use instead, or null to leave the call alone
 */
export function redirectedListen(args, port, socket) {
  if (port === '') return null;
  const numeric = isPortLike(port);
  const target = numeric ? socket : port;
  if (target === '') return null;
  const [first, ...rest] = args;
  const last = args.at(-1);
  const cb = typeof last === 'function' ? last : undefined;
  /** @type {Record<string, unknown>} */
  const out = { path: target };
  if (first !== null && typeof first === 'object') {
    const o = /** @type {Record<string, unknown>} */ (first);
    // A handle or an inherited descriptor is the app's own business.
    if ('_handle' in o || o.fd !== undefined) return null;
    const named = numeric
      ? (isPortLike(o.port) && Number(o.port) === Number(port)) || (o.port === undefined && o.path === port)
      // Node refuses a string port that is not a number (ERR_SOCKET_BAD_PORT): it meant the path.
      : o.port === port;
    if (!named) return null;
    for (const key of ['backlog', 'exclusive', 'readableAll', 'writableAll', 'signal']) {
      if (o[key] !== undefined) out[key] = o[key];
    }
    return cb ? [out, cb] : [out];
  }
  // listen(port[, host][, backlog][, cb]). A socket path in PORT already works as listen(path).
  if (!numeric || !isPortLike(first) || Number(first) !== Number(port)) return null;
  // Node reads the backlog from the second argument, else the third (net.js).
  const backlog = [rest[0], rest[1]].find((a) => typeof a === 'number');
  if (backlog !== undefined) out.backlog = backlog;
  return cb ? [out, cb] : [out];
}

/**
 * Wraps `net.Server.prototype.listen` once per process. Later calls update what it does: the last
 * `onListening` given wins (the agent gives one once the control channel is open).
 * @param {string} port the PORT variable
 * @param {((server: net.Server) => void) | null} onListening
 * @param {string} [socket] PADDOCK_SOCKET: the socket a numeric PORT stands for
 */
export function hookListen(port, onListening, socket = '') {
  const holder = /** @type {{ [STATE]?: { port: string, socket: string, onListening: ((server: net.Server) => void) | null } }} */ (
    /** @type {unknown} */ (globalThis));
  const existing = holder[STATE];
  if (existing) {
    existing.port = port;
    existing.socket = socket;
    if (onListening) existing.onListening = onListening;
    return;
  }
  const state = { port, socket, onListening };
  holder[STATE] = state;
  const proto = net.Server.prototype;
  const original = proto.listen;
  /**
   * @this {net.Server}
   * @param {...any} args
   */
  function listen(...args) {
    const server = this;
    let effective = args;
    try {
      effective = redirectedListen(args, state.port, state.socket) ?? args;
    } catch {
      // never throws into the app
    }
    const check = () => {
      try {
        const address = server.address();
        if (state.onListening && (isPortAddress(address, state.port) || isPortAddress(address, state.socket))) state.onListening(server);
      } catch {
        // never throws into the app
      }
    };
    server.once('listening', check);
    try {
      return original.apply(server, /** @type {any} */ (effective));
    } catch (err) {
      server.removeListener('listening', check);
      throw err;
    }
  }
  Object.defineProperty(listen, 'name', { value: 'listen' });
  proto.listen = /** @type {any} */ (listen);
}
