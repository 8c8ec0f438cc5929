/**
 * A strict reader of W3C extended log files (W3C WD-logfile-960323, as IIS writes them): directive
 * lines start with '#', a `#Fields:` directive names the fields of the entries after it (it may
 * appear again, e.g. after a restart), and every entry holds exactly that many space-separated
 * tokens. Anything else is an error naming the line, so a test that reads a log also checks its form.
 */

export interface W3cLog {
  /** The last value of each directive; `Fields` as a list. */
  readonly directives: Record<string, string> & { Fields?: string[] };
  readonly rows: Array<Record<string, string>>;
}

/** Parses a W3C extended log; throws on the first malformed line. */
export function readW3c(text: string): W3cLog {
  const directives: Record<string, string> & { Fields?: string[] } = {};
  const rows: Array<Record<string, string>> = [];
  let fields: string[] | null = null;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  else if (lines.length > 0) throw new Error(`line ${lines.length}: the file does not end with a newline`);
  lines.forEach((line, i) => {
    const n = i + 1;
    if (line.endsWith('\r')) throw new Error(`line ${n}: a carriage return (IIS and Paddock end lines with LF only here)`);
    if (line.startsWith('#')) {
      const m = /^#([A-Za-z-]+): ?(.*)$/.exec(line);
      if (!m) throw new Error(`line ${n}: malformed directive ${JSON.stringify(line)}`);
      if (m[1] === 'Fields') {
        fields = m[2].split(' ');
        if (fields.some((f) => !/^[a-z-]+(\([A-Za-z0-9-]+\))?$|^[a-z]+-[a-z-]+$/.test(f))) throw new Error(`line ${n}: a field name that is not W3C: ${m[2]}`);
        directives.Fields = fields;
      } else {
        directives[m[1]] = m[2];
      }
      return;
    }
    if (fields === null) throw new Error(`line ${n}: an entry before any #Fields directive`);
    const tokens = line.split(' ');
    if (tokens.length !== fields.length) throw new Error(`line ${n}: ${tokens.length} tokens for ${fields.length} fields: ${JSON.stringify(line)}`);
    if (tokens.some((t) => t === '')) throw new Error(`line ${n}: an empty token (a missing value is '-')`);
    const row: Record<string, string> = {};
    fields.forEach((f, j) => (row[f] = tokens[j]));
    if ('date' in row && !/^\d{4}-\d{2}-\d{2}$/.test(row.date)) throw new Error(`line ${n}: date ${row.date} is not YYYY-MM-DD`);
    if ('time' in row && !/^\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(row.time)) throw new Error(`line ${n}: time ${row.time} is not HH:MM:SS`);
    rows.push(row);
  });
  return { directives, rows };
}
