// The layout is a picture of the design (STYLE.md habit 1): no file imports itself back through
// others, and no folder imports a folder that imports it back (a subfolder counts as a folder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { repoRoot } from './helpers/test-host.ts';

const srcRoot = join(repoRoot, 'src');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mjs)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** Every file of src/ (tests aside) and the files of src/ it imports, statically or dynamically. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(srcRoot)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles
      .map((f) => f.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => resolve(dirname(file), name))
      .filter((target) => target.startsWith(srcRoot + '/'));
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components with more than one member (Tarjan). */
function circles(graph: Map<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const members: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        members.push(w);
      } while (w !== v);
      if (members.length > 1) found.push(members);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const name = (path: string): string => relative(srcRoot, path) || '.';

test('the tool that draws the graph finds a circle when there is one', () => {
  const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
  assert.deepEqual(circles(g).map((c) => c.sort()), [['a', 'b', 'c']]);
  assert.deepEqual(circles(new Map([['a', ['b']], ['b', []]])), []);
});

test('no file of src/ imports itself back through other files', () => {
  const graph = importGraph();
  assert.ok(graph.size > 100, `read ${graph.size} files`);
  const found = circles(graph).map((c) => c.map(name).sort().join(' → '));
  assert.deepEqual(found, []);
});

test('no folder of src/ imports a folder that imports it back', () => {
  const folders = new Map<string, Set<string>>();
  const why = new Map<string, string>();
  for (const [file, targets] of importGraph()) {
    const from = name(dirname(file));
    for (const target of targets) {
      const to = name(dirname(target));
      if (from === to) continue;
      if (!folders.has(from)) folders.set(from, new Set());
      folders.get(from)!.add(to);
      why.set(`${from}|${to}`, `${name(file)} imports ${name(target)}`);
    }
  }
  const graph = new Map([...folders].map(([k, v]) => [k, [...v]] as const));
  for (const to of [...folders.values()].flatMap((s) => [...s])) if (!graph.has(to)) graph.set(to, []);
  const found = circles(graph).map((members) => {
    const edges = members.flatMap((a) => members.map((b) => why.get(`${a}|${b}`)).filter((e) => e !== undefined));
    return `${members.sort().join(' ⇄ ')}: ${edges.join('; ')}`;
  });
  assert.deepEqual(found, []);
});
