/**
 * The dashboard: one page (no build step, nothing fetched from elsewhere) that reads the same admin
 * API as the CLI — pools, workers, events, crashes, history, logs — and offers start / stop /
 * recycle. Its scripts (beside this file) and the chart library, uPlot from npm, are inlined into
 * the page when the host starts, so the host serves everything and no CDN is involved.
 * Served on the admin TCP listener at `/` (open it once as `/?token=T`; a cookie keeps it).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The page's scripts, in the order they run. */
const SCRIPTS = ['core.js', 'overview.js', 'charts.js', 'crash-page.js', 'log-view.js', 'main.js'];

const read = (name: string): string => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');

/** A script's text made safe inside a <script> element (no early "</script"). */
const inline = (js: string): string => `<script>\n${js.replace(/<\/(script)/gi, '<\\/$1')}\n</script>`;

function build(): string {
  const require = createRequire(import.meta.url);
  const uplotJs = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const scripts = [inline(uplotJs), ...SCRIPTS.map((s) => inline(read(s)))].join('\n');
  return read('dashboard.html').replace('/*UPLOT_CSS*/', () => uplotCss).replace('<!--SCRIPTS-->', () => scripts);
}

let page: string | null = null;

/** The dashboard's HTML. */
export function dashboardHtml(): string {
  page ??= build();
  return page;
}
