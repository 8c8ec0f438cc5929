import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { canTransitionWorker, transitionWorker, workerTransitions, IllegalTransitionError } from './worker-state.ts';
import { poolTransitions, transitionPool } from '../pools/pool-state.ts';

/** The arrows of the n-th mermaid state diagram of docs/lifecycle.md, as "from>to". */
function diagramEdges(n: number): string[] {
  const doc = readFileSync(new URL('../../docs/lifecycle.md', import.meta.url), 'utf8');
  const block = [...doc.matchAll(/```mermaid\n([\s\S]*?)```/g)][n][1];
  return [...block.matchAll(/^\s*(\w+) --> (\w+)/gm)].map((m) => `${m[1]}>${m[2]}`).sort();
}

function tableEdges(table: Readonly<Record<string, readonly string[]>>): string[] {
  return Object.entries(table).flatMap(([from, tos]) => tos.map((to) => `${from}>${to}`)).sort();
}

test('the diagrams in docs/lifecycle.md draw exactly the transition tables', () => {
  assert.deepEqual(diagramEdges(0), tableEdges(poolTransitions));
  assert.deepEqual(diagramEdges(1), tableEdges(workerTransitions));
});

test('illegal moves are rejected with a stable code', () => {
  assert.equal(canTransitionWorker('stopped', 'ready'), false);
  assert.throws(() => transitionWorker('orphaned', 'ready'), (e: unknown) => e instanceof IllegalTransitionError && e.code === 'PADDOCK_ILLEGAL_TRANSITION');
  assert.throws(() => transitionPool('stopped', 'stopping'), IllegalTransitionError);
  assert.equal(transitionWorker('ready', 'draining'), 'draining');
});
