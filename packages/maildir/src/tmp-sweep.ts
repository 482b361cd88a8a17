/**
 * Removes what dead writers left in a folder's tmp/. The Maildir spec's rule is 36 hours
 * untouched; a writer killed mid-delivery also leaves a file whose name says which process
 * wrote it (`<secs>.M<usecs>P<pid>Q<n>.<host>`), so when that host is this one and the pid
 * no longer runs, the file is removed at once instead of holding disk space for a day and
 * a half (which matters most on a full disk). Age is the inode's change time, not mtime: a
 * writer sets mtime to the message's INTERNALDATE (IMAP APPEND of old mail) while the file
 * is still in tmp/, and that file is not stale.
 */
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pidAlive } from '@mailstack/agent-process';

const STALE_MS = 36 * 3600 * 1000;

/** The writer's pid and host from a Maildir file name, or null when the name has no such parts. */
export function writerOf(name: string): { pid: number; host: string } | null {
  const m = /^\d+\.[^.]*P(\d+)(?:Q\d+)?[^.]*\.([^,:]+)/.exec(name);
  if (!m) return null;
  const pid = Number(m[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? { pid, host: m[2]! } : null;
}

/** Sweeps `<folderDir>/tmp`; `host` is this host's name as it appears in file names. */
export async function sweepTmp(folderDir: string, host: string, now = Date.now()): Promise<number> {
  const dir = join(folderDir, 'tmp');
  let removed = 0;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    try {
      const writer = writerOf(name);
      const deadWriter = writer !== null && writer.host === host && !pidAlive(writer.pid);
      const st = await stat(join(dir, name));
      if (st.isFile() && (deadWriter || now - st.ctimeMs > STALE_MS)) {
        await unlink(join(dir, name));
        removed++;
      }
    } catch {
      // raced with its writer or another sweeper
    }
  }
  return removed;
}
