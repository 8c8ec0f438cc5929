/**
 * The dashboard: one self-contained page (no build step, no external assets) that reads the same
 * admin API as the CLI — pools, workers, events, crashes — and offers start / stop / recycle.
 * Served on the admin TCP listener at `/` (open it once as `/?token=T`; a cookie keeps the token).
 */
import { readFileSync } from 'node:fs';

const page = readFileSync(new URL('./dashboard.html', import.meta.url), 'utf8');

/** The dashboard's HTML. */
export function dashboardHtml(): string {
  return page;
}
