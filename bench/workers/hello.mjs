// Hello-world upstream: the same app behind every front door in the bench (a copy of the anchors'
// worker.mjs, so the bench runs without ../shared). Two extra routes serve only the fault figures:
//   /pid   "pid <pid>": tells which worker answered (hang and recycle figures)
//   /hang  answers "hanging pid <pid>", then spins the event loop forever: an endless loop in one
//          worker, reached after the trigger request itself succeeded
import http from 'node:http';

const body = Buffer.from('hello world\n');

/** Spins forever; the name shows up in hang stacks. */
function spinForever() {
  // eslint-disable-next-line no-constant-condition
  while (true) {
    // deliberately blocked
  }
}

/** @param {http.ServerResponse} res @param {string} text */
function sendText(res, text) {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  if (req.url === '/pid') return sendText(res, `pid ${process.pid}`);
  if (req.url === '/hang') {
    sendText(res, `hanging pid ${process.pid}`);
    setImmediate(spinForever);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65000;
const port = process.env.PORT || '9001';
if (isNaN(+port)) server.listen(port);
else server.listen(+port, '127.0.0.1');
