/**
 * Loads the YAML configuration file: parse, validate, cross-check, merge and resolve. A bad file
 * yields every error at once, each with its key path and line, and nothing is started from it
 * (DESIGN §3: `paddock check` and the host report a bad file with the key path and line).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { z } from 'zod';
import { formatPath } from './config-error.ts';
import type { ConfigError, PathSegment, Problem } from './config-error.ts';
import { crossCheck } from './cross-check.ts';
import { suggestion } from './did-you-mean.ts';
import { locate, positionOf } from './locate.ts';
import { resolveConfig } from './resolve.ts';
import { fileSchema } from './schema.ts';
import type { HostConfig } from './types.ts';
import { show } from './units.ts';

export { formatConfigError } from './config-error.ts';
export type { ConfigError } from './config-error.ts';

/** The outcome of loading a file: a resolved config, or every error found in it. */
export type ConfigResult = { ok: true; config: HostConfig } | { ok: false; errors: ConfigError[] };

/** An alias bomb ("billion laughs") is refused past this many alias expansions. */
const MAX_ALIAS_COUNT = 1000;

const TYPE_NAMES: Readonly<Record<string, string>> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
};

/** The schema node at `path`, seen through optional/nullable wrappers and preprocessing pipes. */
function schemaAt(path: readonly PathSegment[]): z.ZodType | null {
  const unwrap = (s: z.ZodType): z.ZodType => {
    for (;;) {
      if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
      else if (s instanceof z.ZodPipe) s = (s.in instanceof z.ZodTransform || s.in instanceof z.ZodUnknown ? s.out : s.in) as z.ZodType;
      else return s;
    }
  };
  let s: z.ZodType = unwrap(fileSchema);
  for (const seg of path) {
    let next: unknown;
    if (s instanceof z.ZodObject) next = (s.shape as Record<string, unknown>)[String(seg)];
    else if (s instanceof z.ZodRecord) next = s.valueType;
    else if (s instanceof z.ZodArray) next = s.element;
    if (!(next instanceof z.ZodType)) return null;
    s = unwrap(next);
  }
  return s;
}

function knownKeysAt(path: readonly PathSegment[]): string[] {
  const s = schemaAt(path);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** One zod issue as problems in the file's terms (an unknown-keys issue names several keys). */
function problemsOf(issue: z.core.$ZodIssue): Problem[] {
  const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(path);
      return issue.keys.map((key) => ({
        path: [...path, key],
        at: 'key',
        code: 'CONFIG_UNKNOWN_KEY',
        message: `unknown key '${key}'${suggestion(key, known)}`,
      }));
    }
    case 'invalid_key': {
      const why = issue.issues[0]?.message ?? issue.message;
      return [{ path, at: 'key', code: 'CONFIG_BAD_KEY', message: `${why}: '${String(path.at(-1))}'` }];
    }
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      const message = issue.input === undefined ? 'required key is missing' : `expected ${expected}, got ${show(issue.input)}`;
      return [{ path, at: 'value', code: issue.input === undefined ? 'CONFIG_MISSING_KEY' : 'CONFIG_BAD_TYPE', message }];
    }
    case 'custom': {
      const code = typeof issue.params?.code === 'string' ? issue.params.code : 'CONFIG_INVALID';
      return [{ path, at: 'value', code, message: issue.message }];
    }
    default:
      return [{ path, at: 'value', code: 'CONFIG_INVALID', message: issue.message }];
  }
}

function placed(doc: Document, lineCounter: LineCounter, p: Problem): ConfigError {
  const pos = locate(doc, lineCounter, p.path, p.at);
  return { path: formatPath(p.path), line: pos?.line ?? null, column: pos?.column ?? null, message: p.message, code: p.code };
}

/** Errors in file order, each reported once. */
function ordered(errors: readonly ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const key = `${e.path}\0${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const rank = (n: number | null): number => n ?? Number.MAX_SAFE_INTEGER;
  return unique.sort((a, b) => rank(a.line) - rank(b.line) || rank(a.column) - rank(b.column));
}

/** Parses and validates configuration text; `file` names it in errors and anchors relative paths. */
export function parseConfig(text: string, file: string): ConfigResult {
  const lineCounter = new LineCounter();
  // `merge: true` keeps YAML 1.1 merge keys (`<<: *base`) working, as operators expect from
  // docker-compose files; uniqueKeys makes a repeated key an error instead of a silent override.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: ordered(doc.errors.map((e) => {
        const pos = positionOf(lineCounter, e.pos[0]);
        return { path: '', line: pos.line, column: pos.column, message: `YAML: ${e.message}`, code: 'CONFIG_YAML' };
      })),
    };
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    return { ok: false, errors: [{ path: '', line: 1, column: 1, message: `YAML: ${(err as Error).message}`, code: 'CONFIG_YAML' }] };
  }
  raw ??= {}; // an empty file is a host with default bindings and no sites
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      errors: [{ path: '', line: 1, column: 1, code: 'CONFIG_BAD_TYPE',
        message: `the file must be a mapping of keys (dataDir, listen, sites, pools, ...), got ${show(raw)}` }],
    };
  }

  const problems: Problem[] = [];
  const parsed = fileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) problems.push(...parsed.error.issues.flatMap(problemsOf));
  problems.push(...crossCheck(raw as Record<string, unknown>));
  if (parsed.success && problems.length === 0) {
    const resolved = resolveConfig(parsed.data, file);
    if (resolved.problems.length === 0) return { ok: true, config: resolved.config };
    problems.push(...resolved.problems);
  }
  return { ok: false, errors: ordered(problems.map((p) => placed(doc, lineCounter, p))) };
}

/** Reads, parses and validates the configuration file at `file` (relative to the working directory). */
export function loadConfig(file: string): ConfigResult {
  const absFile = resolve(file);
  let text: string;
  try {
    text = readFileSync(absFile, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
    return { ok: false, errors: [{ path: '', line: null, column: null, code: 'CONFIG_READ', message: `cannot read the configuration file: ${why}` }] };
  }
  return parseConfig(text, absFile);
}
