/**
 * Dovecot-compatible dot-locks: `<file>.lock` created with O_EXCL, holding `<pid>:<host>`.
 * A lock is stale when its owner is a dead process on this host, or when it has not been
 * touched for `staleMs` (Dovecot uses 120 s for dovecot-uidlist). Rewrites of the locked file
 * go into the lock file, which is then renamed over the target: one rename publishes the new
 * content and releases the lock, so a reader never sees a half-written file.
 */
import { constants } from 'node:fs';
import { type FileHandle, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { LockTimeoutError } from './errors.ts';

export interface DotLockOptions {
  /** How long to wait for another holder; default 30 s. */
  timeoutMs?: number;
  /** Age after which an untouched lock is broken; default 120 s as Dovecot's uidlist lock. */
  staleMs?: number;
}

export interface DotLock {
  readonly lockPath: string;
  /** Removes the lock without touching the target. */
  release(): Promise<void>;
  /** Writes `content` into the lock file, fsyncs it and renames it over the target. */
  replaceTarget(content: string | Buffer): Promise<void>;
}

const HOST = hostname();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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
  const deadOwner = m !== null && m[2] === HOST && !processAlive(Number(m[1]));
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
  const timeoutMs = options.timeoutMs ?? 30_000;
  const staleMs = options.staleMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  let fh: FileHandle | undefined;
  for (;;) {
    try {
      fh = await open(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await breakIfStale(lockPath, staleMs)) continue;
    if (Date.now() > deadline) throw new LockTimeoutError(lockPath);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
  const handle = fh;
  await handle.write(`${process.pid}:${HOST}`);
  let done = false;
  return {
    lockPath,
    async release() {
      if (done) return;
      done = true;
      await handle.close().catch(() => {});
      await unlink(lockPath).catch(() => {});
    },
    async replaceTarget(content) {
      if (done) throw new Error('lock already released');
      done = true;
      try {
        await handle.truncate(0);
        await handle.write(typeof content === 'string' ? Buffer.from(content) : content, 0, undefined, 0);
        await handle.datasync();
        await handle.close();
        await rename(lockPath, target);
      } catch (err) {
        await handle.close().catch(() => {});
        await unlink(lockPath).catch(() => {});
        throw err;
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
