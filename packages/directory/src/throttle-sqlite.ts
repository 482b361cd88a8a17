import type { StatementSync } from 'node:sqlite';
import { inWriteTransaction, openSharedSqlite } from '@mailstack/core';
import { MAX_COUNT, type ThrottleCounter, type ThrottleStore } from './throttle-store.ts';

/**
 * Throttle counters in one SQLite file, shared by every process that opens it: the IMAP,
 * POP3, submission and transfer agents of a host see one budget whether they run in one
 * process or each in its own, with no daemon to start first (a standalone agent just opens
 * the file). Chosen over one file per key with rename: a rename loses one of two increments
 * made at the same moment by two processes, and a guesser can make them at the same moment
 * on purpose; SQLite's upsert under its write lock counts both. WAL mode lets readers go on
 * while one writer holds the lock; a writer waits at most `busyTimeoutMs`.
 *
 * Table `failures(key, failures, last)`; expired rows are swept on every bump, and past
 * `maxEntries` the least recently failed go first. Counters are security state, not mail: a
 * lost file costs only the counts, so the journal is not fsynced on every bump.
 */
export function openSqliteThrottleStore(
  path: string,
  options: { maxEntries?: number; busyTimeoutMs?: number } = {},
): ThrottleStore {
  const maxEntries = options.maxEntries ?? 10_000;
  const db = openSharedSqlite(
    path,
    `CREATE TABLE IF NOT EXISTS failures (
       key TEXT PRIMARY KEY, failures INTEGER NOT NULL, last INTEGER NOT NULL) WITHOUT ROWID;
     CREATE INDEX IF NOT EXISTS failures_last ON failures (last);`,
    options.busyTimeoutMs,
  );
  const select = db.prepare('SELECT failures, last FROM failures WHERE key = ? AND last > ?');
  const upsert = db.prepare(`INSERT INTO failures (key, failures, last) VALUES (?, 1, ?)
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN last <= ? THEN 1 ELSE min(failures + 1, ${MAX_COUNT}) END,
      last = excluded.last
    RETURNING failures, last`);
  const sweep = db.prepare('DELETE FROM failures WHERE last <= ?');
  const count = db.prepare('SELECT count(*) AS n FROM failures');
  const trim = db.prepare(
    'DELETE FROM failures WHERE key IN (SELECT key FROM failures ORDER BY last LIMIT ?)',
  );
  const remove = db.prepare('DELETE FROM failures WHERE key = ?');

  const row = (s: StatementSync, ...args: Array<string | number>): ThrottleCounter | undefined => {
    const r = s.get(...args) as { failures: number; last: number } | undefined;
    return r ? { failures: Number(r.failures), last: Number(r.last) } : undefined;
  };
  const transaction = <T>(job: () => T): T => inWriteTransaction(db, job);

  return {
    read(keys, now, windowMs) {
      const out = new Map<string, ThrottleCounter>();
      for (const key of keys) {
        const c = row(select, key, now - windowMs);
        if (c) out.set(key, c);
      }
      return out;
    },
    bump(keys, now, windowMs) {
      return transaction(() => {
        const cutoff = now - windowMs;
        sweep.run(cutoff);
        const over = Number((count.get() as { n: number }).n) + keys.length - maxEntries;
        if (over > 0) trim.run(over);
        const out = new Map<string, ThrottleCounter>();
        for (const key of keys) out.set(key, row(upsert, key, now, cutoff)!);
        return out;
      });
    },
    forget: (key) => void remove.run(key),
    size: () => Number((count.get() as { n: number }).n),
    clear: () => void db.exec('DELETE FROM failures'),
    close: () => {
      if (db.isOpen) db.close();
    },
  };
}
