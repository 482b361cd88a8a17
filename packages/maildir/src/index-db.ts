/**
 * The folder index on disk: `mailstack-index.sqlite` in the folder's Maildir directory (the
 * INBOX's in the user's Maildir root), so it moves with a folder rename and dies with a
 * delete. Plain tables, the same a PostgreSQL backend would hold:
 *
 *   folder    one row: schema version, UIDVALIDITY, highest modseq, the modseq below which the
 *             expunge log was pruned, and the stamps of new/, cur/, dovecot-uidlist and
 *             dovecot-keywords as of the last reconciliation with the disk
 *   messages  uid, base name, sub (new|cur) and file name as last seen on disk, the wanted flag
 *             letters (a rename may still be due), wire size, internal date, modseq, summary
 *   expunges  uid and the modseq of its expunge (the change log's other half)
 *   texts     a protocol's per-message text cache (IMAP's ENVELOPE/BODYSTRUCTURE strings)
 *
 * The Maildir stays the truth for bodies and UIDs (dovecot-uidlist); everything here can be
 * rebuilt from it, so the journal is not fsynced on every commit (synchronous=NORMAL) and a
 * lost tail costs a rescan, never mail. Writers use short synchronous transactions (BEGIN
 * IMMEDIATE … COMMIT, never across an await): node:sqlite's busy wait blocks the event loop.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { openSharedSqlite } from '@mailstack/core';

export const INDEX_FILE = 'mailstack-index.sqlite';
export const SCHEMA_VERSION = 1;
const BUSY_TIMEOUT_MS = 5_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS folder (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  schema_version INTEGER NOT NULL,
  uidvalidity INTEGER NOT NULL,
  highest_modseq INTEGER NOT NULL,
  expunge_floor INTEGER NOT NULL,
  new_stamp TEXT NOT NULL,
  cur_stamp TEXT NOT NULL,
  uidlist_stamp TEXT NOT NULL,
  keywords_stamp TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
  uid INTEGER PRIMARY KEY,
  base TEXT NOT NULL UNIQUE,
  sub TEXT NOT NULL,
  name TEXT NOT NULL,
  letters TEXT NOT NULL,
  size INTEGER NOT NULL,
  internal_date INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  summary TEXT
);
CREATE INDEX IF NOT EXISTS messages_modseq ON messages (modseq);
CREATE TABLE IF NOT EXISTS expunges (uid INTEGER PRIMARY KEY, modseq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS expunges_modseq ON expunges (modseq);
CREATE TABLE IF NOT EXISTS texts (
  uid INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (uid, key)
) WITHOUT ROWID;
`;

export interface FolderRow {
  schema_version: number;
  uidvalidity: number;
  highest_modseq: number;
  expunge_floor: number;
  new_stamp: string;
  cur_stamp: string;
  uidlist_stamp: string;
  keywords_stamp: string;
}

export interface MessageRow {
  uid: number;
  base: string;
  sub: 'new' | 'cur';
  name: string;
  letters: string;
  size: number;
  internal_date: number;
  modseq: number;
}

/** A row as an array, in the column order of MESSAGE_COLUMNS (loading 100k rows as objects costs twice). */
export type MessageTuple = [number, string, 'new' | 'cur', string, string, number, number, number];
const MESSAGE_COLUMNS = 'uid, base, sub, name, letters, size, internal_date, modseq';
/** The same with the name's suffix after the base (`:2,S`) in place of the name, for the mirror. */
const LOAD_COLUMNS = 'uid, base, sub, substr(name, length(base) + 1), letters, size, internal_date, modseq';

export function tupleToRow(t: MessageTuple): MessageRow {
  return {
    uid: t[0],
    base: t[1],
    sub: t[2],
    name: t[3],
    letters: t[4],
    size: t[5],
    internal_date: t[6],
    modseq: t[7],
  };
}

const SQL = {
  folder: 'SELECT * FROM folder WHERE id = 1',
  dataVersion: 'PRAGMA data_version',
  all: `SELECT ${LOAD_COLUMNS} FROM messages ORDER BY uid`,
  since: `SELECT ${LOAD_COLUMNS} FROM messages WHERE modseq > ? ORDER BY uid`,
  byBase: `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE base = ?`,
  byUid: `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE uid = ?`,
  expungesSince: 'SELECT uid, modseq FROM expunges WHERE modseq > ? ORDER BY modseq, uid',
  expunged: 'SELECT 1 AS x FROM expunges WHERE uid = ?',
  insert: `INSERT OR IGNORE INTO messages (${MESSAGE_COLUMNS}, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  setLetters: 'UPDATE messages SET letters = ?, modseq = ? WHERE uid = ?',
  setFile: 'UPDATE messages SET sub = ?, name = ? WHERE uid = ?',
  setFileAndLetters: 'UPDATE messages SET sub = ?, name = ?, letters = ?, modseq = ? WHERE uid = ?',
  touch: 'UPDATE messages SET modseq = ? WHERE uid = ?',
  remove: 'DELETE FROM messages WHERE uid = ?',
  removeTexts: 'DELETE FROM texts WHERE uid = ?',
  logExpunge: 'INSERT OR REPLACE INTO expunges (uid, modseq) VALUES (?, ?)',
  expungeCount: 'SELECT count(*) AS n FROM expunges',
  pruneFloor: 'SELECT modseq FROM expunges ORDER BY modseq DESC LIMIT 1 OFFSET ?',
  prune: 'DELETE FROM expunges WHERE modseq <= ?',
  setHighest: 'UPDATE folder SET highest_modseq = ? WHERE id = 1',
  setFloor: 'UPDATE folder SET expunge_floor = ? WHERE id = 1',
  setStamps:
    'UPDATE folder SET new_stamp = ?, cur_stamp = ?, uidlist_stamp = ?, keywords_stamp = ? WHERE id = 1',
  summary: 'SELECT summary FROM messages WHERE uid = ?',
  setSummary: 'UPDATE messages SET summary = ? WHERE uid = ? AND summary IS NULL',
  text: 'SELECT value FROM texts WHERE uid = ? AND key = ?',
  texts: 'SELECT key, value FROM texts WHERE uid = ?',
  textsFrom: 'SELECT uid, value FROM texts WHERE uid >= ? AND key = ? ORDER BY uid LIMIT ?',
  setText:
    'INSERT OR REPLACE INTO texts (uid, key, value) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE uid = ?)',
} as const;

type StatementName = keyof typeof SQL;

/** Statements whose rows come back as arrays (cheaper than objects for whole-folder reads). */
const RETURN_ARRAYS: ReadonlySet<StatementName> = new Set(['all', 'since', 'byBase', 'byUid', 'textsFrom']);

/** Opens (creating) the index file: owner-only, WAL, with its schema. */
function openOnDisk(path: string): DatabaseSync {
  return openSharedSqlite(path, SCHEMA, BUSY_TIMEOUT_MS);
}

/** SQLITE_FULL, or the file system refusing to create or grow a file. */
function isDiskFull(err: unknown): boolean {
  const e = err as { code?: string; errcode?: number } | undefined;
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') return true;
  const primary = (e?.errcode ?? 0) & 0xff;
  // FULL, or IOERR / CANTOPEN while the journal or shared-memory file could not be made.
  return primary === 13 || ((primary === 10 || primary === 14) && /full|space/i.test(String(err)));
}

/**
 * One folder's connection and its statements, prepared on first use. A connection costs about
 * 200 KB (SQLite's lookaside and caches) and each prepared statement a few more, so an index
 * nobody used for 15-30 s hibernates: the connection is closed and the file's stamp kept;
 * `dataVersion` then compares stamps instead of asking SQLite, and any use opens it again.
 * An idle IMAP session on a small folder would otherwise weigh ~300 KB.
 */
export class IndexDb {
  private conn: DatabaseSync | null;
  private readonly statements = new Map<StatementName, StatementSync>();
  /** In memory since the disk was full: this process's alone until the folder is reopened. */
  volatile = false;
  private readonly path: string;
  private closed = false;
  /** Counts uses; the sweeper hibernates a connection whose count did not move. */
  uses = 0;
  usesAtSweep = -1;
  /** Our data version: grows whenever another connection committed, across hibernations. */
  private version = 1;
  private lastRaw = 0;
  private hibernatedStamp: string | null = null;

  constructor(dir: string) {
    this.path = join(dir, INDEX_FILE);
    try {
      this.conn = openOnDisk(this.path);
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      this.conn = this.inMemory();
    }
    this.lastRaw = this.rawVersion();
    live.add(this);
    startSweeper();
  }

  /** False once closed (a hibernating index is still open). */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** The connection, opened again when it hibernated. */
  get db(): DatabaseSync {
    this.uses++;
    if (this.conn) return this.conn;
    if (this.closed) throw new Error('folder index closed');
    try {
      this.conn = openOnDisk(this.path);
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      this.conn = this.inMemory();
    }
    if (this.hibernatedStamp !== null && this.fileStamp() !== this.hibernatedStamp) this.version++;
    this.hibernatedStamp = null;
    this.lastRaw = this.rawVersion();
    return this.conn;
  }

  /** Whether the connection is closed for idleness (the index itself is still open). */
  get hibernating(): boolean {
    return this.conn === null && !this.closed;
  }

  /** Closes the connection of an idle index; the next use opens it again. */
  hibernate(): void {
    const conn = this.conn;
    if (!conn || this.volatile || this.closed || conn.isTransaction) return;
    this.dataVersion();
    this.statements.clear();
    this.conn = null;
    conn.close();
    this.hibernatedStamp = this.fileStamp();
  }

  private fileStamp(): string {
    const part = (path: string) => {
      const st = statSync(path, { throwIfNoEntry: false });
      return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '-';
    };
    return `${part(this.path)}/${part(`${this.path}-wal`)}`;
  }

  private rawVersion(): number {
    return (this.st('dataVersion').get() as { data_version: number }).data_version;
  }

  private st(name: StatementName): StatementSync {
    const db = this.db;
    let s = this.statements.get(name);
    if (!s) {
      s = db.prepare(SQL[name]);
      if (RETURN_ARRAYS.has(name)) s.setReturnArrays(true);
      this.statements.set(name, s);
    }
    return s;
  }

  /**
   * A full disk must not cost users their mail: SELECT, FETCH, STORE \Deleted and EXPUNGE are
   * how they make room. The index moves into memory, starting from what the file holds (it is
   * still readable), and the process carries on; the file is used again when the folder is
   * next opened with room (its stale rows are reconciled with the Maildir like any other).
   */
  private inMemory(): DatabaseSync {
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite');
    const mem = new DatabaseSync(':memory:');
    mem.exec(SCHEMA);
    try {
      mem.exec(`ATTACH DATABASE '${this.path.replaceAll("'", "''")}' AS disk`);
      try {
        mem.exec('BEGIN');
        for (const table of ['folder', 'messages', 'expunges', 'texts'])
          mem.exec(`INSERT OR REPLACE INTO main.${table} SELECT * FROM disk.${table}`);
        mem.exec('COMMIT');
      } finally {
        if (mem.isTransaction) mem.exec('ROLLBACK');
        mem.exec('DETACH DATABASE disk');
      }
    } catch {
      // Nothing readable on disk: the index is rebuilt from the Maildir.
    }
    this.volatile = true;
    return mem;
  }

  close(): void {
    this.closed = true;
    live.delete(this);
    this.statements.clear();
    if (this.conn?.isOpen) this.conn.close();
    this.conn = null;
  }

  /** Runs `job` in one write transaction (the write lock taken up front). Synchronous. */
  write<T>(job: () => T): T {
    try {
      return this.transaction(job);
    } catch (err) {
      if (this.volatile || !isDiskFull(err)) throw err;
      const disk = this.db;
      this.statements.clear();
      this.conn = this.inMemory();
      disk.close();
      return this.transaction(job);
    }
  }

  private transaction<T>(job: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = job();
      this.db.exec('COMMIT');
      return out;
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Changes whenever another connection committed (never for this one's own commits). */
  dataVersion(): number {
    if (!this.conn) {
      if (this.closed || this.hibernatedStamp === this.fileStamp()) return this.version;
      void this.db; // wakes, counting the change
      return this.version;
    }
    const raw = this.rawVersion();
    if (raw !== this.lastRaw) {
      this.lastRaw = raw;
      this.version++;
    }
    return this.version;
  }

  folder(): FolderRow | undefined {
    return this.st('folder').get() as FolderRow | undefined;
  }

  /** Empties the index for a (new) UIDVALIDITY; modseqs keep growing. */
  reset(uidValidity: number): void {
    const old = this.folder();
    const highest = old?.highest_modseq ?? 0;
    this.db.exec('DELETE FROM messages; DELETE FROM expunges; DELETE FROM texts; DELETE FROM folder');
    this.db
      .prepare("INSERT INTO folder VALUES (1, ?, ?, ?, ?, '', '', '', '')")
      .run(SCHEMA_VERSION, uidValidity, highest, highest);
  }

  /** [uid, value] of the texts under `key` from `uid` on, in UID order. */
  textsFrom(key: string, uid: number, limit: number): Array<[number, string]> {
    return this.st('textsFrom').all(uid, key, limit) as unknown as Array<[number, string]>;
  }

  /** Every row, with the name's suffix in place of the name (see LOAD_COLUMNS). */
  all(): MessageTuple[] {
    return this.st('all').all() as unknown as MessageTuple[];
  }

  /** Rows changed after `modseq`, with the name's suffix in place of the name. */
  since(modseq: number): MessageTuple[] {
    return this.st('since').all(modseq) as unknown as MessageTuple[];
  }

  byBase(base: string): MessageTuple | undefined {
    return this.st('byBase').get(base) as unknown as MessageTuple | undefined;
  }

  byUid(uid: number): MessageTuple | undefined {
    return this.st('byUid').get(uid) as unknown as MessageTuple | undefined;
  }

  expungesSince(modseq: number): Array<{ uid: number; modseq: number }> {
    return this.st('expungesSince').all(modseq) as Array<{ uid: number; modseq: number }>;
  }

  wasExpunged(uid: number): boolean {
    return this.st('expunged').get(uid) !== undefined;
  }

  insert(r: MessageRow, summary: string | null = null): boolean {
    return (
      this.st('insert').run(
        r.uid,
        r.base,
        r.sub,
        r.name,
        r.letters,
        r.size,
        r.internal_date,
        r.modseq,
        summary,
      ).changes > 0
    );
  }

  setLetters(uid: number, letters: string, modseq: number): void {
    this.st('setLetters').run(letters, modseq, uid);
  }

  setFile(uid: number, sub: string, name: string): void {
    this.st('setFile').run(sub, name, uid);
  }

  setFileAndLetters(uid: number, sub: string, name: string, letters: string, modseq: number): void {
    this.st('setFileAndLetters').run(sub, name, letters, modseq, uid);
  }

  touch(uid: number, modseq: number): void {
    this.st('touch').run(modseq, uid);
  }

  /** Deletes the message row and its texts and logs the expunge; false when already gone. */
  expunge(uid: number, modseq: number): boolean {
    if (this.st('remove').run(uid).changes === 0) return false;
    this.st('removeTexts').run(uid);
    this.st('logExpunge').run(uid, modseq);
    return true;
  }

  /** Logs an expunge whose row is already gone (a reset for a new UIDVALIDITY). */
  logExpunge(uid: number, modseq: number): void {
    this.st('logExpunge').run(uid, modseq);
  }

  /** Keeps the newest `keep` expunges once there are more than `max`; returns the new floor. */
  pruneExpunges(max: number, keep: number): number | undefined {
    const n = (this.st('expungeCount').get() as { n: number }).n;
    if (n <= max) return undefined;
    const floor = (this.st('pruneFloor').get(keep) as { modseq: number } | undefined)?.modseq;
    if (floor === undefined) return undefined;
    this.st('prune').run(floor);
    this.st('setFloor').run(floor);
    return floor;
  }

  setHighest(modseq: number): void {
    this.st('setHighest').run(modseq);
  }

  setStamps(s: { new: string; cur: string; uidlist: string; keywords: string }): void {
    this.st('setStamps').run(s.new, s.cur, s.uidlist, s.keywords);
  }

  summary(uid: number): string | null | undefined {
    return (this.st('summary').get(uid) as { summary: string | null } | undefined)?.summary;
  }

  setSummary(uid: number, json: string): void {
    this.st('setSummary').run(json, uid);
  }

  text(uid: number, key: string): string | undefined {
    return (this.st('text').get(uid, key) as { value: string } | undefined)?.value;
  }

  texts(uid: number): Array<{ key: string; value: string }> {
    return this.st('texts').all(uid) as Array<{ key: string; value: string }>;
  }

  setText(uid: number, key: string, value: string): void {
    this.st('setText').run(uid, key, value, uid);
  }
}

/** Every open index of this process, for the sweeper. */
const live = new Set<IndexDb>();
let sweeper: NodeJS.Timeout | null = null;
const SWEEP_MS = 15_000;

/** Hibernates every index not used since the previous sweep (exported for tests). */
export function sweepIdleIndexes(): void {
  for (const ix of live) {
    if (ix.uses === ix.usesAtSweep) ix.hibernate();
    ix.usesAtSweep = ix.uses;
  }
}

/**
 * Every 15 s: an index not used since the previous sweep (15-30 s idle) hibernates. Long enough
 * that a busy folder keeps its connection and that closing (SQLite then checkpoints and deletes
 * the -wal file) does not churn; an IDLE session lasts minutes.
 */
function startSweeper(): void {
  if (sweeper) return;
  sweeper = setInterval(() => {
    if (live.size === 0) {
      clearInterval(sweeper!);
      sweeper = null;
      return;
    }
    sweepIdleIndexes();
  }, SWEEP_MS);
  sweeper.unref();
}

/** How many open indexes have their connection closed for idleness (tests). */
export function hibernatingCount(): number {
  let n = 0;
  for (const ix of live) if (ix.hibernating) n++;
  return n;
}
