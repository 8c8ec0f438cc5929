/**
 * Reads a V8 CPU profile (`node --cpu-prof`, the `.cpuprofile` JSON the Chrome DevTools protocol
 * defines as Profiler.Profile) and says where the busy time went: self time by function, and by
 * area (a source file of ours, Node's own JavaScript, native code, V8, the garbage collector).
 * Idle samples are left out, so the shares are of the time the process was actually working.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

/** The fields of a `.cpuprofile` this summary reads. */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One line of a summary: a name, its self time and its share of the busy time. */
export interface SelfTime {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  /** Busy time sampled (idle excluded), in ms. */
  readonly busyMs: number;
  /** Self time by function, largest first. */
  readonly functions: readonly SelfTime[];
  /** Self time by area (file, Node internals, native, V8, GC), largest first. */
  readonly areas: readonly SelfTime[];
}

/** V8's pseudo-frames for time not spent in a JavaScript function. */
const PSEUDO: Readonly<Record<string, string>> = {
  '(program)': 'V8 (program)',
  '(garbage collector)': 'garbage collector',
  '(root)': 'V8 (program)',
};

/** A short location: the path from `src/` or `bench/` on for our files, `node:x` for Node's. */
function shortUrl(url: string): string {
  const at = url.search(/\/(src|bench|test)\//);
  if (at >= 0) return url.slice(at + 1);
  return url.replace(/^file:\/\//, '');
}

function areaOf(frame: CallFrame): string {
  const pseudo = PSEUDO[frame.functionName];
  if (pseudo !== undefined) return pseudo;
  if (frame.url === '') return `native ${frame.functionName || '(anonymous)'}`;
  if (frame.url.startsWith('node:')) return 'Node internals (node:*)';
  return shortUrl(frame.url);
}

function functionOf(frame: CallFrame): string {
  const pseudo = PSEUDO[frame.functionName];
  if (pseudo !== undefined) return pseudo;
  const name = frame.functionName || '(anonymous)';
  if (frame.url === '') return `${name} (native)`;
  return `${name} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

function ranked(totals: Map<string, number>, busyMs: number): SelfTime[] {
  return [...totals]
    .map(([name, ms]) => ({ name, ms, share: busyMs > 0 ? ms / busyMs : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

/** Self time by function and by area; idle samples are not counted. */
export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map<number, CallFrame>();
  for (const n of profile.nodes) byId.set(n.id, n.callFrame);
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  let busyUs = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const frame = byId.get(samples[i]);
    if (frame === undefined || frame.functionName === '(idle)') continue;
    // timeDeltas[i] is the gap before sample i; the gap after it is the time it stands for.
    const us = Math.max(0, timeDeltas[i + 1] ?? timeDeltas[i] ?? 0);
    busyUs += us;
    const f = functionOf(frame);
    fns.set(f, (fns.get(f) ?? 0) + us);
    const a = areaOf(frame);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const busyMs = busyUs / 1000;
  const toMs = (m: Map<string, number>): Map<string, number> => new Map([...m].map(([k, v]) => [k, v / 1000]));
  return { busyMs, functions: ranked(toMs(fns), busyMs), areas: ranked(toMs(areas), busyMs) };
}

/** Reads and summarises a `.cpuprofile` file. */
export function summarizeProfileFile(file: string): ProfileSummary {
  return summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
}

/** The top `n` lines as a Markdown table. */
export function selfTimeTable(title: string, rows: readonly SelfTime[], n: number): string {
  const lines = [`| ${title} | self ms | share |`, '|---|---:|---:|'];
  for (const r of rows.slice(0, n)) lines.push(`| ${r.name.replace(/\|/g, '\\|')} | ${r.ms.toFixed(0)} | ${(r.share * 100).toFixed(1)} % |`);
  return lines.join('\n');
}
