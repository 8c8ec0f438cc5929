/**
 * Where a new worker listens (the `PORT` it is given): a unix socket in the host's run folder, or
 * a free TCP port on 127.0.0.1 (`listen: tcp`).
 */
import { createServer } from 'node:net';
import { chmod, chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PoolConfig } from '../config/types.ts';
import type { WorkerAddress } from '../supervisor/worker-port.ts';
import type { Identity } from '../supervisor/identity.ts';

/** An address for worker `id` of `pool`, in `runDir` for unix sockets. */
export async function allocateAddress(pool: PoolConfig, runDir: string, id: string, identity: Identity): Promise<WorkerAddress> {
  if (pool.listen === 'unix') {
    if (identity.uid === null && identity.gid === null) return { path: join(runDir, `${id}.sock`) };
    // A worker running as another user makes its socket in a folder of its own pool, owned by it.
    const dir = join(runDir, pool.name);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    await chown(dir, identity.uid ?? process.getuid?.() ?? 0, identity.gid ?? process.getgid?.() ?? 0);
    return { path: join(dir, `${id}.sock`) };
  }
  // A port the kernel says is free now; the worker binds it a moment later.
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const port = (probe.address() as { port: number }).port;
      probe.close(() => resolve({ port }));
    });
  });
}
