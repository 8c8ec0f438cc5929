// The overload figure's upstream: every request is answered after SERVICE_MS (default 20 ms) of
// waiting, not computing, so a front door's concurrency limit alone sets what it serves
// (limit ÷ SERVICE_MS requests per second) and the machine's CPU does not.
import http from 'node:http';

const serviceMs = Number(process.env.SERVICE_MS ?? 20);
const body = Buffer.from('served\n');
const server = http.createServer((req, res) => {
  req.resume();
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  }, serviceMs);
});
server.keepAliveTimeout = 65000;
const port = process.env.PORT || '9001';
if (isNaN(+port)) server.listen(port);
else server.listen(+port, '127.0.0.1');
