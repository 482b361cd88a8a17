import { lstat, unlink } from 'node:fs/promises';
import net from 'node:net';

/**
 * A unix socket file left by a process that died keeps `listen()` failing with
 * EADDRINUSE. Remove it only when it is a socket nobody answers on (ECONNREFUSED), so a
 * second instance never steals a live listener's path.
 */
export async function removeStaleSocket(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => null);
  if (!stat?.isSocket()) return;
  const stale = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
  if (stale) await unlink(path).catch(() => {});
}
