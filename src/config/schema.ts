/**
 * The zod schema of the YAML file (DESIGN §3), with IIS `applicationHost.config` names. Every
 * object is strict: an unknown key is an error, because a misspelt IIS name would otherwise be
 * silently ignored and the pool would run on a default the operator did not choose.
 *
 * Values are converted to resolved units here (milliseconds, bytes), but keys stay optional: the
 * defaults (defaults.ts) are applied after `applicationPoolDefaults` is merged into each pool, so
 * that the merge can tell a key the file set from one it left out.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { parseBinding } from './binding.ts';
import { suggestion } from './did-you-mean.ts';
import { normaliseAppPath, normaliseHostPattern } from './routes.ts';
import { RECYCLE_EVENT_NAMES } from './defaults.ts';
import type { RecycleEventName } from './types.ts';
import { ConfigValueError, parseCpuLimit, parseDuration, parseMemory, show } from './units.ts';
import type { BareMemoryUnit } from './units.ts';

/** Pool names: used in paths, URLs, metrics labels and file names, so kept to a safe set. */
export const POOL_NAME = /^[A-Za-z0-9_.-]+$/;

/** A value read by `parse`, which throws ConfigValueError; the message becomes the issue. */
function value<T>(parse: (v: unknown) => T) {
  return z.unknown().transform((v, ctx): T => {
    if (v === undefined) {
      // Only required keys get here: optional ones are wrapped in .optional(), which skips undefined.
      ctx.addIssue({ code: 'custom', message: 'required key is missing', params: { code: 'CONFIG_MISSING_KEY' } });
      return z.NEVER;
    }
    try {
      return parse(v);
    } catch (err) {
      const code = err instanceof ConfigValueError ? err.code : 'CONFIG_INVALID';
      ctx.addIssue({ code: 'custom', message: (err as Error).message, input: v, params: { code } });
      return z.NEVER;
    }
  });
}

function fail(code: string, message: string): never {
  throw new ConfigValueError(code, message);
}

/**
 * A mapping that may be left empty: `processModel:` with every line commented out is null in
 * YAML, and means "all defaults", as an empty IIS element does (`<add name="web" />`).
 */
function section<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === null ? {} : v), schema);
}

const duration = (min = 0) =>
  value((v) => {
    const ms = parseDuration(v);
    if (ms < min) fail('CONFIG_OUT_OF_RANGE', `must be more than 0, got ${show(v)}`);
    return ms;
  });

const memory = (bare: BareMemoryUnit = 'KB') => value((v) => parseMemory(v, bare));

const count = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  value((v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) fail('CONFIG_BAD_TYPE', `expected a whole number, got ${show(v)}`);
    if (v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
      fail('CONFIG_OUT_OF_RANGE', `must be ${range}, got ${v}`);
    }
    return v;
  });

const flag = () =>
  value((v) => (typeof v === 'boolean' ? v : fail('CONFIG_BAD_TYPE', `expected true or false, got ${show(v)}`)));

const text = () =>
  value((v) => {
    if (typeof v !== 'string') fail('CONFIG_BAD_TYPE', `expected a string, got ${show(v)}`);
    if (v.trim() === '') fail('CONFIG_BAD_TYPE', 'must not be empty');
    return v;
  });

/** A string key that may also be written as null ("none"); numbers are taken as text (uid 1000). */
const optionalName = () =>
  value((v): string | null => {
    if (v === null) return null;
    if (typeof v === 'number' && Number.isInteger(v)) return String(v);
    if (typeof v === 'string' && v.trim() !== '') return v;
    return fail('CONFIG_BAD_TYPE', `expected a name or null, got ${show(v)}`);
  });

/** One of IIS's enumeration values, spelt exactly as IIS does. */
function oneOf<const T extends readonly string[]>(values: T) {
  return value((v): T[number] => {
    if (typeof v === 'string' && values.includes(v)) return v;
    const hint = typeof v === 'string' ? suggestion(v, values) : '';
    return fail('CONFIG_BAD_ENUM', `must be one of ${values.join(', ')}, got ${show(v)}${hint}`);
  });
}

/** An argv list: the program and its arguments, run without a shell. */
const argv = (nullable: boolean) =>
  value((v): string[] | null => {
    if (v === null && nullable) return null;
    if (!Array.isArray(v)) {
      return fail('CONFIG_BAD_TYPE', `expected an argv list such as ["node", "server.js"] (no shell), got ${show(v)}`);
    }
    if (v.length === 0) fail('CONFIG_BAD_TYPE', 'must name a program: the list is empty');
    return v.map((a: unknown, i) => {
      if (typeof a === 'number') return String(a); // `["node", "app.js", "--port", 80]`
      if (typeof a !== 'string' || (i === 0 && a.trim() === '')) {
        return fail('CONFIG_BAD_TYPE', `item ${i} must be a string${i === 0 ? ' naming the program' : ''}, got ${show(a)}`);
      }
      return a;
    });
  });

const envValue = value((v): string => {
  if (typeof v === 'string') return v;
  // YAML reads `PORT_OFFSET: 3` or `DEBUG: true` as a number or boolean; the environment is text.
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return fail('CONFIG_BAD_TYPE', `an environment value must be a string, number or boolean, got ${show(v)}`);
});

/** A recycle time of day as IIS writes it ("03:00" or "03:00:00"), or a cron expression. */
const scheduleEntry = value((v): string => {
  if (typeof v !== 'string') return fail('CONFIG_BAD_SCHEDULE', `expected "HH:MM" or a cron expression, got ${show(v)}`);
  const s = v.trim();
  const tod = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (tod) {
    if (Number(tod[1]) > 23 || Number(tod[2]) > 59 || Number(tod[3] ?? 0) > 59) {
      fail('CONFIG_BAD_SCHEDULE', `${show(v)} is not a time of day (00:00 to 23:59:59)`);
    }
    return s;
  }
  // croner also takes an ISO date as a one-off run; a recycle schedule repeats, so ask for fields.
  const fields = s.split(/\s+/).length;
  if (!s.startsWith('@') && (fields < 5 || fields > 7)) {
    fail('CONFIG_BAD_SCHEDULE', `${show(v)} is neither "HH:MM" nor a cron expression ("0 3 * * *")`);
  }
  try {
    new Cron(s, { paused: true });
  } catch (err) {
    fail('CONFIG_BAD_SCHEDULE', `bad cron expression ${show(v)}: ${(err as Error).message}`);
  }
  return s;
});

/** IIS writes flags as "Time, Memory"; YAML may also give a list. */
const recycleEvents = value((v): RecycleEventName[] => {
  const items = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v;
  if (!Array.isArray(items)) return fail('CONFIG_BAD_TYPE', `expected a list of recycle event names, got ${show(v)}`);
  for (const item of items) {
    if (!RECYCLE_EVENT_NAMES.includes(item)) {
      const hint = typeof item === 'string' ? suggestion(item, RECYCLE_EVENT_NAMES) : '';
      fail('CONFIG_BAD_ENUM', `${show(item)} is not a recycle event; use ${RECYCLE_EVENT_NAMES.join(', ')}${hint}`);
    }
  }
  return items as RecycleEventName[];
});

const httpPath = (nullable: boolean) =>
  value((v): string | null => {
    if (v === null && nullable) return null;
    if (typeof v !== 'string' || !v.startsWith('/') || /\s/.test(v)) {
      return fail('CONFIG_BAD_PATH', `expected a path starting with "/", got ${show(v)}`);
    }
    return v;
  });

const appPath = value(normaliseAppPath);
const hostPattern = value(normaliseHostPattern);
const binding = value(parseBinding);

const processModelSchema = z.strictObject({
  maxProcesses: count(1).optional(),
  idleTimeout: duration().optional(),
  idleTimeoutAction: oneOf(['Terminate', 'Suspend']).optional(),
  pingingEnabled: flag().optional(),
  pingInterval: duration(1).optional(),
  pingResponseTime: duration(1).optional(),
  pingPath: httpPath(true).optional(),
  startupTimeLimit: duration(1).optional(),
  shutdownTimeLimit: duration(1).optional(),
  user: optionalName().optional(),
  group: optionalName().optional(),
  identityType: oneOf(['ApplicationPoolIdentity', 'SpecificUser', 'HostIdentity']).optional(),
  eventLoopDelayLimit: duration().optional(),
  eventLoopDelayTime: duration().optional(),
  requestTimeout: duration().optional(),
  queueTimeout: duration().optional(),
  maxConcurrentRequestsPerWorker: count(0).optional(),
});

const periodicRestartSchema = z.strictObject({
  time: duration().optional(),
  requests: count(0).optional(),
  memory: memory().optional(),
  privateMemory: memory().optional(),
  schedule: z.array(scheduleEntry).optional(),
});

const recyclingSchema = z.strictObject({
  disallowOverlappingRotation: flag().optional(),
  disallowRotationOnConfigChange: flag().optional(),
  logEventOnRecycle: recycleEvents.optional(),
  periodicRestart: section(periodicRestartSchema).optional(),
  recycleJitter: duration().optional(),
});

const failureSchema = z.strictObject({
  rapidFailProtection: flag().optional(),
  rapidFailProtectionInterval: duration(1).optional(),
  rapidFailProtectionMaxCrashes: count(1).optional(),
  loadBalancerCapabilities: oneOf(['HttpLevel', 'TcpLevel']).optional(),
  orphanWorkerProcess: flag().optional(),
  orphanAction: argv(true).optional(),
  orphanActionTimeLimit: duration(1).optional(),
  maxOrphanedProcesses: count(0).optional(),
  autoShutdownAction: argv(true).optional(),
  autoShutdownActionTimeLimit: duration(1).optional(),
  blockedRequestLimit: count(0).optional(),
  blockedRequestTime: duration(1).optional(),
});

const cpuSchema = z.strictObject({
  limit: value(parseCpuLimit).optional(),
  action: oneOf(['NoAction', 'KillW3wp', 'Throttle', 'ThrottleUnderLoad']).optional(),
  resetInterval: duration(1).optional(),
});

const limitsSchema = z.strictObject({
  memory: memory().optional(),
  tasks: count(0).optional(),
});

const diagnosticsSchema = z.strictObject({
  crashReports: flag().optional(),
  hangReports: flag().optional(),
  coreDumps: flag().optional(),
  keepCores: flag().optional(),
  includeQueryStrings: flag().optional(),
});

/** A pool as the file writes it (also the shape of `applicationPoolDefaults`): every key optional. */
export const poolSchema = z.strictObject({
  command: argv(false).optional(),
  cwd: text().optional(),
  env: section(z.record(z.string(), envValue)).optional(),
  runtime: oneOf(['node', 'generic']).optional(),
  listen: oneOf(['unix', 'tcp']).optional(),
  protocol: oneOf(['http', 'fastcgi']).optional(),
  documentRoot: text().optional(),
  // IIS's floor is 10; lower values are allowed for small hosts and for tests of the 503 path.
  queueLength: count(0, 65535).optional(),
  autoStart: flag().optional(),
  startMode: oneOf(['OnDemand', 'AlwaysRunning']).optional(),
  processModel: section(processModelSchema).optional(),
  recycling: section(recyclingSchema).optional(),
  failure: section(failureSchema).optional(),
  cpu: section(cpuSchema).optional(),
  limits: section(limitsSchema).optional(),
  diagnostics: section(diagnosticsSchema).optional(),
});

const appSchema = z.strictObject({
  path: appPath,
  pool: text(),
  stripPrefix: flag().optional(),
});

const siteSchema = z.strictObject({
  name: text(),
  hosts: z.array(hostPattern).min(1, { error: 'must list at least one host (use "*" for any)' }).optional(),
  apps: z.array(appSchema).min(1, { error: 'a site needs at least one app' }),
});

const adminSchema = z.strictObject({
  socket: text().optional(),
  tcp: value((v) => (v === null ? null : parseBinding(v))).optional(),
  token: value((v): string | null => {
    if (v === null) return null;
    if (typeof v !== 'string' || v.trim() === '') return fail('CONFIG_BAD_TOKEN', 'the admin token must be a non-empty string');
    return v;
  }).optional(),
  hosts: z.array(hostPattern).optional(),
});

/** IIS system.applicationHost/webLimits: the front door's connection timers. */
const webLimitsSchema = z.strictObject({
  connectionTimeout: duration(1).optional(),
  headerWaitTimeout: duration(1).optional(),
  entityBodyTimeout: duration().optional(),
});

const logsSchema = z.strictObject({
  // Named in bytes, so a bare number is bytes here (not IIS's kilobytes).
  maxBytes: memory('B').optional(),
  maxFiles: count(1).optional(),
  // The access log of every request: W3C extended lines (IIS's default), JSON lines, or none.
  accessFormat: oneOf(['w3c', 'json', 'off']).optional(),
  includeQueryStrings: flag().optional(),
});

/** The health checks' binding of their own (DESIGN §9): plain HTTP, no token, nothing else on it. */
const healthSchema = z.strictObject({
  listen: value((v) => {
    if (v === null) return null;
    const b = parseBinding(v);
    if (b.tls) fail('CONFIG_BAD_BINDING', 'the health binding serves plain HTTP: load balancers check it without TLS');
    return b;
  }).optional(),
  metrics: flag().optional(),
});

/** The front door's threads (DESIGN §9): each with its own listeners on every binding. */
const frontDoorSchema = z.strictObject({
  threads: count(1, 64).optional(),
});

/** `paddock drain` (DESIGN §9): how long a draining host waits for quiet, and at most. */
const drainSchema = z.strictObject({
  idleTime: duration(1).optional(),
  timeLimit: duration(1).optional(),
});

/** The whole file. */
export const fileSchema = z.strictObject({
  dataDir: text().optional(),
  // One binding may be written without the list brackets.
  listen: z.preprocess((v) => (typeof v === 'string' || typeof v === 'number' ? [v] : v), z.array(binding)).optional(),
  tls: section(z.strictObject({ cert: text(), key: text() })).optional(),
  admin: section(adminSchema).optional(),
  sites: z.array(siteSchema).nullable().optional(),
  applicationPoolDefaults: section(poolSchema).optional(),
  pools: z
    .record(z.string().regex(POOL_NAME, { error: 'a pool name may use only letters, digits, "_", "." and "-"' }), section(poolSchema))
    .nullable()
    .optional(),
  logs: section(logsSchema).optional(),
  webLimits: section(webLimitsSchema).optional(),
  health: section(healthSchema).optional(),
  drain: section(drainSchema).optional(),
  frontDoor: section(frontDoorSchema).optional(),
});

/** A pool as parsed from the file: resolved units, keys still optional. */
export type PoolInput = z.output<typeof poolSchema>;
/** The file as parsed: resolved units, keys still optional, before defaults and cross-checks. */
export type FileInput = z.output<typeof fileSchema>;
