/** The configuration module: load, validate and compare Paddock's YAML file (DESIGN §3). */
export { loadConfig, parseConfig } from './load.ts';
export type { ConfigResult } from './load.ts';
export { formatConfigError, formatPath } from './config-error.ts';
export type { ConfigError } from './config-error.ts';
export { diffConfig } from './diff.ts';
export type { ConfigDiff } from './diff.ts';
export { parseCpuLimit, parseDuration, parseMemory, ConfigValueError } from './units.ts';
export { parseBinding, formatBinding } from './binding.ts';
export { POOL_DEFAULTS, RECYCLE_EVENT_NAMES } from './defaults.ts';
export type * from './types.ts';
