// The interference figure's noisy neighbour: from the moment it starts it writes 128-byte lines to
// stdout as fast as the pipe takes them, for as long as it lives, and still serves HTTP and answers
// the host's pings (the host injects the worker SDK): the writes wait for the pipe, and the loop
// yields to the event loop between batches.
//   /count  JSON { bytes, lines }: what it has written so far
//   else    "noisy pid <pid>"
import http from 'node:http';

const LINE_BYTES = 128;
const LINES_PER_BATCH = 512;
/** Batches written between two turns of the event loop. */
const BATCHES_PER_TURN = 8;

let bytes = 0;
let lines = 0;

/** @param {number} first the number of the first line */
function batch(first) {
  const parts = [];
  for (let i = 0; i < LINES_PER_BATCH; i++) {
    const head = `noisy ${process.pid} line ${first + i} `;
    parts.push(head.padEnd(LINE_BYTES - 1, 'x') + '\n');
  }
  return Buffer.from(parts.join(''));
}

async function flood() {
  for (;;) {
    for (let b = 0; b < BATCHES_PER_TURN; b++) {
      const buf = batch(lines);
      await new Promise((resolve) => process.stdout.write(buf, resolve));
      bytes += buf.length;
      lines += LINES_PER_BATCH;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const server = http.createServer((req, res) => {
  const text = req.url?.endsWith('/count') ? JSON.stringify({ bytes, lines }) : `noisy pid ${process.pid}`;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
  res.end(text);
});
server.keepAliveTimeout = 65000;
const port = process.env.PORT || '9001';
if (isNaN(+port)) server.listen(port);
else server.listen(+port, '127.0.0.1');
void flood();
