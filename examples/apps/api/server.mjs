// Example "api" pool: a JSON API on plain node:http. Serves HTTP/1.1 on $PORT (socket path or TCP
// port); the front door forwards the full path, so routes include the /api prefix.
import http from 'node:http';

const port = process.env.PORT ?? '3001';
const listenOn = isNaN(+port) ? port : +port;
const worker = process.env.PADDOCK_WORKER ?? 'unmanaged';

/** @type {Record<string, (url: URL) => unknown>} */
const ROUTES = {
  '/api/time': () => ({ now: new Date().toISOString() }),
  '/api/hello': (url) => ({ hello: url.searchParams.get('name') ?? 'world' }),
  '/api/pid': () => ({ pid: process.pid, worker, pool: process.env.PADDOCK_POOL ?? null }),
};

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://api');
  const route = ROUTES[url.pathname];
  const status = route === undefined ? 404 : 200;
  const body = JSON.stringify(route === undefined ? { error: 'not found', path: url.pathname } : route(url));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
});

server.listen(listenOn, () => console.log(`api worker ${worker} pid ${process.pid} listening on ${port}`));
