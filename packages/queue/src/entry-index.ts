import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempTag } from './entry-lock.ts';
import type { SpoolRecord } from './record.ts';

/** A cached record is read again after this long, whatever it says (real time). */
const FRESH_MS = 30_000;

/**
 * What this process last saw of each entry, so a lease scan of a big queue reads only the
 * entries that may be due instead of every meta file on every poll.
 *
 * The cache is only a filter: leasing re-reads the entry under its lock before deciding, so a
 * stale view can delay a message (bounded by FRESH_MS) but never lease it wrongly. Changes this
 * process makes update it directly. Operator changes from any process (flush, hold, release,
 * requeue, delete) rewrite `<root>/changes` with a fresh nonce; a scan that sees a new nonce
 * forgets everything.
 */
export class EntryIndex {
  private readonly changesPath: string;
  private readonly tmpDir: string;
  private readonly seen = new Map<string, { rec: SpoolRecord; at: number }>();
  private mark = '';

  constructor(root: string, tmpDir: string) {
    this.changesPath = join(root, 'changes');
    this.tmpDir = tmpDir;
  }

  remember(rec: SpoolRecord): void {
    this.seen.set(rec.id, { rec, at: Date.now() });
  }

  forget(id: string): void {
    this.seen.delete(id);
  }

  /** Whether this process has seen entry `id` (fresh or not): a wake-up filter, not a record. */
  knows(id: string): boolean {
    return this.seen.has(id);
  }

  /** The cached record when it is fresh. */
  recall(id: string): SpoolRecord | undefined {
    const hit = this.seen.get(id);
    if (!hit) return undefined;
    if (Date.now() - hit.at > FRESH_MS) {
      this.seen.delete(id);
      return undefined;
    }
    return hit.rec;
  }

  /** Called at the start of a scan: drops everything after an operator change, and gone ids. */
  async refresh(liveIds: Set<string>): Promise<void> {
    const mark = await readFile(this.changesPath, 'utf8').catch(() => '');
    if (mark !== this.mark) {
      this.seen.clear();
      this.mark = mark;
    }
    for (const id of this.seen.keys()) if (!liveIds.has(id)) this.seen.delete(id);
  }

  /** Tells every process's index that an operator changed entries. Not fsynced: caches die with power. */
  async announceChange(): Promise<void> {
    const nonce = randomBytes(8).toString('hex');
    // Named like every temp file (boot, pid) so a concurrent crash sweep leaves it alone.
    const temp = join(this.tmpDir, `changes.${tempTag()}`);
    await writeFile(temp, nonce);
    await rename(temp, this.changesPath);
  }
}
