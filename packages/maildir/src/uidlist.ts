/**
 * `dovecot-uidlist` version 3, one per folder:
 *   header: `3 V<uidvalidity> N<nextuid> G<mailbox guid hex>`
 *   record: `<uid> [<key><value> ...] :<base name>`
 * Records are keyed by the base name (before `:2,`), so flag renames never touch the file.
 * New records are appended under the dot-lock (as Dovecot does); a full rewrite goes to
 * `dovecot-uidlist.tmp`, renamed over the uidlist while the lock is held. A torn last line
 * (no LF) is ignored.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type DotLock, withDotLock } from './lock.ts';
import { appendWhole } from './write-all.ts';

export const UIDLIST_FILE = 'dovecot-uidlist';

export interface UidListHeader {
  uidValidity: number;
  nextUid: number;
  guid: string;
  /** Header fields we do not interpret, kept on rewrite. */
  extra: string[];
}

export interface UidRecord {
  uid: number;
  base: string;
  /** Extension fields (`W1234`, `GXXXX`...) kept as written. */
  ext: string[];
}

export function parseUidListHeader(line: string): UidListHeader | null {
  if (!line.startsWith('3 ')) return null;
  const h: UidListHeader = { uidValidity: 0, nextUid: 0, guid: '', extra: [] };
  for (const field of line.slice(2).split(' ')) {
    if (field === '') continue;
    const key = field[0];
    const value = field.slice(1);
    if (key === 'V') h.uidValidity = Number(value);
    else if (key === 'N') h.nextUid = Number(value);
    else if (key === 'G') h.guid = value;
    else h.extra.push(field);
  }
  if (!(h.uidValidity > 0) || !(h.nextUid > 0)) return null;
  return h;
}

const NO_EXT: string[] = [];

/** Hand-parsed (no regex): this runs once per message when a folder is opened. */
export function parseUidRecord(line: string): UidRecord | null {
  const sp = line.indexOf(' ');
  if (sp <= 0) return null;
  let uid = 0;
  for (let i = 0; i < sp; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return null;
    uid = uid * 10 + c;
  }
  if (!(uid > 0) || uid >= 0xffffffff) return null;
  let ext = NO_EXT;
  let fileStart: number;
  if (line.charCodeAt(sp + 1) === 58 /* ':' */) fileStart = sp + 2;
  else {
    const colon = line.indexOf(' :', sp);
    if (colon < 0) return null;
    ext = line
      .slice(sp + 1, colon)
      .split(' ')
      .filter((f) => f !== '');
    fileStart = colon + 2;
  }
  const c = line.indexOf(':', fileStart);
  const base = c < 0 ? line.slice(fileStart) : line.slice(fileStart, c);
  if (base === '' || base.includes('/')) return null;
  return { uid, base, ext };
}

export function formatUidListHeader(h: UidListHeader): string {
  return `3 V${h.uidValidity} N${h.nextUid} G${h.guid}${h.extra.map((e) => ` ${e}`).join('')}\n`;
}

export function formatUidRecord(r: UidRecord): string {
  return `${r.uid}${r.ext.map((e) => ` ${e}`).join('')} :${r.base}\n`;
}

/** Parses a whole file; returns null when the header is unusable. */
export function parseUidList(text: string): { header: UidListHeader; records: UidRecord[] } | null {
  const lines = text.split('\n');
  lines.pop(); // the part after the last LF: empty, or a torn line
  const header = lines.length > 0 ? parseUidListHeader(lines[0]!) : null;
  if (!header) return null;
  const records: UidRecord[] = [];
  for (let i = 1; i < lines.length; i++) {
    const r = parseUidRecord(lines[i]!);
    if (r) records.push(r);
  }
  return { header, records };
}

export function formatUidList(header: UidListHeader, records: Iterable<UidRecord>): string {
  let out = formatUidListHeader(header);
  for (const r of records) out += formatUidRecord(r);
  return out;
}

let lastValidity = 0;
/** Seconds since the epoch, never twice the same in one process (a re-created folder). */
export function newUidValidity(): number {
  lastValidity = Math.max(Math.floor(Date.now() / 1000), lastValidity + 1);
  return lastValidity;
}

/** The in-memory view of one folder's uidlist, refreshed incrementally. */
export class UidList {
  readonly path: string;
  header: UidListHeader | null = null;
  /** The header as read by peekHeader(), before the whole file was. */
  private peeked: UidListHeader | null = null;
  /** base → uid */
  readonly uidOf = new Map<string, number>();
  /** uid → record, in uid order of insertion */
  readonly records = new Map<number, UidRecord>();
  private ino = '';
  private offset = 0;
  private maxUid = 0;
  /** Bumped when the file was replaced (records may have been dropped). */
  generation = 0;

  private queue: Promise<unknown> = Promise.resolve();
  /** Where a new file's UIDVALIDITY comes from (the user's dovecot-uidvalidity). */
  private readonly validity: () => Promise<number>;

  constructor(dir: string, validity?: () => Promise<number>) {
    this.path = join(dir, UIDLIST_FILE);
    this.validity = validity ?? (async () => newUidValidity());
  }

  /** One operation at a time per object: refresh keeps a read offset that must not race. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  get nextUid(): number {
    return Math.max(this.header?.nextUid ?? this.peeked?.nextUid ?? 1, this.maxUid + 1);
  }

  /** The header line alone, without reading the records (null when there is no usable file). */
  async peekHeader(): Promise<UidListHeader | null> {
    if (this.header) return this.header;
    let fh: import('node:fs/promises').FileHandle;
    try {
      fh = await open(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      const buf = Buffer.allocUnsafe(1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
      this.peeked = nl < 0 ? null : parseUidListHeader(buf.toString('utf8', 0, nl));
      return this.peeked;
    } finally {
      await fh.close();
    }
  }

  private reset(): void {
    this.header = null;
    this.uidOf.clear();
    this.records.clear();
    this.ino = '';
    this.offset = 0;
    this.maxUid = 0;
    this.generation++;
  }

  private add(r: UidRecord): void {
    const old = this.uidOf.get(r.base);
    if (old !== undefined && old !== r.uid) this.records.delete(old);
    this.uidOf.set(r.base, r.uid);
    this.records.set(r.uid, r);
    if (r.uid > this.maxUid) this.maxUid = r.uid;
  }

  /** Reads what changed since the last call: the appended tail, or everything if replaced. */
  refresh(): Promise<boolean> {
    return this.serial(() => this.refreshNow());
  }

  private async refreshNow(): Promise<boolean> {
    let st: import('node:fs').Stats;
    try {
      st = await stat(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (this.header) this.reset();
      return false;
    }
    // Inode numbers are reused after a rewrite; the birth time tells two files apart.
    const id = `${st.ino}:${st.birthtimeMs}`;
    if (id === this.ino && st.size === this.offset) return false;
    if (id !== this.ino || st.size < this.offset) {
      const text = await readFile(this.path);
      const end = text.lastIndexOf(0x0a) + 1;
      const parsed = parseUidList(text.toString('utf8', 0, end));
      this.reset();
      if (!parsed) return true;
      this.header = parsed.header;
      for (const r of parsed.records) this.add(r);
      this.ino = id;
      this.offset = end;
      return true;
    }
    const fh = await open(this.path, 'r');
    try {
      const len = st.size - this.offset;
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await fh.read(buf, 0, len, this.offset);
      const end = buf.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
      if (end === 0) return false;
      for (const line of buf.toString('utf8', 0, end).split('\n')) {
        const r = line ? parseUidRecord(line) : null;
        if (r) this.add(r);
      }
      this.offset += end;
      return true;
    } finally {
      await fh.close();
    }
  }

  /**
   * Gives UIDs to the bases that have none, in the order given, under the dot-lock.
   * Returns base → uid for every base asked (including ones another process numbered).
   */
  assign(bases: string[], ext?: (base: string) => string[]): Promise<Map<string, number>> {
    return this.serial(() => this.assignNow(bases, ext));
  }

  private async assignNow(bases: string[], ext?: (base: string) => string[]): Promise<Map<string, number>> {
    return withDotLock(this.path, async (lock) => {
      await this.refreshNow();
      const out = new Map<string, number>();
      const fresh: UidRecord[] = [];
      let next = this.nextUid;
      for (const base of bases) {
        const have = this.uidOf.get(base);
        if (have !== undefined) out.set(base, have);
        else if (!out.has(base)) {
          const r = { uid: next++, base, ext: ext?.(base) ?? [] };
          fresh.push(r);
          out.set(base, r.uid);
        }
      }
      if (fresh.length > 0) await this.write(lock, fresh);
      return out;
    });
  }

  /** Creates the file (empty folder) when missing; returns the header. */
  ensure(): Promise<UidListHeader> {
    return this.serial(async () => {
      await this.refreshNow();
      if (this.header) return this.header;
      await withDotLock(this.path, async (lock) => {
        await this.refreshNow();
        if (!this.header) await this.write(lock, []);
      });
      return this.header!;
    });
  }

  private async write(lock: DotLock, fresh: UidRecord[]): Promise<void> {
    if (!this.header) {
      // No usable file: start one. Keep a UIDVALIDITY we already know; never lower next uid.
      const header: UidListHeader = {
        uidValidity: await this.validity(),
        nextUid: this.nextUid,
        guid: randomBytes(16).toString('hex'),
        extra: [],
      };
      for (const r of fresh) this.add(r);
      header.nextUid = this.nextUid;
      await lock.replaceTarget(formatUidList(header, this.records.values()));
      this.ino = '';
      this.offset = 0;
      await this.refreshNow();
      return;
    }
    const fh = await open(this.path, constants.O_WRONLY | constants.O_APPEND);
    try {
      // Cut back on failure: under the lock, so the next record does not join a torn line.
      await appendWhole(fh, fresh.map(formatUidRecord).join(''));
      await fh.datasync();
      const st = await fh.stat();
      for (const r of fresh) this.add(r);
      // We read everything up to our own write under the lock, so the tail is ours.
      if (`${st.ino}:${st.birthtimeMs}` === this.ino) this.offset = st.size;
    } finally {
      await fh.close();
    }
  }

  /**
   * Rewrites the file without the records `isLive` rejects, under the lock. `isLive` is
   * called after the lock is held so the caller can rescan the directories first.
   */
  compact(isLive: () => Promise<(base: string) => boolean>, header?: Partial<UidListHeader>): Promise<void> {
    return this.serial(() => this.compactNow(isLive, header));
  }

  private async compactNow(
    isLive: () => Promise<(base: string) => boolean>,
    header?: Partial<UidListHeader>,
  ): Promise<void> {
    await withDotLock(this.path, async (lock) => {
      this.ino = '';
      await this.refreshNow();
      const live = await isLive();
      const h: UidListHeader = {
        ...(this.header ?? {
          uidValidity: await this.validity(),
          guid: randomBytes(16).toString('hex'),
          extra: [],
        }),
        nextUid: this.nextUid,
        ...header,
      } as UidListHeader;
      const kept = [...this.records.values()].filter((r) => live(r.base)).sort((a, b) => a.uid - b.uid);
      await lock.replaceTarget(formatUidList(h, kept));
      this.reset();
      await this.refreshNow();
    });
  }
}
