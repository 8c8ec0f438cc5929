import { test } from 'node:test';
import assert from 'node:assert/strict';
import { framesOf, requestThreads } from './request-stacks.ts';

test('a traced request becomes a thread named by it, with the stack deepest in the app\'s own code', () => {
  const threads = requestThreads([{
    method: 'GET',
    path: '/users/7',
    ageMs: 1200,
    stacks: [
      '    at Promise.then (<anonymous>)\n    at Server.<anonymous> (file:///app/server.js:20:3)\n    at Server.emit (node:events:514:28)',
      '    at lookUpUser (file:///app/db.js:4:37)\n    at handler (file:///app/server.js:5:42)\n    at Server.emit (node:events:514:28)',
    ],
  }]);
  assert.equal(threads.length, 1);
  assert.equal(threads[0].name, 'GET /users/7, waiting 1200 ms');
  assert.deepEqual(threads[0].frames.map((f) => `${f.function} ${f.file}:${f.line}`), ['lookUpUser file:///app/db.js:4', 'handler file:///app/server.js:5', 'Server.emit node:events:514']);
});

test('a request whose trace holds no stack gets no frames', () => {
  assert.deepEqual(requestThreads([{ method: 'GET', path: '/', ageMs: 1, stacks: [] }])[0].frames, []);
  assert.deepEqual(framesOf('Error\nnot a frame'), []);
});
