import { randomBytes } from 'node:crypto';
import { link, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOT_TAG, pidAlive, processGone, SCOPE_TAG, START_TICKS, scopeOf } from '@mailstack/agent-process';
import { TemporaryStorageError } from '@mailstack/core';
import { writeNewFileSynced } from './durable-fs.ts';

/**
 * Exclusive access to one queue entry across processes, without lock files that a crash would
 * leave behind.
 *
 * To change `<id>.meta`, a process renames it to `<id>.meta.lock-<scope>-<pid>-<start>-<rand>`
 * (scope: boot id and pid namespace, see SCOPE_TAG).
 * rename() of one source name succeeds for exactly one caller, so whoever gets it owns the entry;
 * the others see ENOENT and skip or wait. The owner rewrites the locked file (temp + fsync +
 * rename over it) and publishes it back under `<id>.meta` with one more rename. The content is a
 * whole meta file at every moment, under one name or the other.
 *
 * A process that dies while holding an entry leaves the locked name. It is stale when its boot
 * id differs from ours (a reboot), or it is of our pid namespace and its pid is gone or now runs
 * a process with another start time (reused; see @mailstack/agent-process). A name of another
 * pid namespace (another container on a shared spool volume) or without a start time (older
 * versions) cannot be judged by its pid: it is stale only after STALE_AFTER_MS, far longer than
 * any holder keeps an entry locked (one meta rewrite). Recovery link()s it back to
 * `<id>.meta` (link never overwrites, so a newer published meta wins) and unlinks the locked name.
 */

const STALE_AFTER_MS = 10 * 60_000;
const LOCK_MARK = '.meta.lock-';
/** `-<boot>-<pid>[-<start>]-<rand>`, the part of a locked name after `.meta.lock`. */
const HOLDER = /^-([0-9a-z]+)-(\d+)(?:-(\d+))?-[0-9a-f]+$/;

export interface LockedEntry {
  id: string;
  /** The locked name (absolute path). */
  path: string;
  /** The meta text as it was when taken. */
  text: string;
}

export const isLockName = (name: string) => name.includes(LOCK_MARK);
export const lockNameId = (name: string) => name.slice(0, name.indexOf(LOCK_MARK));

export class EntryLocks {
  private readonly queueDir: string;
  private readonly tmpDir: string;
  /** Locked names this process holds: never stale to us, whatever the pid check says. */
  private readonly mine = new Set<string>();
  /** In-process serialisation per id, so two tasks of one process queue up instead of polling. */
  private readonly local = new Map<string, Promise<unknown>>();

  constructor(queueDir: string, tmpDir: string) {
    this.queueDir = queueDir;
    this.tmpDir = tmpDir;
  }

  metaPath(id: string): string {
    return join(this.queueDir, `${id}.meta`);
  }

  /** Runs `fn` with the in-process turn for `id`; concurrent callers wait their turn. */
  async exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const before = this.local.get(id) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => {});
    this.local.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.local.get(id) === tail) this.local.delete(id);
    }
  }

  /** True while some task of this process has `id`'s turn: the lease scan skips it. */
  busyHere(id: string): boolean {
    return this.local.has(id);
  }

  /** One attempt to take the entry; null when it is locked elsewhere or gone. */
  async tryTake(id: string): Promise<LockedEntry | null> {
    const name = `${id}${LOCK_MARK}${SCOPE_TAG}-${process.pid}-${START_TICKS}-${randomBytes(4).toString('hex')}`;
    const path = join(this.queueDir, name);
    try {
      await rename(this.metaPath(id), path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    this.mine.add(name);
    try {
      return { id, path, text: await readFile(path, 'utf8') };
    } catch (err) {
      await this.publish({ id, path, text: '' });
      throw err;
    }
  }

  /**
   * Takes the entry, waiting (bounded) while another process holds it and recovering it when its
   * holder died. Null when the entry does not exist. "Does not exist" is judged by the body file,
   * which lives from before the meta's first publication until after its removal: a meta seen
   * under neither name may just be between two renames of a busy entry.
   */
  async take(id: string, waitMs: number): Promise<LockedEntry | null> {
    const deadline = Date.now() + waitMs;
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      const got = await this.tryTake(id);
      if (got) return got;
      const body = await stat(join(this.queueDir, `${id}.eml`)).catch(() => null);
      if (!body) return await this.tryTake(id);
      const locked = (await readdir(this.queueDir)).filter((n) => n.startsWith(`${id}${LOCK_MARK}`));
      for (const name of locked) await this.recoverIfStale(name);
      if (Date.now() > deadline) {
        if (locked.length === 0) return null; // a body without a meta: a crash leftover
        throw new TemporaryStorageError(`queue entry ${id} is locked by another process`);
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** Replaces the locked file's content durably (temp, fsync, rename over the locked name). */
  async rewrite(entry: LockedEntry, text: string): Promise<void> {
    const temp = join(this.tmpDir, `${entry.id}.meta.${tempTag()}`);
    try {
      await writeNewFileSynced(temp, text);
      await rename(temp, entry.path);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw err;
    }
    entry.text = text;
  }

  /** Gives the entry back under `<id>.meta`. */
  async publish(entry: LockedEntry): Promise<void> {
    await rename(entry.path, this.metaPath(entry.id));
    this.mine.delete(entry.path.slice(this.queueDir.length + 1));
  }

  /** Removes the entry's meta for good (the body is the caller's business). */
  async drop(entry: LockedEntry): Promise<void> {
    await unlink(entry.path);
    this.mine.delete(entry.path.slice(this.queueDir.length + 1));
  }

  /** A locked name whose holder is dead goes back to `<id>.meta`. True when it recovered one. */
  async recoverIfStale(name: string): Promise<boolean> {
    if (this.mine.has(name)) return false;
    const path = join(this.queueDir, name);
    const holder = HOLDER.exec(name.slice(name.indexOf(LOCK_MARK) + LOCK_MARK.length - 1));
    const start = Number(holder?.[3] ?? 0); // 0: not recorded (older name, or no /proc)
    const scope = holder ? scopeOf(holder[1]!) : 'gone';
    let stale = scope === 'gone' || (scope === 'here' && processGone(BOOT_TAG, Number(holder![2]), start));
    if (!stale && (!start || scope === 'unknown')) {
      // rename() updates ctime, so ctime is when the lock was taken.
      const info = await stat(path).catch(() => null);
      if (!info) return false;
      stale = Date.now() - info.ctimeMs > STALE_AFTER_MS;
    }
    if (!stale) return false;
    try {
      await link(path, this.metaPath(lockNameId(name)));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // EEXIST: the holder had published a newer meta; the locked name is only a leftover.
      if (code === 'ENOENT') return false;
      if (code !== 'EEXIST') throw err;
    }
    await unlink(path).catch(() => {});
    return true;
  }
}

/** The end of every temp-file name of ours: scope, pid and a nonce, as tempNameState reads it. */
export function tempTag(): string {
  return `${SCOPE_TAG}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Our own temp-file names carry scope and pid too, so a sweep can tell a dead writer's
 * leftovers: `stale` (another boot, or a gone pid of our namespace), `live`, or `unknown` (a
 * writer in another pid namespace, i.e. another container: only its age can tell).
 */
export function tempNameState(name: string): 'stale' | 'live' | 'unknown' {
  const m = /\.([0-9a-z]+)-(\d+)-[0-9a-f]+$/.exec(name);
  if (!m) return 'stale';
  const scope = scopeOf(m[1]!);
  if (scope !== 'here') return scope === 'gone' ? 'stale' : 'unknown';
  return Number(m[2]) !== process.pid && !pidAlive(Number(m[2])) ? 'stale' : 'live';
}

/**
 * How old a temp file of another container must be before it is swept: a writer holds one for
 * one DATA, which a slow client may stretch over hours (the Maildir rule's 36 hours).
 */
export const FOREIGN_TEMP_AGE_MS = 36 * 3600_000;
