/**
 * `npm run build` (run by `prepack`): src/ to dist/, JavaScript for the npm package. Node never
 * strips types under node_modules (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING), so the package
 * carries JavaScript.
 *
 * Each file goes through `module.stripTypeScriptTypes`, the very transform Node applies when it
 * runs the sources in development, so the package runs the code the tests ran: types become
 * spaces, every line and column stays where it was (stack traces in crash reports point at the
 * same lines as src/), and the whole tree takes well under a second (tsc needs several). The
 * sources use erasable syntax only (tsconfig `erasableSyntaxOnly`), which is what makes stripping
 * a complete compile. Then relative `./x.ts` specifiers become `./x.js`, the worker SDK (already
 * plain .mjs), the dashboard's HTML and the notification helpers are copied as they are, and the output is checked for what
 * would fail only once installed: a relative import of a file that dist/ does not have.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');

/** Development-only files under src/: tests and their helpers. */
const DEV_ONLY = [/\.test\.(ts|mjs)$/, /^admin\/fake-host-control\.ts$/, /^admin\/test-http\.ts$/, /^worker-sdk\/worker-test-peer\.ts$/];
/** Copied as they are: plain JavaScript and the files code reads beside itself. */
const COPIED = /\.(mjs|js|html|css|json|pl|py)$/;
/** A relative module specifier in an import or export declaration, or in import(). */
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"\n]+)\2/g;

/** Every file under `dir`, as paths relative to it with "/" separators. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'));
}

/** `./x.ts` → `./x.js` in every relative specifier; other text is left alone. */
export function rewriteSpecifiers(code: string): string {
  return code.replace(SPECIFIER, (whole, lead: string, quote: string, spec: string) =>
    spec.endsWith('.ts') ? `${lead}${quote}${spec.slice(0, -3)}.js${quote}` : whole);
}

/** Compiles src/ into dist/; returns what it wrote, or the problems that make the output unusable. */
export function build(): { written: number; problems: string[] } {
  rmSync(dist, { recursive: true, force: true });
  let written = 0;
  for (const file of files(src)) {
    if (DEV_ONLY.some((re) => re.test(file))) continue;
    const from = join(src, file);
    if (file.endsWith('.ts')) {
      const out = join(dist, file.slice(0, -3) + '.js');
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, rewriteSpecifiers(stripTypeScriptTypes(readFileSync(from, 'utf8'), { mode: 'strip' })));
      written++;
    } else if (COPIED.test(file)) {
      cpSync(from, join(dist, file));
      written++;
    }
  }
  const problems: string[] = [];
  for (const file of files(dist)) {
    if (!/\.m?js$/.test(file)) continue;
    for (const m of readFileSync(join(dist, file), 'utf8').matchAll(SPECIFIER)) {
      if (!existsSync(join(dist, dirname(file), m[3]))) problems.push(`${file}: imports ${m[3]}, which dist/ does not have`);
    }
  }
  return { written, problems };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { written, problems } = build();
  if (problems.length > 0) {
    process.stderr.write(`build: the compiled code refers to files the package would not have:\n  ${problems.join('\n  ')}\n`);
    process.exit(1);
  }
  // stderr: `npm pack --json` prints its own JSON on stdout, after this script.
  process.stderr.write(`build: ${written} files in ${relative(process.cwd(), dist) || dist}\n`);
}
