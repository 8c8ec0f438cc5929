// Example "web" pool: a plain node:http app that knows nothing about Paddock. Under
// `runtime: node` the host injects the worker SDK, so ready, ping, drain and the event-loop watch
// work without a line of Paddock code here. Serves HTTP/1.1 on $PORT (socket path or TCP port).
import http from 'node:http';

const port = process.env.PORT ?? '3000';
const listenOn = isNaN(+port) ? port : +port;
const worker = process.env.PADDOCK_WORKER ?? 'unmanaged';

/** The example pools, as examples/paddock.yaml routes them. */
const POOLS = [
  { pool: 'web', path: '/', what: 'this page: Node, plain node:http' },
  { pool: 'api', path: '/api/time', what: 'JSON API: Node ESM (/api/time, /api/hello?name=, /api/pid)' },
  { pool: 'py', path: '/py/', what: 'Python standard library, no control channel (ready = PORT accepts)' },
  { pool: 'py-channel', path: '/py-channel/', what: 'Python worker that speaks the control channel' },
];

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** @param {string} title @param {string} body */
function page(title, body) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}
code{background:#f3f3f3;padding:0 .25rem}td,th{padding:.25rem .75rem;text-align:left}</style></head>
<body><nav><a href="/">Home</a> · <a href="/about">About</a></nav>${body}
<footer><p><small>served by worker <code>${escapeHtml(worker)}</code>, pid ${process.pid}</small></p></footer>
</body></html>`;
}

function home() {
  const rows = POOLS.map((p) =>
    `<tr><td><code>${p.pool}</code></td><td><a href="${p.path}">${p.path}</a></td><td>${escapeHtml(p.what)}</td></tr>`).join('');
  return page('Paddock examples', `<h1>Paddock examples</h1>
<p>Each pool below runs in its own worker processes behind the same front door.</p>
<table><thead><tr><th>pool</th><th>try</th><th>what</th></tr></thead><tbody>${rows}</tbody></table>`);
}

function about() {
  return page('About', `<h1>About</h1>
<p>Paddock is an application-pool host: one front door, and isolated worker processes per pool,
recycled, health-checked and restarted the way IIS 6.0 does in worker process isolation mode.</p>`);
}

const server = http.createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://web').pathname;
  const html = path === '/' ? home() : path === '/about' ? about() : null;
  const body = html ?? page('Not found', '<h1>Not found</h1>');
  res.writeHead(html === null ? 404 : 200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
});

server.listen(listenOn, () => console.log(`web worker ${worker} pid ${process.pid} listening on ${port}`));
