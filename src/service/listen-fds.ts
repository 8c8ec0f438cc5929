/**
 * Socket activation (sd_listen_fds(3)): listening sockets passed by systemd as descriptors 3, 4, …
 * with LISTEN_FDS (how many), LISTEN_PID (for whom) and LISTEN_FDNAMES (their names). The front
 * door serves them instead of opening its bindings again, so the sockets outlive the host: during
 * `systemctl restart paddock` connections wait in their backlog instead of being refused.
 *
 * Each descriptor is matched to a binding of the config by the address it is bound to, which
 * /proc/self/net/tcp{,6} gives for its socket inode before anything listens on it; a binding they
 * cover is not opened again, and a TLS binding keeps TLS on its passed socket.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';
import { isIPv4, isIPv6 } from 'node:net';

/** The first passed descriptor (SD_LISTEN_FDS_START). */
export const LISTEN_FDS_START = 3;

export interface InheritedSocket {
  readonly fd: number;
  /** From LISTEN_FDNAMES (systemd's FileDescriptorName=), or "unknown". */
  readonly name: string;
  /** The TCP address it is bound to; null for another kind (a unix socket). */
  readonly address: { readonly host: string; readonly port: number } | null;
}

/**
 * The sockets passed to this process, read once: the variables are removed (sd_listen_fds with
 * unset_environment), so that no worker believes they are its own. Variables meant for another
 * pid are ignored, and removed too.
 */
export function takeInheritedSockets(env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): InheritedSocket[] {
  const count = Number(env.LISTEN_FDS);
  const forPid = Number(env.LISTEN_PID);
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  if (!Number.isInteger(count) || count <= 0 || forPid !== pid) return [];
  return Array.from({ length: count }, (_, i) => {
    const fd = LISTEN_FDS_START + i;
    return { fd, name: names[i] || 'unknown', address: tcpAddressOf(fd) };
  });
}

/** The local address of a TCP socket descriptor of this process, from its inode in /proc/self/net. */
export function tcpAddressOf(fd: number): { host: string; port: number } | null {
  let inode: string;
  try {
    const link = readlinkSync(`/proc/self/fd/${fd}`);
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (!m) return null;
    inode = m[1];
  } catch {
    return null;
  }
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/self/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (cols.length < 10 || cols[9] !== inode) continue;
      const [hex, port] = cols[1].split(':');
      return { host: decodeProcAddress(hex), port: parseInt(port, 16) };
    }
  }
  return null;
}

/** A /proc/net address: 32-bit words in host byte order, 1 word for IPv4, 4 for IPv6. */
export function decodeProcAddress(hex: string, order: 'LE' | 'BE' = endianness()): string {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = Buffer.from(hex.slice(w, w + 8), 'hex');
    bytes.push(...(order === 'LE' ? [...word].reverse() : [...word]));
  }
  if (bytes.length === 4) return bytes.join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
  return canonicalIp(groups.join(':'));
}

/** An IP address in one spelling: IPv6 expanded to 8 lower-case groups; IPv4-mapped IPv6 as IPv4. */
export function canonicalIp(ip: string): string {
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return ip.toLowerCase();
  let text = ip.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1].split('.').map(Number);
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const h = head === '' ? [] : head.split(':');
  const t = tail === null || tail === '' ? [] : tail.split(':');
  const groups = tail === null ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = groups.map((g) => parseInt(g, 16).toString(16));
  if (out.slice(0, 6).join(':') === '0:0:0:0:0:ffff') {
    const n = (i: number): number => parseInt(out[i], 16);
    return `${n(6) >> 8}.${n(6) & 255}.${n(7) >> 8}.${n(7) & 255}`;
  }
  return out.join(':');
}

const ANY = new Set(['0.0.0.0', '0:0:0:0:0:0:0:0']);
const LOOPBACK = new Set(['127.0.0.1', '0:0:0:0:0:0:0:1']);

/** Whether a passed socket bound to `address` is what a binding asks for. */
export function coversBinding(address: { host: string; port: number }, binding: { host: string; port: number }): boolean {
  if (address.port !== binding.port) return false;
  const got = canonicalIp(address.host);
  if (binding.host === '') return ANY.has(got);
  if (binding.host === 'localhost') return LOOPBACK.has(got);
  return canonicalIp(binding.host) === got;
}

/**
 * Which passed socket serves which binding (by index), and the passed sockets no binding asked
 * for — those are served too, as plain HTTP: systemd's configuration is what the operator set.
 */
export function matchInheritedSockets<B extends { host: string; port: number }>(
  sockets: readonly InheritedSocket[],
  bindings: readonly B[],
): { forBinding: Map<number, InheritedSocket>; extra: InheritedSocket[] } {
  const forBinding = new Map<number, InheritedSocket>();
  const used = new Set<InheritedSocket>();
  bindings.forEach((b, i) => {
    const s = sockets.find((x) => !used.has(x) && x.address !== null && coversBinding(x.address, b));
    if (s !== undefined) {
      forBinding.set(i, s);
      used.add(s);
    }
  });
  return { forBinding, extra: sockets.filter((s) => !used.has(s)) };
}
