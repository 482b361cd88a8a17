import { dirname, join } from 'node:path';
import { inWriteTransaction, openSharedSqlite } from '@mailstack/core';

/**
 * Where the sending limiter keeps the times of the messages each user sent. The policy (how
 * many per hour) lives in `SendingLimiter`; a store only records and counts. Every submission
 * process of a host must see the same store, also across processes and restarts: the memory
 * store is for one process (tests, embedding), the SQLite store for a host.
 */
export interface SendingCountStore {
  /** Messages recorded for `user` at a time after `since` (ms since the epoch). */
  count(user: string, since: number): number;
  /** Records one message of `user` at `at`; records at or before `since` may be dropped. */
  record(user: string, at: number, since: number): void;
  close(): void;
}

/** One process's counts, in memory: a restart forgets them. */
export function createMemorySendingStore(): SendingCountStore {
  const sent = new Map<string, number[]>();
  const recent = (user: string, since: number): number[] => {
    const list = (sent.get(user) ?? []).filter((t) => t > since);
    if (list.length === 0) sent.delete(user);
    else sent.set(user, list);
    return list;
  };
  return {
    count: (user, since) => recent(user, since).length,
    record(user, at, since) {
      sent.set(user, [...recent(user, since), at]);
    },
    close: () => {},
  };
}

/**
 * The counts in one SQLite file that every submission process of the host opens, so a user
 * has one hourly budget however many MSA processes serve them, and a restart does not hand
 * out a fresh one. One row per message sent; rows older than the window are swept on every
 * record (the table holds at most an hour of submissions).
 */
export function openSqliteSendingStore(path: string, busyTimeoutMs?: number): SendingCountStore {
  const db = openSharedSqlite(
    path,
    `CREATE TABLE IF NOT EXISTS sent (user TEXT NOT NULL, at INTEGER NOT NULL);
     CREATE INDEX IF NOT EXISTS sent_user_at ON sent (user, at);
     CREATE INDEX IF NOT EXISTS sent_at ON sent (at);`,
    busyTimeoutMs,
  );
  const count = db.prepare('SELECT count(*) AS n FROM sent WHERE user = ? AND at > ?');
  const sweep = db.prepare('DELETE FROM sent WHERE at <= ?');
  const insert = db.prepare('INSERT INTO sent (user, at) VALUES (?, ?)');
  return {
    count: (user, since) => Number((count.get(user, since) as { n: number }).n),
    record(user, at, since) {
      inWriteTransaction(db, () => {
        sweep.run(since);
        insert.run(user, at);
      });
    },
    close: () => {
      if (db.isOpen) db.close();
    },
  };
}

/** The default state file of a host's submission agents: beside the directory file, as the login throttle's. */
export function sharedSendingStorePath(directoryFile: string): string {
  return join(dirname(directoryFile), 'sending-counts.sqlite');
}
