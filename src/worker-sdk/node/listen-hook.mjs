// Ready detection for an unmodified app: wrap net.Server.prototype.listen (which http, https and
// http2 servers inherit) and notice the server that starts listening on the worker's PORT. The
// wrapper only adds a 'listening' listener; arguments, return value and errors are the original's.
import net from 'node:net';
import path from 'node:path';

const HOOKED = Symbol.for('paddock.worker-sdk.listen-hook');

/**
 * True when a server's bound address is the worker's PORT: the same socket path, or the same TCP
 * port on any address.
 * @param {string | net.AddressInfo | null} address what `server.address()` returned
 * @param {string} port the PORT variable: a socket path or a TCP port number
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
 * Wraps `net.Server.prototype.listen` once per process; `onListening(server)` runs for every
 * server whose bound address is `port`.
 * @param {string} port
 * @param {(server: net.Server) => void} onListening
 */
export function hookListen(port, onListening) {
  const proto = /** @type {net.Server & { [HOOKED]?: boolean }} */ (net.Server.prototype);
  if (proto[HOOKED] === true) return;
  proto[HOOKED] = true;
  const original = proto.listen;
  /**
   * @this {net.Server}
   * @param {...any} args
   */
  function listen(...args) {
    const server = this;
    const check = () => {
      try {
        if (isPortAddress(server.address(), port)) onListening(server);
      } catch {
        // never throws into the app
      }
    };
    server.once('listening', check);
    try {
      return original.apply(server, /** @type {any} */ (args));
    } catch (err) {
      server.removeListener('listening', check);
      throw err;
    }
  }
  Object.defineProperty(listen, 'name', { value: 'listen' });
  proto.listen = /** @type {any} */ (listen);
}
