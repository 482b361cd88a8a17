/**
 * An exclusive lock held for a whole session (RFC 1939: one POP3 session per maildrop), seen
 * by every process of the host that opens the same Maildir. The lock file holds its owner as
 * JSON `{host, pid, boot, start}`; it appears with that content in one step (written to a
 * temp file, then link()ed to the lock name: like O_EXCL, link fails when the name exists,
 * and unlike open-then-write no reader ever finds it empty). A lock whose owner certainly runs
 * no more on this host (gone pid, reused pid, another boot: @mailstack/agent-process) is broken
 * by the next taker at once; a lock of another host is never broken on a guess. No timeout:
 * a POP3 session may legitimately last long, and a live owner always removes its lock.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { BOOT_TAG, processGone, START_TICKS } from '@mailstack/agent-process';

export interface LockOwner {
  host: string;
  pid: number;
  boot: string;
  start: number;
}

const HOST = hostname();

function ownerGone(text: string): boolean {
  let owner: Partial<LockOwner>;
  try {
    owner = JSON.parse(text) as Partial<LockOwner>;
  } catch {
    // Never written by us (ours appear whole): nobody to wait for.
    return true;
  }
  if (typeof owner.pid !== 'number' || typeof owner.boot !== 'string') return true;
  if (owner.host !== HOST) return false;
  return processGone(owner.boot, owner.pid, owner.start);
}

/** Removes the lock at `path` if it is still the file with inode `ino` (not a newer lock). */
async function unlinkIfSame(path: string, ino: number): Promise<void> {
  try {
    if ((await stat(path)).ino === ino) await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** True when the lock at `path` was stale and is now gone (or was already gone). */
async function breakIfStale(path: string): Promise<boolean> {
  let ino: number;
  let text: string;
  try {
    ino = (await stat(path)).ino;
    text = (await readFile(path, 'utf8')).slice(0, 1000);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  if (!ownerGone(text)) return false;
  await unlinkIfSame(path, ino);
  return true;
}

/**
 * Takes the lock at `path`: resolves with its release (safe to call twice), or null while a
 * live process holds it (this one included: a second session of this process is refused too).
 */
export async function takeSessionLock(path: string): Promise<(() => Promise<void>) | null> {
  const owner: LockOwner = { host: HOST, pid: process.pid, boot: BOOT_TAG, start: START_TICKS };
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let ino: number | undefined;
  try {
    await writeFile(temp, JSON.stringify(owner), { mode: 0o600 });
    // Two rounds: take it, or break a stale one and take it; a live holder refuses both.
    for (let round = 0; round < 2 && ino === undefined; round++) {
      try {
        await link(temp, path);
        ino = (await stat(temp)).ino;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (!(await breakIfStale(path))) return null;
      }
    }
  } finally {
    await unlink(temp).catch(() => {});
  }
  if (ino === undefined) return null;
  const held = ino;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await unlinkIfSame(path, held).catch(() => {});
  };
}
