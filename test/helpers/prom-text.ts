/**
 * A small strict parser of the Prometheus text exposition format 0.0.4: every sample must belong to
 * a family declared by `# TYPE` before it, labels must be well formed and not repeated, values must
 * be numbers, and each histogram series must have increasing `le` bounds, cumulative counts, a
 * `+Inf` bucket equal to its `_count`, and a `_sum`. A violation throws naming the line.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  readonly samples: Sample[];
}

export interface Exposition {
  readonly families: ReadonlyMap<string, Family>;
  /** The value of the one sample with this name and exactly these labels; undefined when absent. */
  value(name: string, labels?: Readonly<Record<string, string>>): number | undefined;
  /** Every sample of this name whose labels include `labels`. */
  samples(name: string, labels?: Readonly<Record<string, string>>): Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SUFFIXES: Record<string, readonly string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'], counter: [''], gauge: [''], untyped: [''] };

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    if (!m) throw new Error(`line ${line}: malformed label at ${JSON.stringify(text.slice(i))}`);
    i += m[0].length;
    let value = '';
    for (;;) {
      if (i >= text.length) throw new Error(`line ${line}: unterminated label value`);
      const c = text[i++];
      if (c === '"') break;
      if (c === '\\') {
        const e = text[i++];
        if (e === 'n') value += '\n';
        else if (e === '\\' || e === '"') value += e;
        else throw new Error(`line ${line}: bad escape \\${e}`);
      } else value += c;
    }
    if (m[1] in labels) throw new Error(`line ${line}: label ${m[1]} repeated`);
    labels[m[1]] = value;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`line ${line}: expected ',' between labels`);
  }
  return labels;
}

function parseValue(text: string, line: number): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: value ${JSON.stringify(text)} is not a number`);
  return Number(text);
}

function familyOf(families: Map<string, Family>, name: string): Family | undefined {
  for (const f of families.values()) if (SUFFIXES[f.type].some((s) => f.name + s === name)) return f;
  return undefined;
}

function checkHistogram(f: Family): void {
  const series = new Map<string, { buckets: Array<[number, number]>; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let e = series.get(key);
    if (!e) series.set(key, (e = { buckets: [] }));
    if (s.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${f.name}: a bucket without le`);
      e.buckets.push([parseValue(le, 0), s.value]);
    } else if (s.name.endsWith('_sum')) e.sum = s.value;
    else e.count = s.value;
  }
  for (const [key, e] of series) {
    if (e.sum === undefined || e.count === undefined) throw new Error(`${f.name}${key}: _sum or _count missing`);
    for (let i = 1; i < e.buckets.length; i++) {
      if (!(e.buckets[i][0] > e.buckets[i - 1][0])) throw new Error(`${f.name}${key}: le bounds not increasing`);
      if (e.buckets[i][1] < e.buckets[i - 1][1]) throw new Error(`${f.name}${key}: bucket counts not cumulative`);
    }
    const inf = e.buckets.at(-1);
    if (!inf || inf[0] !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    if (inf[1] !== e.count) throw new Error(`${f.name}${key}: +Inf bucket ${inf[1]} != _count ${e.count}`);
  }
}

/** Parses an exposition; throws on the first violation. */
export function parseProm(text: string): Exposition {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trimEnd();
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return; // other comments are allowed
      const [, kind, name, rest = ''] = m;
      if (!NAME.test(name)) throw new Error(`line ${n}: bad metric name ${name}`);
      let f = families.get(name);
      if (kind === 'TYPE') {
        if (f && f.samples.length > 0) throw new Error(`line ${n}: TYPE of ${name} after its samples`);
        if (f && f.type !== 'untyped') throw new Error(`line ${n}: TYPE of ${name} given twice`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`line ${n}: unknown type ${rest}`);
        families.set(name, { name, type: rest as Family['type'], help: f?.help ?? '', samples: [] });
      } else {
        if (!f) families.set(name, (f = { name, type: 'untyped', help: '', samples: [] }));
        f.help = rest;
      }
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`line ${n}: malformed sample ${JSON.stringify(line)}`);
    const [, name, labelText = '', valueText] = m;
    const f = familyOf(families, name);
    if (!f || f.type === 'untyped') throw new Error(`line ${n}: sample ${name} has no # TYPE before it`);
    const labels = parseLabels(labelText, n);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${n}: the same series twice: ${key}`);
    seen.add(key);
    f.samples.push({ name, labels, value: parseValue(valueText, n) });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  const all = (): Sample[] => [...families.values()].flatMap((f) => f.samples);
  const includes = (s: Sample, labels: Readonly<Record<string, string>>): boolean => Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  return {
    families,
    samples: (name, labels = {}) => all().filter((s) => s.name === name && includes(s, labels)),
    value: (name, labels = {}) => {
      const found = all().filter((s) => s.name === name && includes(s, labels) && Object.keys(s.labels).length === Object.keys(labels).length);
      if (found.length > 1) throw new Error(`${name}${JSON.stringify(labels)}: ${found.length} samples`);
      return found[0]?.value;
    },
  };
}
