/**
 * An exclusive lock held for a whole session (RFC 1939: one POP3 session per maildrop), seen
 * by every process of the host that opens the same Maildir. The lock is a symbolic link whose
 * target is its owner as JSON `{host, pid, boot, start}`, never followed, only read: symlink()
 * is atomic and fails when the name exists (like O_EXCL), no reader ever finds it half
 * written, and a short link needs no data block, so it can still be taken on a full disk
 * where users log in to delete mail (on the rare file system where even that fails, the lock
 * falls back to this process alone rather than refusing the login). A lock whose owner
 * certainly runs no more on this host (gone pid, reused pid, another boot:
 * @mailstack/agent-process) is broken by the next taker at once; a lock of another host is
 * never broken on a guess. No timeout: a POP3 session may legitimately last long, and a live
 * owner always removes its lock.
 */
import { lstat, readlink, symlink, unlink } from 'node:fs/promises';
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

/** Removes the lock at `path` if it is still the link with inode `ino` (not a newer lock). */
async function unlinkIfSame(path: string, ino: number): Promise<void> {
  try {
    if ((await lstat(path)).ino === ino) await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** True when the lock at `path` was stale and is now gone (or was already gone). */
async function breakIfStale(path: string): Promise<boolean> {
  let ino: number;
  let text: string;
  try {
    ino = (await lstat(path)).ino;
    text = await readlink(path)
      .then((target) => target.slice(0, 1000))
      // a plain file by that name was never a lock of ours: nobody to wait for
      .catch((err: NodeJS.ErrnoException) => (err.code === 'EINVAL' ? '' : Promise.reject(err)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  if (!ownerGone(text)) return false;
  await unlinkIfSame(path, ino);
  return true;
}

/** Locks this process holds without a link (the file system had no room for one). */
const heldWithoutLink = new Set<string>();

const NO_ROOM = new Set(['ENOSPC', 'EDQUOT']);

/**
 * Takes the lock at `path`: resolves with its release (safe to call twice), or null while a
 * live process holds it (this one included: a second session of this process is refused too).
 */
export async function takeSessionLock(path: string): Promise<(() => Promise<void>) | null> {
  if (heldWithoutLink.has(path)) return null;
  const owner: LockOwner = { host: HOST, pid: process.pid, boot: BOOT_TAG, start: START_TICKS };
  let ino: number | undefined;
  // Two rounds: take it, or break a stale one and take it; a live holder refuses both.
  for (let round = 0; round < 2 && ino === undefined; round++) {
    try {
      await symlink(JSON.stringify(owner), path);
      ino = (await lstat(path)).ino;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (NO_ROOM.has(code)) return holdWithoutLink(path);
      if (code !== 'EEXIST') throw err;
      if (!(await breakIfStale(path))) return null;
    }
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

/** The full-disk fallback: exclusive within this process only, until space comes back. */
function holdWithoutLink(path: string): () => Promise<void> {
  heldWithoutLink.add(path);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    heldWithoutLink.delete(path);
  };
}
