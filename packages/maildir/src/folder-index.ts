/**
 * One folder's index, shared by every handle of the folder in a store object (a process
 * normally has one store) and persisted in SQLite (index-db.ts).
 *
 * In memory: a mirror of the index rows as immutable MessageMeta objects (replaced on
 * change), the uid-sorted immutable array `metas` (the same object until something changes,
 * so sessions keep it instead of copying), the kept expunge log and the highest modseq.
 * Every change goes to SQLite first, in a short synchronous write transaction; the mirror
 * then reads what was committed with a modseq above its own (`pull`), whoever committed it:
 * this process, another of our processes (imap, pop3, mda share the Maildir), or a
 * reconciliation with the disk.
 *
 * The Maildir stays the truth for bodies and UIDs. What other programs do (a Dovecot
 * delivery, a file dropped into new/, a flag rename by mutt) is found by `sync`: four stats
 * (new/, cur/, dovecot-uidlist, dovecot-keywords) against the stamps of the last look, and a
 * rescan only of what moved, reconciled under the write lock:
 *   - a file under the recorded name: nothing;
 *   - another name whose letters are the wanted ones: our own rename (maybe by another of our
 *     processes): the name is recorded;
 *   - other letters: an external flag change: the disk's flags are adopted, modseq++;
 *   - a recorded file missing (after a second look): expunged (row gone, logged, modseq++);
 *   - a file without a row: UID from the uidlist (assigned if none), row inserted, modseq++.
 * Flag changes set the wanted letters first; the renames follow from a queue without
 * blocking the caller, and a row whose file name disagrees with its wanted letters at load
 * is a rename to redo (a crash in between).
 */
import { constants, existsSync, lstatSync, readdirSync } from 'node:fs';
import { lstat, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  type EnvelopeFields,
  type FolderDelta,
  isNoSpace,
  type MessageMeta,
  type MessageSummary,
  NotFoundError,
  summarize,
  summarizeBuffer,
} from '@mailstack/core';
import { lfToCrlf, ToCrlf, wireSizeOf } from './crlf.ts';
import { fsyncDir, type WrittenMessage } from './deliver.ts';
import {
  fileName,
  isSystemFlag,
  lettersToFlags,
  parseFileName,
  sortLetters,
  systemLetter,
} from './filename.ts';
import { IndexDb, type MessageRow, type MessageTuple, SCHEMA_VERSION } from './index-db.ts';
import { KeywordTable } from './keywords.ts';
import type { UidList } from './uidlist.ts';
import { skipWhenFull } from './write-all.ts';

export type Sub = 'new' | 'cur';

export interface FileRef {
  sub: Sub;
  name: string;
}

/**
 * A message in the mirror. `sub` and the file name follow the disk (a rename changes no
 * meta); the name is kept as its suffix after the base (`:2,S`), a few bytes instead of a
 * second copy of the base.
 */
class Entry {
  readonly uid: number;
  readonly base: string;
  sub: Sub;
  suffix: string;
  /** The wanted flag letters (the file's name catches up through the rename queue). */
  readonly letters: string;
  readonly meta: MessageMeta;

  constructor(uid: number, base: string, sub: Sub, suffix: string, letters: string, meta: MessageMeta) {
    this.uid = uid;
    this.base = base;
    this.sub = sub;
    this.suffix = suffix;
    this.letters = letters;
    this.meta = meta;
  }

  get name(): string {
    return this.suffix === '' ? this.base : this.base + this.suffix;
  }
}

/** A message to record in the index (append, delivery, copy). */
export interface NewMessage {
  uid: number;
  base: string;
  sub: Sub;
  name: string;
  letters: string;
  size: number;
  internalDate: number;
  summary?: string | null;
  texts?: Array<{ key: string; value: string }>;
}

/** How much of the expunge log a folder keeps (changesSince below what it dropped answers null). */
export interface IndexLimits {
  /** Pruned once it holds more than this many expunges; default 20,000. */
  expungeLogMax?: number;
  /** What a prune keeps, the newest; default 10,000. */
  expungeLogKeep?: number;
}

/** Opening a message file: read-only, and failing (ELOOP) on a symbolic link. */
const NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;
/** Messages up to this wire size are read in one go instead of streamed. */
const SMALL_MESSAGE = 256 * 1024;
/** Mtime granularity margin: a directory scanned this long after its mtime can be trusted. */
const MTIME_SAFE_MS = 1000;
/** The expunge log is pruned to KEEP entries once it holds more than MAX (the floor is recorded). */
const EXPUNGE_LOG_MAX = 20_000;
const EXPUNGE_LOG_KEEP = 10_000;
/** The in-memory log of recent changes (for a cheap changesSince) is halved beyond this. */
const RECENT_LOG_MAX = 50_000;
/** Cached texts and summaries are written in one transaction per this many, or per tick. */
const WRITE_BATCH = 512;
/** Cached texts read ahead per query. */
const TEXT_WINDOW = 2048;
/** A header bigger than this is cut for envelope() (the summariser's own header budget). */
const MAX_HEADER = 256 * 1024;
/** Files described (stat, maybe read) at once when a folder is first indexed. */
const DESCRIBE_PARALLEL = 64;

const EMPTY: readonly MessageMeta[] = Object.freeze([]);

interface DirStamp {
  mtime: number;
  /** When the directory was listed (or, for `own`, when our own change ended). */
  at: number;
  /**
   * The mtime is our own renames' (the directory was trusted just before them): trusted
   * without a listing while it is younger than the margin, then listed once to verify. A
   * change another program made during our renames is seen at most that much later.
   */
  own?: boolean;
}

/** A directory whose mtime is `mtime` needs no listing under this stamp. */
function trusted(s: DirStamp | null, mtime: number, now = Date.now()): boolean {
  if (s === null || s.mtime !== mtime) return false;
  return s.own ? now - s.mtime <= MTIME_SAFE_MS : s.at - s.mtime > MTIME_SAFE_MS;
}

function parseStamp(s: string): DirStamp | null {
  const [m, a] = s.split('/');
  const mtime = Number(m);
  const at = Number(a);
  return s && Number.isFinite(mtime) && Number.isFinite(at) ? { mtime, at } : null;
}

/** An `own` stamp is never persisted: a restarted process lists that directory once. */
const stampText = (s: DirStamp | null) => (s && !s.own ? `${s.mtime}/${s.at}` : '');

async function fileStamp(path: string): Promise<string> {
  try {
    const st = await stat(path);
    return `${st.ino}:${st.birthtimeMs}:${st.size}:${st.mtimeMs}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/** A regular file (not a symbolic link swapped in), looked at inside a write transaction. */
function isFile(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

function lettersOfName(name: string): string {
  const colon = name.indexOf(':2,');
  return colon < 0 ? '' : name.slice(colon + 3);
}

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Index of `uid` in a uid-sorted array, or -1. */
export function findUid(list: readonly MessageMeta[], uid: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const u = list[mid]!.uid;
    if (u === uid) return mid;
    if (u < uid) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The letters a flag operation leaves, from the current ones. */
function applyOp(op: '+' | '-' | '=', current: string, letters: string): string {
  if (op === '+') return sortLetters(current + letters);
  if (op === '-') return [...current].filter((l) => !letters.includes(l)).join('');
  // Keep letters IMAP cannot see (P = passed) on a replace.
  const hidden = [...current].filter((l) => l >= 'A' && l <= 'Z' && !'DFRST'.includes(l)).join('');
  return sortLetters(letters + hidden);
}

export class FolderIndex {
  readonly dir: string;
  readonly uidlist: UidList;
  readonly keywordTable: KeywordTable;
  /** Handles holding this index; the database closes a moment after the last one goes. */
  refs = 0;
  /** Dropped from its registry (folder deleted or renamed): closes as soon as unused. */
  detached = false;
  uidValidity = 0;
  highest = 0;
  /** The uid-sorted metas: the same array object until something changes. */
  metas: readonly MessageMeta[] = EMPTY;

  private db_: IndexDb | null = null;
  private loaded = false;
  private loading: Promise<void> | null = null;
  private syncing: Promise<void> | null = null;
  private floor = 0;
  private dataVersion = -1;
  private readonly entries = new Map<number, Entry>();
  /** base → entry, built when a scan first needs it (a load from SQLite does not). */
  private byBase_: Map<string, Entry> | null = null;
  /** Windows of cached texts per key, read ahead in UID order (FETCH 1:* asks in that order). */
  private textWindows = new Map<string, { from: number; to: number; values: Map<number, string> }>();
  /** Exactly the entries whose sub is 'new' (a scan counts on it). */
  private readonly inNew = new Set<number>();
  /** Expunges above the floor, in modseq order (the same as the table). */
  private expunges: Array<{ uid: number; modseq: number }> = [];
  /** [modseq, uid] of every change pulled since load; complete above recentFloor. */
  private recentLog: Array<[number, number]> = [];
  private recentFloor = 0;
  private stamps: { new: DirStamp | null; cur: DirStamp | null; uidlist: string; keywords: string } = {
    new: null,
    cur: null,
    uidlist: '',
    keywords: '',
  };
  /** Files seen without a UID (another process is numbering them, or the disk is full). */
  private readonly unnumbered = new Map<string, FileRef>();
  private flagCache = new Map<string, readonly string[]>();
  private readonly renameQueue = new Set<number>();
  /**
   * Names our rename queue gave files but has not recorded yet (it records after the fsync).
   * A scan in between sees such a name with letters the wanted ones may have moved past (a
   * second STORE): it is ours, not another program's flag change to adopt.
   */
  private readonly renamedTo = new Map<number, string>();
  private renaming: Promise<void> | null = null;
  private readonly pendingTexts = new Map<string, [number, string, string]>();
  private readonly pendingSummaries = new Map<number, string>();
  private flushTimer: NodeJS.Timeout | null = null;
  lingerTimer: NodeJS.Timeout | null = null;

  private readonly expungeLog: { max: number; keep: number };

  constructor(dir: string, uidlist: UidList, limits: IndexLimits = {}) {
    this.dir = dir;
    this.uidlist = uidlist;
    this.keywordTable = new KeywordTable(dir);
    this.expungeLog = {
      max: limits.expungeLogMax ?? EXPUNGE_LOG_MAX,
      keep: limits.expungeLogKeep ?? EXPUNGE_LOG_KEEP,
    };
  }

  // ---- database ---------------------------------------------------------------------------

  /** The connection, opened (and emptied for a new UIDVALIDITY) on first use. */
  private async database(): Promise<IndexDb> {
    if (this.db_?.isOpen) return this.db_;
    // The header line is enough here; the records are read when a file needs numbering.
    const header = (await this.uidlist.peekHeader()) ?? (await this.uidlist.ensure());
    const db = new IndexDb(this.dir);
    const row = db.folder();
    if (row?.schema_version !== SCHEMA_VERSION || row.uidvalidity !== header.uidValidity)
      db.write(() => db.reset(header.uidValidity));
    this.db_ = db;
    return db;
  }

  private get byBase(): Map<string, Entry> {
    if (!this.byBase_) {
      this.byBase_ = new Map();
      for (const e of this.entries.values()) this.byBase_.set(e.base, e);
    }
    return this.byBase_;
  }

  /** The next UID: the uidlist's, or past the index's highest when the uidlist was not read. */
  get uidNext(): number {
    return Math.max(this.uidlist.nextUid, (this.metas.at(-1)?.uid ?? 0) + 1);
  }

  private get db(): IndexDb {
    if (!this.db_) throw new Error('folder index not open');
    return this.db_;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** Loads the mirror once (from SQLite, then a look at the disk). */
  load(): Promise<void> {
    this.loading ??= this.loadNow().catch((err: unknown) => {
      this.loading = null;
      throw err;
    });
    return this.loading;
  }

  private async loadNow(): Promise<void> {
    await this.keywordTable.load();
    const db = await this.database();
    const row = db.folder()!;
    this.uidValidity = row.uidvalidity;
    this.highest = row.highest_modseq;
    this.recentFloor = this.highest;
    this.floor = row.expunge_floor;
    this.dataVersion = db.dataVersion();
    this.stamps = {
      new: parseStamp(row.new_stamp),
      cur: parseStamp(row.cur_stamp),
      uidlist: row.uidlist_stamp,
      keywords: row.keywords_stamp,
    };
    const metas: MessageMeta[] = [];
    for (const t of db.all()) metas.push(this.put(t).meta);
    this.metas = metas;
    this.expunges = db.expungesSince(this.floor);
    this.loaded = true;
    await this.syncNow();
    // A crash between a flag change and its rename leaves names behind their wanted letters.
    for (const e of this.entries.values())
      if (lettersOfName(e.suffix) !== e.letters) this.renameQueue.add(e.uid);
    this.kickRenames();
  }

  private flagsOf(letters: string): readonly string[] {
    let flags = this.flagCache.get(letters);
    if (!flags) {
      flags = Object.freeze(letters === '' ? [] : lettersToFlags(letters, this.keywordTable.keywordAt));
      this.flagCache.set(letters, flags);
    }
    return flags;
  }

  /** Puts a row (with the name's suffix in place of the name) into the mirror, not into `metas`. */
  private put(t: MessageTuple): Entry {
    const [uid, base, sub, suffix, letters, size, date, modseq] = t;
    const meta = {
      uid,
      flags: this.flagsOf(letters) as string[],
      size,
      internalDate: new Date(date),
      modseq,
    };
    const e = new Entry(uid, base, sub, suffix, letters, meta);
    if (this.byBase_) {
      const old = this.entries.get(uid);
      if (old && old.base !== base) this.byBase_.delete(old.base);
      this.byBase_.set(base, e);
    }
    this.entries.set(uid, e);
    if (sub === 'new') this.inNew.add(uid);
    else if (this.inNew.size > 0) this.inNew.delete(uid);
    return e;
  }

  private setLocation(e: Entry, ref: FileRef): void {
    e.sub = ref.sub;
    e.suffix = ref.name.slice(e.base.length);
    if (ref.sub === 'new') this.inNew.add(e.uid);
    else this.inNew.delete(e.uid);
  }

  /** Reads what was committed above the mirror's modseq (by anyone) into the mirror. */
  private pull(): void {
    const db = this.db;
    const row = db.folder();
    if (!row || (row.highest_modseq === this.highest && row.expunge_floor === this.floor)) return;
    const upserts: Entry[] = [];
    const rows = db.since(this.highest);
    // A bulk change (a first build) is not logged one by one: changesSince from before it
    // walks the list instead.
    const bulk = rows.length > RECENT_LOG_MAX / 2;
    for (const t of rows) {
      const e = this.put(t);
      upserts.push(e);
      if (!bulk) this.recentLog.push([e.meta.modseq, e.uid]);
    }
    const removed = new Set<number>();
    for (const x of db.expungesSince(this.highest)) {
      const e = this.entries.get(x.uid);
      if (e) {
        this.entries.delete(x.uid);
        if (this.byBase_?.get(e.base) === e) this.byBase_.delete(e.base);
        this.inNew.delete(x.uid);
        removed.add(x.uid);
      }
      this.expunges.push(x);
    }
    this.highest = row.highest_modseq;
    if (row.expunge_floor > this.floor) {
      this.floor = row.expunge_floor;
      this.expunges = this.expunges.filter((x) => x.modseq > this.floor);
    }
    if (bulk) {
      this.recentLog = [];
      this.recentFloor = this.highest;
    } else if (this.recentLog.length > RECENT_LOG_MAX) {
      const drop = this.recentLog.length >> 1;
      this.recentFloor = this.recentLog[drop - 1]![0];
      this.recentLog = this.recentLog.slice(drop);
    }
    this.rebuildMetas(upserts, removed);
  }

  /** Replaces `metas` with a copy carrying the changes (copy-on-write: holders keep theirs). */
  private rebuildMetas(upserts: Entry[], removed: Set<number>): void {
    if (upserts.length === 0 && removed.size === 0) return;
    const next = removed.size > 0 ? this.metas.filter((m) => !removed.has(m.uid)) : this.metas.slice();
    const added: MessageMeta[] = [];
    for (const e of upserts) {
      const at = findUid(next, e.uid);
      if (at >= 0) next[at] = e.meta;
      else added.push(e.meta);
    }
    if (added.length > 0) {
      added.sort((a, b) => a.uid - b.uid);
      const ordered = next.length === 0 || added[0]!.uid > next[next.length - 1]!.uid;
      for (const m of added) next.push(m);
      if (!ordered) next.sort((a, b) => a.uid - b.uid);
    }
    this.metas = next;
  }

  /** Allocates the modseq of the running write transaction (one per transaction). */
  private nextModseq(): number {
    return this.db.folder()!.highest_modseq + 1;
  }

  // ---- reading what changed -----------------------------------------------------------------

  /** Brings the mirror up to date with other processes and the disk (concurrent calls share one). */
  sync(): Promise<void> {
    this.syncing ??= this.syncNow().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async readSub(sub: Sub, into: Map<string, FileRef>): Promise<void> {
    for (const entry of await readdir(join(this.dir, sub), { withFileTypes: true })) {
      const name = entry.name;
      // Symbolic links are not messages: one placed in a Maildir could point into another's mail.
      if (name.charCodeAt(0) === 46 /* '.' */ || entry.isSymbolicLink()) continue;
      const colon = name.indexOf(':');
      const base = colon < 0 ? name : name.slice(0, colon);
      // cur/ wins over new/ (a claim in progress shows the file in both for a moment).
      if (sub === 'new' && into.has(base)) continue;
      into.set(base, { sub, name });
    }
  }

  /** Where a message's file is right now (synchronous: inside a write transaction). */
  private findNow(base: string): FileRef | null {
    for (const sub of ['new', 'cur'] as const)
      for (const name of readdirSync(join(this.dir, sub)))
        if (name === base || name.startsWith(`${base}:`)) {
          if (isFile(join(this.dir, sub, name))) return { sub, name };
        }
    return null;
  }

  private async readBoth(): Promise<Map<string, FileRef>> {
    // new/ first: a file moving new/ → cur/ (a claim, a flag rename) while we list is seen in
    // one of them either way; listed the other way round it can be in neither.
    const files = new Map<string, FileRef>();
    await this.readSub('new', files);
    await this.readSub('cur', files);
    return files;
  }

  private async syncNow(): Promise<void> {
    const db = this.db;
    const [stNew, stCur] = await Promise.all([stat(join(this.dir, 'new')), stat(join(this.dir, 'cur'))]);
    const [ulStamp, kwStamp] = await Promise.all([
      fileStamp(this.uidlist.path),
      fileStamp(join(this.dir, 'dovecot-keywords')),
    ]);
    if (!db.isOpen) return;
    const version = db.dataVersion();
    if (version !== this.dataVersion) {
      this.dataVersion = version;
      // Another connection wrote: texts it cached may be missing from the read-ahead windows.
      this.textWindows.clear();
      this.pull();
    }
    const kwChanged = kwStamp !== this.stamps.keywords;
    if (kwChanged) {
      await this.keywordTable.load();
      this.flagCache = new Map();
    }
    const ulChanged = ulStamp !== this.stamps.uidlist;
    if (ulChanged) {
      await this.uidlist.refresh();
      const v = this.uidlist.header?.uidValidity;
      if (v !== undefined && v !== this.uidValidity) {
        await this.rebuild(v);
        return;
      }
    }
    // Only the directories that moved are read: a delivery into new/ costs no listing of cur/.
    // Whole milliseconds: finer digits are not portable, and the margin covers the granularity.
    const mtimeNew = Math.floor(stNew.mtimeMs);
    const mtimeCur = Math.floor(stCur.mtimeMs);
    const scanNew = !trusted(this.stamps.new, mtimeNew);
    const scanCur = !trusted(this.stamps.cur, mtimeCur);
    const scan = scanNew || scanCur;
    const retry = ulChanged && this.unnumbered.size > 0;
    if (!scan && !kwChanged && !retry) {
      if (ulChanged) this.stamps.uidlist = ulStamp;
      return;
    }
    const at = Date.now();
    const found = new Map<string, FileRef>();
    const missing: string[] = [];
    if (scan) {
      // A plain listing (no file types: a symbolic link is refused when it is described or
      // opened); every file that is where and as the mirror says it is only counts.
      let matched = 0;
      for (const sub of ['new', 'cur'] as const) {
        if (!(sub === 'cur' ? scanCur : scanNew)) continue;
        const names = await readdir(join(this.dir, sub));
        // Built on the first listing that has files (an empty new/ needs no map).
        const byBase = names.length > 0 ? this.byBase : null;
        for (const name of names) {
          if (name.charCodeAt(0) === 46 /* '.' */) continue;
          const colon = name.indexOf(':');
          const base = colon < 0 ? name : name.slice(0, colon);
          const e = byBase!.get(base);
          // The name starts with the base: comparing the suffix costs no string per file.
          if (e?.sub === sub && name.length === base.length + e.suffix.length && name.endsWith(e.suffix)) {
            matched++;
            continue;
          }
          // cur/ wins over new/ (a claim in progress can show a file in both).
          if (sub === 'cur' || !found.has(base)) found.set(base, { sub, name });
        }
      }
      const inNew = this.inNew.size;
      const expected = (scanCur ? this.entries.size - inNew : 0) + (scanNew ? inNew : 0);
      if (matched < expected) {
        // Renamed or gone: a second look at both directories tells which (a file renamed
        // during the first listing, new/ → cur/ or a flag change, shows up in it).
        const again = new Map<string, FileRef>();
        await this.readSub('new', again);
        await this.readSub('cur', again);
        for (const e of this.entries.values()) {
          if (!(e.sub === 'cur' ? scanCur : scanNew)) continue;
          const ref = again.get(e.base);
          if (!ref) missing.push(e.base);
          else if (ref.sub !== e.sub || ref.name !== e.name) found.set(e.base, ref);
        }
      }
    } else for (const [base, ref] of this.unnumbered) found.set(base, ref);

    const fresh = await this.number(found);
    if (!db.isOpen) return;
    const located: Array<[number, FileRef]> = [];
    db.write(() => {
      this.pull();
      let m = 0;
      const mod = () => (m ||= this.nextModseq());
      for (const [base, ref] of found) {
        const t = db.byBase(base);
        const letters = lettersOfName(ref.name);
        if (!t) {
          const f = fresh.get(base);
          // A UID expunged never comes back (a file another process was just unlinking).
          if (!f || db.wasExpunged(f.uid)) continue;
          db.insert({ ...f, sub: ref.sub, name: ref.name, letters, modseq: mod() });
          continue;
        }
        const [uid, , sub, name, wanted] = t;
        if (name === ref.name && sub === ref.sub) located.push([uid, ref]);
        else if (letters === wanted || (ref.sub === 'cur' && this.renamedTo.get(uid) === ref.name)) {
          if (!isFile(join(this.dir, ref.sub, ref.name))) continue;
          db.setFile(uid, ref.sub, ref.name);
          located.push([uid, ref]);
        } else if (isFile(join(this.dir, ref.sub, ref.name))) {
          // Still under the name we saw (not one of ours renamed since): another program's flags.
          db.setFileAndLetters(uid, ref.sub, ref.name, letters, mod());
        }
      }
      for (const base of missing) {
        const t = db.byBase(base);
        if (!t) continue;
        const [uid, , sub, name] = t;
        // Recorded under a name we did not see (renamed by another of our processes since)?
        if (existsSync(join(this.dir, sub, name))) located.push([uid, { sub, name }]);
        else {
          // Or moved by our own rename queue while we listed: only a file gone under every
          // name is an expunge (a wrong one hides mail that is still on disk for good).
          const now = this.findNow(base);
          if (now) located.push([uid, now]);
          else db.expunge(uid, mod());
        }
      }
      if (kwChanged)
        for (const e of this.entries.values())
          if (/[a-z]/.test(e.letters) && !sameFlags(this.flagsOf(e.letters), e.meta.flags))
            db.touch(e.uid, mod());
      if (m) {
        db.setHighest(m);
        this.pruneExpunges();
      }
      const stamps = {
        new: scanNew ? { mtime: mtimeNew, at } : this.stamps.new,
        cur: scanCur ? { mtime: mtimeCur, at } : this.stamps.cur,
        uidlist: ulStamp,
        keywords: kwStamp,
      };
      db.setStamps({ ...stamps, new: stampText(stamps.new), cur: stampText(stamps.cur) });
      this.stamps = stamps;
    });
    this.pull();
    for (const [uid, ref] of located) {
      const e = this.entries.get(uid);
      if (e) this.setLocation(e, ref);
    }
  }

  /** UIDs (from the uidlist, assigned when missing) and size/date of the files without a row. */
  private async number(
    found: Map<string, FileRef>,
  ): Promise<Map<string, Omit<MessageRow, 'sub' | 'name' | 'letters' | 'modseq'>>> {
    const unknown = [...found.keys()].filter((b) => !this.byBase.has(b));
    const out = new Map<string, Omit<MessageRow, 'sub' | 'name' | 'letters' | 'modseq'>>();
    if (unknown.length === 0) return out;
    await this.uidlist.refresh();
    const need = unknown.filter((b) => !this.uidlist.uidOf.has(b)).sort();
    // A full disk refuses the uidlist line: the files stay unlisted until there is room,
    // rather than failing SELECT, which users need in order to expunge and make room.
    if (need.length > 0) await this.uidlist.assign(need).catch(skipWhenFull);
    const todo: Array<[string, FileRef, number]> = [];
    for (const base of unknown) {
      const ref = found.get(base)!;
      const uid = this.uidlist.uidOf.get(base);
      if (uid === undefined) this.unnumbered.set(base, ref);
      else {
        this.unnumbered.delete(base);
        todo.push([base, ref, uid]);
      }
    }
    for (let i = 0; i < todo.length; i += DESCRIBE_PARALLEL)
      await Promise.all(
        todo.slice(i, i + DESCRIBE_PARALLEL).map(async ([base, ref, uid]) => {
          const d = await this.describe(ref);
          if (d) out.set(base, { uid, base, size: d.wireSize, internal_date: d.internalDate });
        }),
      );
    return out;
  }

  /** Size and date of a file the index does not know (a message another program wrote). */
  private async describe(ref: FileRef): Promise<{ wireSize: number; internalDate: number } | null> {
    try {
      const path = join(this.dir, ref.sub, ref.name);
      const st = await lstat(path);
      if (!st.isFile()) return null;
      const wireSize =
        parseFileName(ref.name).wireSize ?? wireSizeOf(await readFile(path, { flag: NO_FOLLOW }));
      return { wireSize, internalDate: Math.floor(st.mtimeMs) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** A new UIDVALIDITY in the uidlist (replaced by hand or by Dovecot): the index starts over. */
  private async rebuild(uidValidity: number): Promise<void> {
    const db = this.db;
    const gone = [...this.entries.keys()];
    db.write(() => {
      db.reset(uidValidity);
      // Every old UID is gone for the sessions; the files come back under their new UIDs.
      const m = this.nextModseq();
      for (const uid of gone) db.logExpunge(uid, m);
      if (gone.length > 0) db.setHighest(m);
    });
    this.uidValidity = uidValidity;
    this.stamps = { new: null, cur: null, uidlist: '', keywords: '' };
    this.unnumbered.clear();
    this.pull();
    await this.syncNow();
  }

  /** Keeps the expunge log bounded; the floor it records makes older changesSince answer null. */
  private pruneExpunges(): void {
    this.db.pruneExpunges(this.expungeLog.max, this.expungeLog.keep);
  }

  /**
   * Messages changed (appended or re-flagged) and UIDs expunged with a modseq in
   * (`since`, `upto`]; null when the kept expunge log does not reach back to `since`.
   */
  changeLog(
    since: number,
    upto = this.highest,
  ): { changed: MessageMeta[]; expunged: Array<{ uid: number; modseq: number }> } | null {
    if (since < this.floor) return null;
    const changed: MessageMeta[] = [];
    if (since < upto) {
      if (since >= this.recentFloor) {
        const seen = new Set<number>();
        for (let i = this.recentLog.length - 1; i >= 0; i--) {
          const [modseq, uid] = this.recentLog[i]!;
          if (modseq <= since) break;
          if (seen.has(uid)) continue;
          seen.add(uid);
          const meta = this.entries.get(uid)?.meta;
          if (meta && meta.modseq > since && meta.modseq <= upto) changed.push(meta);
        }
        changed.sort((a, b) => a.uid - b.uid);
      } else for (const m of this.metas) if (m.modseq > since && m.modseq <= upto) changed.push(m);
    }
    const expunged: Array<{ uid: number; modseq: number }> = [];
    for (let i = this.expunges.length - 1; i >= 0; i--) {
      const x = this.expunges[i]!;
      if (x.modseq <= since) break;
      if (x.modseq <= upto) expunged.push(x);
    }
    expunged.reverse();
    return { changed, expunged };
  }

  changesSince(since: number, upto = this.highest): FolderDelta | null {
    const log = this.changeLog(since, upto);
    if (!log) return null;
    return { changed: log.changed, expunged: log.expunged.map((x) => x.uid).sort((a, b) => a - b) };
  }

  keywords(): readonly string[] {
    return this.keywordTable.all();
  }

  unclaimedRecent(): number {
    return this.inNew.size;
  }

  has(uid: number): boolean {
    return this.entries.has(uid);
  }

  metaOf(uid: number): MessageMeta | undefined {
    return this.entries.get(uid)?.meta;
  }

  fileOf(
    uid: number,
  ): { base: string; sub: Sub; name: string; letters: string; meta: MessageMeta } | undefined {
    return this.entries.get(uid);
  }

  // ---- changing -----------------------------------------------------------------------------

  async lettersForFlags(flags: string[], register: boolean): Promise<string> {
    let letters = '';
    const kws: string[] = [];
    for (const f of flags) {
      if (isSystemFlag(f)) {
        const l = systemLetter(f);
        if (l) letters += l;
      } else kws.push(f);
    }
    if (kws.length > 0) {
      await this.keywordTable.load();
      letters += await this.keywordTable.lettersFor(kws, register);
    }
    return sortLetters(letters);
  }

  /** Records messages whose files are in place and numbered; returns the modseq (0 if none new). */
  async record(messages: NewMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    const db = await this.database();
    let m = 0;
    db.write(() => {
      m = this.nextModseq();
      let any = false;
      for (const x of messages) {
        if (!db.insert({ ...x, internal_date: x.internalDate, modseq: m }, x.summary ?? null)) continue;
        any = true;
        for (const t of x.texts ?? []) db.setText(x.uid, t.key, t.value);
      }
      if (any) db.setHighest(m);
      else m = 0;
    });
    this.textWindows.clear();
    if (this.loaded) this.pull();
    return m;
  }

  /** Records a message storeMessage() just wrote and numbered. */
  recordWritten(w: WrittenMessage & { uid: number }, letters: string | undefined): Promise<number> {
    const { uid, base, sub, name, wireSize: size, internalDate } = w;
    return this.record([{ uid, base, sub, name, letters: letters ?? '', size, internalDate }]);
  }

  /** Sets flags in the index (one transaction); the renames follow. Returns the modseq used. */
  async setFlags(
    uids: number[],
    op: '+' | '-' | '=',
    flags: string[],
  ): Promise<{ metas: MessageMeta[]; modseq: number }> {
    const clean = flags.filter((f) => f.toLowerCase() !== '\\recent');
    const letters = await this.lettersForFlags(clean, op !== '-');
    const list = [...new Set(uids)].sort((a, b) => a - b);
    const db = this.db;
    let m = 0;
    const changed: number[] = [];
    db.write(() => {
      this.pull();
      for (const uid of list) {
        const e = this.entries.get(uid);
        if (!e) continue;
        const target = applyOp(op, e.letters, letters);
        if (target === e.letters) continue;
        m ||= this.nextModseq();
        db.setLetters(uid, target, m);
        changed.push(uid);
      }
      if (m) db.setHighest(m);
    });
    this.pull();
    for (const uid of changed) this.renameQueue.add(uid);
    this.kickRenames();
    const metas: MessageMeta[] = [];
    for (const uid of list) {
      const meta = this.entries.get(uid)?.meta;
      if (meta) metas.push(meta);
    }
    return { metas, modseq: m };
  }

  private kickRenames(): void {
    if (this.renaming || this.renameQueue.size === 0) return;
    this.renaming = this.runRenames()
      .catch(() => {
        // A failed rename is redone at the next load (name and wanted letters disagree).
      })
      .finally(() => {
        this.renaming = null;
        if (this.renameQueue.size > 0 && this.db_?.isOpen) this.kickRenames();
      });
  }

  /** Waits for the renames queued so far (tests, close). */
  async settled(): Promise<void> {
    while (this.renaming) await this.renaming;
  }

  /** Stats of the directories before our own renames in them (see DirStamp.own). */
  private async statSubs(subs: readonly Sub[]): Promise<number[]> {
    return Promise.all(subs.map(async (sub) => Math.floor((await stat(join(this.dir, sub))).mtimeMs)));
  }

  /** After our own renames: a directory trusted before them stays trusted for a moment. */
  private async ownChangeDone(subs: readonly Sub[], before: number[]): Promise<void> {
    const after = await this.statSubs(subs);
    subs.forEach((sub, i) => {
      // Unchanged (nothing of ours moved there): its stamp stays as it was.
      if (after[i] !== before[i] && trusted(this.stamps[sub], before[i]!))
        this.stamps[sub] = { mtime: after[i]!, at: Date.now(), own: true };
    });
  }

  /** Renames files to their wanted letters, fsyncs cur/ once per batch, records the names. */
  private async runRenames(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.renameQueue.size > 0 && this.db_?.isOpen) {
      const batch = [...this.renameQueue];
      this.renameQueue.clear();
      const done: Array<[number, string]> = [];
      const subs = ['new', 'cur'] as const;
      const before = await this.statSubs(subs);
      for (const uid of batch) {
        const e = this.entries.get(uid);
        const t = e && this.db.byUid(uid);
        if (!e || !t) continue;
        const [, base, sub, name, wanted] = t;
        const target = fileName(base, wanted);
        let ref: FileRef | null = { sub, name };
        if (sub === 'cur' && name === target) continue;
        for (let attempt = 0; attempt < 5 && ref; attempt++) {
          try {
            this.renamedTo.set(uid, target);
            await rename(join(this.dir, ref.sub, ref.name), join(this.dir, 'cur', target));
            this.setLocation(e, { sub: 'cur', name: target });
            done.push([uid, target]);
            break;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
            ref = await this.locate(base);
            if (ref?.sub === 'cur' && ref.name === target) {
              this.setLocation(e, ref);
              done.push([uid, target]);
              break;
            }
          }
        }
      }
      if (done.length === 0 || !this.db_?.isOpen) {
        this.renamedTo.clear();
        continue;
      }
      try {
        await fsyncDir(join(this.dir, 'cur'));
        await this.ownChangeDone(subs, before);
        if (!this.db_?.isOpen) return;
        const db = this.db;
        db.write(() => {
          for (const [uid, target] of done) {
            const t = db.byUid(uid);
            if (!t) continue;
            db.setFile(uid, 'cur', target);
            // Flags changed again (here or in another process) while we renamed: once more.
            if (lettersOfName(target) !== t[4]) this.renameQueue.add(uid);
          }
        });
      } finally {
        this.renamedTo.clear();
      }
    }
  }

  /** Finds where a message's file is now (another process may have renamed it). */
  async locate(base: string): Promise<FileRef | null> {
    const files = new Map<string, FileRef>();
    await this.readSub('cur', files);
    if (!files.has(base)) await this.readSub('new', files);
    if (!files.has(base)) await this.readSub('cur', files);
    return files.get(base) ?? null;
  }

  /** new/ → cur/ for the messages still in new/; exactly one claimer gets each (rename). */
  async claimRecent(): Promise<number[]> {
    const claimed: Array<[number, string]> = [];
    if (this.inNew.size === 0) return [];
    const subs = ['new', 'cur'] as const;
    const before = await this.statSubs(subs);
    for (const uid of [...this.inNew].sort((a, b) => a - b)) {
      const e = this.entries.get(uid);
      if (e?.sub !== 'new') continue;
      const name = fileName(e.base, e.letters);
      try {
        // rename() succeeds for exactly one process; the others get ENOENT.
        await rename(join(this.dir, 'new', e.name), join(this.dir, 'cur', name));
        this.setLocation(e, { sub: 'cur', name });
        claimed.push([uid, name]);
      } catch (err) {
        // No room for the entry in cur/: the message stays recent for a later claim.
        if (isNoSpace(err)) break;
        // Claimed by another session or process: the next look at new/ and cur/ records it.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    if (claimed.length > 0) {
      await fsyncDir(join(this.dir, 'cur'));
      await this.ownChangeDone(subs, before);
      const db = this.db;
      db.write(() => {
        for (const [uid, name] of claimed) db.setFile(uid, 'cur', name);
      });
    }
    return claimed.map(([uid]) => uid);
  }

  /** Unlinks the messages, then drops their rows and logs the expunge (one transaction). */
  async expunge(uids?: number[]): Promise<{ removed: number[]; bytes: number; modseq: number }> {
    const targets = uids
      ? [...new Set(uids)].filter((u) => this.entries.has(u))
      : [...this.entries.values()].filter((e) => e.letters.includes('T')).map((e) => e.uid);
    targets.sort((a, b) => a - b);
    const removed: number[] = [];
    let bytes = 0;
    for (const uid of targets) {
      const e = this.entries.get(uid);
      if (!e) continue;
      let ref: FileRef | null = { sub: e.sub, name: e.name };
      for (let attempt = 0; attempt < 3 && ref; attempt++) {
        const path = join(this.dir, ref.sub, ref.name);
        try {
          const size = parseFileName(ref.name).size ?? (await stat(path)).size;
          await unlink(path);
          bytes += size;
          removed.push(uid);
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          ref = await this.locate(e.base);
        }
      }
    }
    if (targets.length === 0) return { removed, bytes, modseq: 0 };
    await fsyncDir(join(this.dir, 'cur')).catch(() => {});
    const db = this.db;
    let m = 0;
    db.write(() => {
      this.pull();
      const next = this.nextModseq();
      // Gone either way: by us, or by another process (then it is not ours to count).
      for (const uid of targets) if (db.expunge(uid, next)) m = next;
      if (m) {
        db.setHighest(m);
        this.pruneExpunges();
      }
    });
    this.pull();
    return { removed, bytes, modseq: m };
  }

  /** Drops uidlist records of expunged files once they are a quarter of the file (Dovecot's ratio). */
  async maybeCompact(): Promise<void> {
    await this.uidlist.refresh();
    const total = this.uidlist.records.size;
    if (total < 64 || this.entries.size > total * 0.75) return;
    await this.uidlist.compact(async () => {
      // Two scans under the lock: a file renamed during one readdir shows up in the other.
      const a = await this.readBoth();
      const b = await this.readBoth();
      return (base) => a.has(base) || b.has(base);
    });
  }

  // ---- bodies, summaries, texts -------------------------------------------------------------

  private entry(uid: number): Entry {
    const e = this.entries.get(uid);
    if (!e) throw new NotFoundError(`No message with UID ${uid}`);
    return e;
  }

  /** Opens the message file, following a rename by another process. */
  private async openFile(e: Entry): Promise<import('node:fs/promises').FileHandle> {
    let ref: FileRef | null = { sub: e.sub, name: e.name };
    for (let attempt = 0; attempt < 3 && ref; attempt++) {
      try {
        // Never through a link (swapped in after the scan): it could lead into another Maildir.
        const fh = await open(join(this.dir, ref.sub, ref.name), NO_FOLLOW);
        if (ref.name !== e.name || ref.sub !== e.sub) this.setLocation(e, ref);
        return fh;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        ref = await this.locate(e.base);
      }
    }
    throw new NotFoundError(`No message with UID ${e.uid}`);
  }

  read(uid: number, range?: { start: number; end?: number }): Readable {
    const e = this.entry(uid);
    const self = this;
    async function* body(): AsyncGenerator<Buffer> {
      const fh = await self.openFile(e);
      if (e.meta.size <= SMALL_MESSAGE) {
        // Most mail is small: one read and one conversion beat a stream pipeline per message.
        let stored: Buffer;
        try {
          stored = await fh.readFile();
        } finally {
          await fh.close();
        }
        const wire = lfToCrlf(stored, 0);
        const start = Math.min(range?.start ?? 0, wire.length);
        const end = Math.min(range?.end ?? wire.length, wire.length);
        if (end > start) yield start === 0 && end === wire.length ? wire : wire.subarray(start, end);
        return;
      }
      const src = fh.createReadStream({ highWaterMark: 64 * 1024 });
      const conv = new ToCrlf(range);
      src.on('error', (err) => conv.destroy(err));
      src.pipe(conv);
      try {
        for await (const chunk of conv) yield chunk as Buffer;
      } finally {
        src.destroy();
      }
    }
    return Readable.from(body(), { objectMode: false });
  }

  /** The header alone (up to and with the blank line), read in bounded steps. */
  async envelope(uid: number): Promise<EnvelopeFields> {
    const e = this.entry(uid);
    const fh = await this.openFile(e);
    try {
      const chunks: Buffer[] = [];
      let total = 0;
      let step = 8192;
      for (;;) {
        const buf = Buffer.allocUnsafe(step);
        const { bytesRead } = await fh.read(buf, 0, step, total);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        chunks.push(chunk);
        // Look for the blank line across the chunk boundary too.
        const from = Math.max(0, total - 3);
        total += bytesRead;
        const all = chunks.length === 1 ? chunk : Buffer.concat(chunks);
        const end = headerEnd(all, from);
        if (end >= 0) return summarizeBuffer(all.subarray(0, end)).envelope;
        if (total >= MAX_HEADER) return summarizeBuffer(all).envelope;
        step = Math.min(step * 2, 65536);
      }
      return summarizeBuffer(Buffer.concat(chunks)).envelope;
    } finally {
      await fh.close();
    }
  }

  async summary(uid: number): Promise<MessageSummary> {
    const e = this.entry(uid);
    const known = this.pendingSummaries.get(uid) ?? this.db.summary(uid);
    if (known) {
      try {
        return JSON.parse(known) as MessageSummary;
      } catch {
        // rebuilt below
      }
    }
    const s = await summarize(this.read(e.uid));
    if (this.entries.has(uid)) {
      this.pendingSummaries.set(uid, JSON.stringify(s));
      this.scheduleFlush();
    }
    return s;
  }

  summaryJson(uid: number): string | null {
    return this.pendingSummaries.get(uid) ?? this.db.summary(uid) ?? null;
  }

  allTexts(uid: number): Array<{ key: string; value: string }> {
    const out = new Map(this.db.texts(uid).map((t) => [t.key, t.value]));
    for (const [u, key, value] of this.pendingTexts.values()) if (u === uid) out.set(key, value);
    return [...out].map(([key, value]) => ({ key, value }));
  }

  cachedText(uid: number, key: string): string | undefined {
    if (this.pendingTexts.size > 0) {
      const p = this.pendingTexts.get(`${uid}\u0000${key}`);
      if (p) return p[2];
    }
    if (!this.entries.has(uid) || !this.db_?.isOpen) return undefined;
    let w = this.textWindows.get(key);
    if (!w || uid < w.from || uid > w.to) {
      // One query for the next TEXT_WINDOW cached texts instead of one per message.
      const rows = this.db.textsFrom(key, uid, TEXT_WINDOW);
      const to = rows.length < TEXT_WINDOW ? Number.MAX_SAFE_INTEGER : rows[rows.length - 1]![0];
      w = { from: uid, to, values: new Map(rows) };
      this.textWindows.set(key, w);
    }
    return w.values.get(uid);
  }

  cacheText(uid: number, key: string, value: string): void {
    if (!this.entries.has(uid)) return;
    this.pendingTexts.set(`${uid}\u0000${key}`, [uid, key, value]);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.pendingTexts.size + this.pendingSummaries.size >= WRITE_BATCH) this.flush();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), 5);
      this.flushTimer.unref();
    }
  }

  /** Writes the cached texts and summaries in one transaction; they are a cache, so a failure drops them. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.pendingTexts.size + this.pendingSummaries.size === 0) return;
    const texts = [...this.pendingTexts.values()];
    const summaries = [...this.pendingSummaries];
    this.pendingTexts.clear();
    this.pendingSummaries.clear();
    if (!this.db_?.isOpen) return;
    const db = this.db;
    try {
      db.write(() => {
        for (const [uid, key, value] of texts) db.setText(uid, key, value);
        for (const [uid, json] of summaries) db.setSummary(uid, json);
      });
      for (const [uid, key, value] of texts) {
        const w = this.textWindows.get(key);
        if (w && uid >= w.from && uid <= w.to) w.values.set(uid, value);
      }
    } catch {
      // a full disk, a busy database past its timeout: the cache is rebuilt on demand
    }
  }

  /** Flushes and closes the database (the last handle is gone). */
  async close(): Promise<void> {
    await this.settled();
    this.flush();
    this.db_?.close();
    this.db_ = null;
    this.loading = null;
    this.loaded = false;
  }
}

/** Offset just past the header's blank line (LF LF or CRLF CRLF), or -1. */
function headerEnd(buf: Buffer, from: number): number {
  for (let i = buf.indexOf(0x0a, from); i >= 0; i = buf.indexOf(0x0a, i + 1)) {
    if (buf[i + 1] === 0x0a) return i + 2;
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return i + 3;
    if (i === 0) return 1;
  }
  return -1;
}
