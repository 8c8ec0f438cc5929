/**
 * Keeps secrets out of reports. Node's report is taken with `--report-exclude-env`, and no report
 * copies the environment; this is the second line: a value of the worker's environment whose name looks
 * secret (TOKEN, SECRET, PASSWORD, KEY, ...) is replaced wherever it shows up — in stderr tails, in
 * gdb's argument dumps, in error messages. The host's own environment counts too: workers inherit it.
 */

const SECRET_NAME = /secret|token|passw|pwd|key|auth|credential|cookie|session|private|signature|salt/i;
/** Shorter values would redact ordinary words and digits. */
const MIN_SECRET_LENGTH = 6;

/** Pairs of (value, replacement) for the secret-looking entries of an environment. */
export function secretsOf(env: Readonly<Record<string, string>>): ReadonlyArray<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  for (const [name, value] of Object.entries(env)) {
    if (SECRET_NAME.test(name) && typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) {
      out.push([value, `[redacted ${name}]`]);
    }
  }
  // Longest first, so a secret that contains another is replaced whole.
  return out.sort((a, b) => b[0].length - a[0].length);
}

/** `text` with every secret value replaced. */
export function redactText(text: string, secrets: ReadonlyArray<readonly [string, string]>): string {
  let out = text;
  for (const [value, replacement] of secrets) if (out.includes(value)) out = out.split(value).join(replacement);
  return out;
}

/** A JSON value with every string redacted (keys included). */
export function redactValue<T>(value: T, secrets: ReadonlyArray<readonly [string, string]>): T {
  if (secrets.length === 0) return value;
  return JSON.parse(redactText(JSON.stringify(value), secrets.map(([v, r]) => [jsonInner(v), jsonInner(r)] as const))) as T;
}

/** A string as it appears inside a JSON string literal (quotes and backslashes escaped). */
function jsonInner(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}
