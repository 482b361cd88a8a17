/**
 * Dovecot-compatible dot-locks: `<file>.lock` holding `<pid>:<host>`. The lock appears with
 * its content in one step (written to a temp file, then link()ed to the lock name, which fails
 * when the lock exists), so a holder killed at any moment leaves a lock naming a dead pid,
 * which the next process breaks at once. A lock is also stale when untouched for `staleMs`
 * (Dovecot uses 120 s for dovecot-uidlist). A rewrite of the locked file goes to
 * `<file>.tmp` and is renamed over it while the lock is held (as Dovecot rewrites
 * dovecot-uidlist), so a reader never sees a half-written file.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { pidAlive } from '@mailstack/agent-process';
import { TemporaryStorageError } from '@mailstack/core';

export interface DotLockOptions {
  /** How long to wait for another holder; default staleMs + 5 s, so a stale lock is always broken first. */
  timeoutMs?: number;
  /** Age after which an untouched lock is broken; default 120 s as Dovecot's uidlist lock. */
  staleMs?: number;
}

export interface DotLock {
  readonly lockPath: string;
  /** Removes the lock without touching the target. */
  release(): Promise<void>;
  /** Writes `content` to `<target>.tmp`, fsyncs it, renames it over the target, releases the lock. */
  replaceTarget(content: string | Buffer): Promise<void>;
}

const HOST = hostname();

/**
 * Waiters of this process per lock, first come first served: only the head polls the lock
 * file. Without it, 50 sessions of one process polling one dot-lock left some waiting 20 s
 * while others took it again and again (imaptest stress, 50 clients on one mailbox).
 */
const localTails = new Map<string, Promise<void>>();

/** Waits for this process's earlier waiters on `lockPath`; returns the hand-over to the next. */
async function localTurn(lockPath: string): Promise<() => void> {
  const before = localTails.get(lockPath) ?? Promise.resolve();
  let handOver!: () => void;
  const mine = new Promise<void>((resolve) => {
    handOver = resolve;
  });
  const tail = before.then(() => mine);
  localTails.set(lockPath, tail);
  await before;
  return () => {
    if (localTails.get(lockPath) === tail) localTails.delete(lockPath);
    handOver();
  };
}

async function breakIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  let info: { ino: number; mtimeMs: number };
  let owner: string;
  try {
    const st = await stat(lockPath);
    info = { ino: st.ino, mtimeMs: st.mtimeMs };
    owner = (await readFile(lockPath, 'utf8')).slice(0, 300);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  const m = /^(\d+):(.*)$/.exec(owner.trim());
  const deadOwner = m !== null && m[2] === HOST && !pidAlive(Number(m[1]));
  const tooOld = Date.now() - info.mtimeMs > staleMs;
  if (!deadOwner && !tooOld) return false;
  try {
    // Only remove the lock we judged; a fresh lock taken meanwhile has another inode.
    const again = await stat(lockPath);
    if (again.ino === info.ino) await unlink(lockPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return true;
}

export async function acquireDotLock(target: string, options: DotLockOptions = {}): Promise<DotLock> {
  const lockPath = `${target}.lock`;
  const staleMs = options.staleMs ?? 120_000;
  // Waiting out a stale lock matters: a delivery already visible in new/ must still get its UID.
  const timeoutMs = options.timeoutMs ?? staleMs + 5_000;
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  const next = await localTurn(lockPath);
  const temp = `${lockPath}.${HOST}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let held = false;
  try {
    // Inside the try: on a full disk the create succeeds and the write fails, leaving the file.
    await writeFile(temp, `${process.pid}:${HOST}`, { mode: 0o600 });
    for (;;) {
      try {
        await link(temp, lockPath);
        held = true;
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      if (await breakIfStale(lockPath, staleMs)) continue;
      if (Date.now() > deadline) throw new TemporaryStorageError(`Timed out waiting for lock ${lockPath}`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 50);
    }
  } finally {
    await unlink(temp).catch(() => {});
    if (!held) next();
  }
  let done = false;
  return {
    lockPath,
    async release() {
      if (done) return;
      done = true;
      await unlink(lockPath).catch(() => {});
      next();
    },
    async replaceTarget(content) {
      if (done) throw new Error('lock already released');
      const tmp = `${target}.tmp`;
      try {
        await writeFile(tmp, content, { mode: 0o600, flush: true });
        await rename(tmp, target);
      } catch (err) {
        await unlink(tmp).catch(() => {});
        throw err;
      } finally {
        done = true;
        await unlink(lockPath).catch(() => {});
        next();
      }
    },
  };
}

/** Runs `fn` while holding the dot-lock on `target`; the lock is always released. */
export async function withDotLock<T>(
  target: string,
  fn: (lock: DotLock) => Promise<T>,
  options?: DotLockOptions,
): Promise<T> {
  const lock = await acquireDotLock(target, options);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}
