/**
 * UIDVALIDITY unique per mailbox name over time, as Dovecot's `dovecot-uidvalidity` in the
 * user's Maildir root ensures: the file holds the last value handed out (hex, as Dovecot
 * writes it), and the next one is the larger of the clock's seconds and that value + 1, taken
 * under the file's dot-lock. A folder deleted and re-created within the same second, even by
 * another process or after a restart, never gets the old value again.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withDotLock } from './lock.ts';

export const UIDVALIDITY_FILE = 'dovecot-uidvalidity';

export async function nextUidValidity(maildir: string, now = Date.now()): Promise<number> {
  const path = join(maildir, UIDVALIDITY_FILE);
  return withDotLock(path, async (lock) => {
    let last = 0;
    try {
      const n = Number.parseInt((await readFile(path, 'utf8')).trim(), 16);
      if (Number.isSafeInteger(n) && n > 0) last = n;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // UIDVALIDITY is a 32-bit number; stay below its top.
    const next = Math.min(Math.max(Math.floor(now / 1000), last + 1), 0xfffffffe);
    await lock.replaceTarget(`${next.toString(16).padStart(8, '0')}\n`);
    return next;
  });
}
