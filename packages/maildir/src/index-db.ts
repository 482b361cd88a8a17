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

/** The prepared statements of one connection. */
export class IndexDb {
  db: DatabaseSync;
  private s: Record<string, StatementSync> = {};
  /** In memory since the disk was full: this process's alone until the folder is reopened. */
  volatile = false;
  private readonly path: string;

  constructor(dir: string) {
    this.path = join(dir, INDEX_FILE);
    try {
      this.db = openOnDisk(this.path);
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      this.db = this.inMemory();
    }
    this.prepareAll();
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

  private prepareAll(): void {
    const p = (sql: string) => this.db.prepare(sql);
    this.s = {
      folder: p('SELECT * FROM folder WHERE id = 1'),
      dataVersion: p('PRAGMA data_version'),
      all: p(`SELECT ${LOAD_COLUMNS} FROM messages ORDER BY uid`),
      since: p(`SELECT ${LOAD_COLUMNS} FROM messages WHERE modseq > ? ORDER BY uid`),
      byBase: p(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE base = ?`),
      byUid: p(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE uid = ?`),
      expungesSince: p('SELECT uid, modseq FROM expunges WHERE modseq > ? ORDER BY modseq, uid'),
      expunged: p('SELECT 1 AS x FROM expunges WHERE uid = ?'),
      insert: p(
        `INSERT OR IGNORE INTO messages (${MESSAGE_COLUMNS}, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      setLetters: p('UPDATE messages SET letters = ?, modseq = ? WHERE uid = ?'),
      setFile: p('UPDATE messages SET sub = ?, name = ? WHERE uid = ?'),
      setFileAndLetters: p('UPDATE messages SET sub = ?, name = ?, letters = ?, modseq = ? WHERE uid = ?'),
      touch: p('UPDATE messages SET modseq = ? WHERE uid = ?'),
      remove: p('DELETE FROM messages WHERE uid = ?'),
      removeTexts: p('DELETE FROM texts WHERE uid = ?'),
      logExpunge: p('INSERT OR REPLACE INTO expunges (uid, modseq) VALUES (?, ?)'),
      expungeCount: p('SELECT count(*) AS n FROM expunges'),
      pruneFloor: p('SELECT modseq FROM expunges ORDER BY modseq DESC LIMIT 1 OFFSET ?'),
      prune: p('DELETE FROM expunges WHERE modseq <= ?'),
      setHighest: p('UPDATE folder SET highest_modseq = ? WHERE id = 1'),
      setFloor: p('UPDATE folder SET expunge_floor = ? WHERE id = 1'),
      setStamps: p(
        'UPDATE folder SET new_stamp = ?, cur_stamp = ?, uidlist_stamp = ?, keywords_stamp = ? WHERE id = 1',
      ),
      summary: p('SELECT summary FROM messages WHERE uid = ?'),
      setSummary: p('UPDATE messages SET summary = ? WHERE uid = ? AND summary IS NULL'),
      text: p('SELECT value FROM texts WHERE uid = ? AND key = ?'),
      texts: p('SELECT key, value FROM texts WHERE uid = ?'),
      textsFrom: p('SELECT uid, value FROM texts WHERE uid >= ? AND key = ? ORDER BY uid LIMIT ?'),
      setText: p(
        'INSERT OR REPLACE INTO texts (uid, key, value) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE uid = ?)',
      ),
    };
    for (const name of ['all', 'since', 'byBase', 'byUid', 'textsFrom'] as const)
      this.s[name]!.setReturnArrays(true);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /** Runs `job` in one write transaction (the write lock taken up front). Synchronous. */
  write<T>(job: () => T): T {
    try {
      return this.transaction(job);
    } catch (err) {
      if (this.volatile || !isDiskFull(err)) throw err;
      const disk = this.db;
      this.db = this.inMemory();
      disk.close();
      this.prepareAll();
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
    return (this.s.dataVersion!.get() as { data_version: number }).data_version;
  }

  folder(): FolderRow | undefined {
    return this.s.folder!.get() as FolderRow | undefined;
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
    return this.s.textsFrom!.all(uid, key, limit) as unknown as Array<[number, string]>;
  }

  /** Every row, with the name's suffix in place of the name (see LOAD_COLUMNS). */
  all(): MessageTuple[] {
    return this.s.all!.all() as unknown as MessageTuple[];
  }

  /** Rows changed after `modseq`, with the name's suffix in place of the name. */
  since(modseq: number): MessageTuple[] {
    return this.s.since!.all(modseq) as unknown as MessageTuple[];
  }

  byBase(base: string): MessageTuple | undefined {
    return this.s.byBase!.get(base) as unknown as MessageTuple | undefined;
  }

  byUid(uid: number): MessageTuple | undefined {
    return this.s.byUid!.get(uid) as unknown as MessageTuple | undefined;
  }

  expungesSince(modseq: number): Array<{ uid: number; modseq: number }> {
    return this.s.expungesSince!.all(modseq) as Array<{ uid: number; modseq: number }>;
  }

  wasExpunged(uid: number): boolean {
    return this.s.expunged!.get(uid) !== undefined;
  }

  insert(r: MessageRow, summary: string | null = null): boolean {
    return (
      this.s.insert!.run(r.uid, r.base, r.sub, r.name, r.letters, r.size, r.internal_date, r.modseq, summary)
        .changes > 0
    );
  }

  setLetters(uid: number, letters: string, modseq: number): void {
    this.s.setLetters!.run(letters, modseq, uid);
  }

  setFile(uid: number, sub: string, name: string): void {
    this.s.setFile!.run(sub, name, uid);
  }

  setFileAndLetters(uid: number, sub: string, name: string, letters: string, modseq: number): void {
    this.s.setFileAndLetters!.run(sub, name, letters, modseq, uid);
  }

  touch(uid: number, modseq: number): void {
    this.s.touch!.run(modseq, uid);
  }

  /** Deletes the message row and its texts and logs the expunge; false when already gone. */
  expunge(uid: number, modseq: number): boolean {
    if (this.s.remove!.run(uid).changes === 0) return false;
    this.s.removeTexts!.run(uid);
    this.s.logExpunge!.run(uid, modseq);
    return true;
  }

  /** Logs an expunge whose row is already gone (a reset for a new UIDVALIDITY). */
  logExpunge(uid: number, modseq: number): void {
    this.s.logExpunge!.run(uid, modseq);
  }

  /** Keeps the newest `keep` expunges once there are more than `max`; returns the new floor. */
  pruneExpunges(max: number, keep: number): number | undefined {
    const n = (this.s.expungeCount!.get() as { n: number }).n;
    if (n <= max) return undefined;
    const floor = (this.s.pruneFloor!.get(keep) as { modseq: number } | undefined)?.modseq;
    if (floor === undefined) return undefined;
    this.s.prune!.run(floor);
    this.s.setFloor!.run(floor);
    return floor;
  }

  setHighest(modseq: number): void {
    this.s.setHighest!.run(modseq);
  }

  setStamps(s: { new: string; cur: string; uidlist: string; keywords: string }): void {
    this.s.setStamps!.run(s.new, s.cur, s.uidlist, s.keywords);
  }

  summary(uid: number): string | null | undefined {
    return (this.s.summary!.get(uid) as { summary: string | null } | undefined)?.summary;
  }

  setSummary(uid: number, json: string): void {
    this.s.setSummary!.run(json, uid);
  }

  text(uid: number, key: string): string | undefined {
    return (this.s.text!.get(uid, key) as { value: string } | undefined)?.value;
  }

  texts(uid: number): Array<{ key: string; value: string }> {
    return this.s.texts!.all(uid) as Array<{ key: string; value: string }>;
  }

  setText(uid: number, key: string, value: string): void {
    this.s.setText!.run(uid, key, value, uid);
  }
}
