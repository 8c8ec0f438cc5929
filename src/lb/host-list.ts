/**
 * The Paddock hosts a balancer spreads traffic over, as `paddock lb haproxy --hosts` takes them:
 * `ADDRESS[:PORT][@CHECKPORT]`, comma-separated, each optionally named `NAME=…`. PORT is the
 * front door's (default: the config's first `listen` binding); CHECKPORT is where the health
 * checks answer (default: `health.listen`, else `admin.tcp`). Hosts of one farm usually share
 * the config and so the ports; two hosts on one machine (a test, a demo) need their own.
 */
import { PaddockError } from '../paddock-error.ts';

/** One Paddock host of a farm. */
export interface LbHost {
  /** Server name in the balancer's config: `NAME=` or `host1`, `host2`, … */
  readonly name: string;
  /** A host name, an IPv4 address, or an IPv6 address without brackets. */
  readonly address: string;
  readonly port: number | null;
  readonly checkPort: number | null;
}

/** A `--hosts` entry that cannot be read; `code` is stable. */
export class HostListError extends PaddockError<'LB_BAD_HOSTS'> {
  constructor(message: string) {
    super('LB_BAD_HOSTS', message, { step: 'read --hosts' });
  }
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;

function port(text: string, entry: string, what: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new HostListError(`--hosts: ${what} '${text}' in '${entry}' is not a port from 1 to 65535`);
  }
  return Number(text);
}

/** Reads one entry: `[NAME=]ADDRESS[:PORT][@CHECKPORT]`, an IPv6 address in brackets. */
function parseEntry(entry: string, index: number): LbHost {
  let rest = entry.trim();
  let name = `host${index + 1}`;
  const eq = rest.indexOf('=');
  if (eq >= 0) {
    name = rest.slice(0, eq);
    rest = rest.slice(eq + 1);
    if (!NAME.test(name)) throw new HostListError(`--hosts: server name '${name}' may use only letters, digits, "_", "." and "-"`);
  }
  let checkPort: number | null = null;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    checkPort = port(rest.slice(at + 1), entry, 'check port');
    rest = rest.slice(0, at);
  }
  let address: string;
  let portText: string | null = null;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new HostListError(`--hosts: '${entry}' opens an IPv6 address with "[" and never closes it`);
    address = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw new HostListError(`--hosts: expected ":PORT" after the address in '${entry}'`);
    if (after !== '') portText = after.slice(1);
    if (!/^[0-9a-fA-F:.]+$/.test(address)) throw new HostListError(`--hosts: '${address}' is not an IPv6 address`);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon >= 0 && rest.indexOf(':') !== colon) throw new HostListError(`--hosts: write the IPv6 address in '${entry}' in brackets: [${rest}]`);
    address = colon >= 0 ? rest.slice(0, colon) : rest;
    if (colon >= 0) portText = rest.slice(colon + 1);
    if (!HOSTNAME.test(address)) throw new HostListError(`--hosts: '${address}' in '${entry}' is not a host name or address`);
  }
  return { name, address, port: portText === null ? null : port(portText, entry, 'port'), checkPort };
}

/**
 * Reads `--hosts`: at least one entry, each server name once.
 * @example parseHostList('10.0.0.1,10.0.0.2') // two hosts on the config's own ports
 * @example parseHostList('a=127.0.0.1:8081@9181,b=127.0.0.1:8082@9182')
 */
export function parseHostList(text: string): LbHost[] {
  const entries = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) throw new HostListError('--hosts: name at least one Paddock host, e.g. --hosts 10.0.0.1,10.0.0.2');
  const hosts = entries.map(parseEntry);
  const seen = new Set<string>();
  for (const h of hosts) {
    if (seen.has(h.name)) throw new HostListError(`--hosts: server name '${h.name}' is given twice`);
    seen.add(h.name);
  }
  return hosts;
}
