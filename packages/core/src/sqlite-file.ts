import { closeSync, openSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';

/**
 * Opens the SQLite file at `path` for state that every agent process of a host shares (login
 * throttle, sending counts, a Maildir folder's index) and runs `schema` (idempotent: CREATE ... IF NOT EXISTS): owner-only,
 * WAL so readers go on while one writer holds the lock, a writer waits at most `busyTimeoutMs`.
 * Such state is not mail: losing the last moments of it costs only counts, so the journal is
 * not fsynced on every write (synchronous=NORMAL).
 */
export function openSharedSqlite(path: string, schema: string, busyTimeoutMs = 2_000): DatabaseSync {
  // SQLite gives a new file the process umask; create it owner-only first (its -wal and
  // -shm files copy this mode).
  closeSync(openSync(path, 'a', 0o600));
  // Loaded here, not at import: node:sqlite needs a flag before Node 22.13, and a user who
  // keeps the in-memory stores must not pay for (or trip over) it.
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite');
  const db = new DatabaseSync(path, { timeout: busyTimeoutMs });
  // Agents of a host start together: switching a new file to WAL while another process does
  // the same can answer "database is locked" at once, without waiting the busy timeout
  // (measured: 1 in 120 starts of 6 processes). The set-up is idempotent, so try it again.
  const deadline = Date.now() + busyTimeoutMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec(schema);
      return db;
    } catch (err) {
      if (!/locked|busy/i.test(String(err)) || Date.now() > deadline) {
        db.close();
        throw err;
      }
      // Start-up only, so a synchronous pause is fine.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
    }
  }
}

/** Runs `job` in one write transaction (BEGIN IMMEDIATE: the write lock is taken up front). */
export function inWriteTransaction<T>(db: DatabaseSync, job: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = job();
    db.exec('COMMIT');
    return out;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
