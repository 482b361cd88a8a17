/**
 * One open Maildir folder: a snapshot of (uid → file) built from dovecot-uidlist, two
 * readdirs and the metadata cache, brought up to date by refresh(). Message files are only
 * opened to read a body or to compute what the cache lacks.
 */
import { constants } from 'node:fs';
import { copyFile, link, lstat, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  type AppendOptions,
  asNoSpace,
  copyThroughSeam,
  type Folder,
  type FolderChange,
  isNoSpace,
  type MessageBlob,
  type MessageMeta,
  type MessageSummary,
  NotFoundError,
  summarize,
} from '@mailstack/core';
import { MetaCache } from './cache.ts';
import { lfToCrlf, ToCrlf, wireSizeOf } from './crlf.ts';
import { fsyncDir, storeMessage } from './deliver.ts';
import {
  fileName,
  isSystemFlag,
  lettersToFlags,
  parseFileName,
  sortLetters,
  systemLetter,
  uniqueBaseName,
  withSizes,
} from './filename.ts';
import { KeywordTable } from './keywords.ts';
import { UidList } from './uidlist.ts';
import { FolderWatcher, notifyFolderChanged } from './watch.ts';
import { skipWhenFull } from './write-all.ts';

type Sub = 'new' | 'cur';

/** Opening a message file: read-only, and failing (ELOOP) on a symbolic link. */
const NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

/** Messages up to this wire size are read in one go instead of streamed. */
const SMALL_MESSAGE = 256 * 1024;

interface Entry {
  uid: number;
  base: string;
  sub: Sub;
  name: string;
  letters: string;
  meta: MessageMeta;
}

interface FileRef {
  sub: Sub;
  name: string;
}

/** What a folder needs from its store: host name, quota accounting, user's Maildir root. */
export interface FolderContext {
  host: string;
  /** Checks the quota before a message of `size` physical bytes becomes visible; throws when over. */
  checkQuota(user: string, size: number, count: number): Promise<void>;
  /** Records a change of usage in maildirsize. */
  addUsage(user: string, bytes: number, count: number): Promise<void>;
}

/** Mtime granularity margin: a directory scanned this long after its mtime can be trusted. */
const MTIME_SAFE_MS = 1000;

export class MaildirFolder implements Folder {
  readonly user: string;
  readonly name: string;
  readonly dir: string;
  private readonly ctx: FolderContext;
  private readonly uidlist: UidList;
  private readonly keywords: KeywordTable;
  private readonly cache: MetaCache;
  private entries = new Map<number, Entry>();
  private sorted: MessageMeta[] | null = null;
  private seq = 0;
  private pending: FolderChange[] = [];
  private readonly scans: Record<Sub, { mtime: number; at: number; files: Map<string, string> } | null> = {
    new: null,
    cur: null,
  };
  private keywordStamp = '';
  /** base → file, as of the last scans. */
  private readonly files = new Map<string, FileRef>();
  private readonly byBase = new Map<string, Entry>();
  /** Files seen without a UID (another process is numbering them). */
  private readonly unnumbered = new Set<string>();
  private watcher: FolderWatcher | null = null;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(user: string, name: string, dir: string, ctx: FolderContext) {
    this.user = user;
    this.name = name;
    this.dir = dir;
    this.ctx = ctx;
    this.uidlist = new UidList(dir);
    this.keywords = new KeywordTable(dir);
    this.cache = new MetaCache(dir);
  }

  /** Loads the first snapshot (no changes reported for it). */
  async open(): Promise<this> {
    await this.uidlist.ensure();
    await this.sync();
    this.seq = 0;
    return this;
  }

  get uidValidity(): number {
    return this.uidlist.header?.uidValidity ?? 0;
  }

  get uidNext(): number {
    return this.uidlist.nextUid;
  }

  get highestSeq(): number {
    return this.seq;
  }

  /** Operations that change the snapshot run one at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn).catch((err: unknown) => this.goneOr(err));
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * A file missing because the whole folder is (another session deleted it) is the refusal
   * not-found, not an I/O error: the protocols answer NO [NONEXISTENT], not a server bug.
   */
  private async goneOr(err: unknown): Promise<never> {
    if ((err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' && !(await this.dirExists()))
      throw new NotFoundError(`No such mailbox: ${this.name}`, { cause: err });
    throw err;
  }

  private async dirExists(): Promise<boolean> {
    try {
      return (await lstat(join(this.dir, 'cur'))).isDirectory();
    } catch {
      return false;
    }
  }

  messages(): readonly MessageMeta[] {
    if (!this.sorted)
      this.sorted = [...this.entries.values()].sort((a, b) => a.uid - b.uid).map((e) => e.meta);
    return this.sorted;
  }

  // ---- scanning -------------------------------------------------------------------------

  /**
   * Reads a directory: base → file name. Symbolic links are not messages: one placed in a
   * user's Maildir could point into another user's mail.
   */
  private async readSub(sub: Sub): Promise<Map<string, string>> {
    const files = new Map<string, string>();
    for (const entry of await readdir(join(this.dir, sub), { withFileTypes: true })) {
      const name = entry.name;
      if (name.charCodeAt(0) === 46 /* '.' */ || entry.isSymbolicLink()) continue;
      const colon = name.indexOf(':');
      files.set(colon < 0 ? name : name.slice(0, colon), name);
    }
    return files;
  }

  /**
   * Re-reads new/ and cur/ when their mtime moved (or always with `force`) and returns the
   * base names whose file appeared, vanished or was renamed since the previous scan.
   */
  private async rescan(force: boolean, touched: Set<string>): Promise<void> {
    let any = false;
    for (const sub of ['new', 'cur'] as const) {
      const prev = this.scans[sub];
      const st = await stat(join(this.dir, sub));
      if (!force && prev && prev.mtime === st.mtimeMs && prev.at - st.mtimeMs > MTIME_SAFE_MS) continue;
      const at = Date.now();
      const files = await this.readSub(sub);
      this.scans[sub] = { mtime: st.mtimeMs, at, files };
      any = true;
      const before = prev?.files;
      if (!before) for (const base of files.keys()) touched.add(base);
      else {
        for (const [base, name] of files) if (before.get(base) !== name) touched.add(base);
        for (const base of before.keys()) if (!files.has(base)) touched.add(base);
      }
    }
    if (!any) return;
    for (const base of touched) {
      const cur = this.scans.cur?.files.get(base);
      const ref: FileRef | undefined =
        cur !== undefined
          ? { sub: 'cur', name: cur }
          : this.scans.new?.files.has(base)
            ? { sub: 'new', name: this.scans.new.files.get(base)! }
            : undefined;
      if (ref) this.files.set(base, ref);
      else this.files.delete(base);
    }
  }

  private async loadKeywords(): Promise<boolean> {
    await this.keywords.load();
    const stamp = JSON.stringify(Array.from({ length: 26 }, (_, i) => this.keywords.keywordAt(i) ?? null));
    if (stamp === this.keywordStamp) return false;
    this.keywordStamp = stamp;
    return true;
  }

  private flagsOf(letters: string): string[] {
    return letters === '' ? [] : lettersToFlags(letters, this.keywords.keywordAt);
  }

  /** Size and date for a file the cache does not know (a message another program wrote). */
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

  private putEntry(e: Entry): void {
    this.entries.set(e.uid, e);
    this.byBase.set(e.base, e);
    this.sorted = null;
  }

  private dropEntry(e: Entry): void {
    this.entries.delete(e.uid);
    if (this.byBase.get(e.base) === e) this.byBase.delete(e.base);
    this.sorted = null;
  }

  /**
   * Brings the snapshot up to date and returns the changes: rescans the directories that
   * moved, numbers files that have no UID yet (e.g. after a crash between rename and uidlist
   * update), and looks only at the base names that changed, so a quiet refresh is a few stats.
   */
  private async sync(): Promise<FolderChange[]> {
    const kwChanged = await this.loadKeywords();
    const generation = this.uidlist.generation;
    const uidsChanged = await this.uidlist.refresh();
    const all = kwChanged || generation !== this.uidlist.generation || this.entries.size === 0;
    const touched = new Set<string>();
    await this.rescan(false, touched);
    // A file listed before but missing now may have been renamed during readdir: look again.
    if (this.byBase.size > 0)
      for (const base of touched) {
        if (!this.files.has(base) && this.byBase.has(base)) {
          await this.rescan(true, touched);
          break;
        }
      }
    if (uidsChanged) for (const base of this.unnumbered) touched.add(base);
    // Every file when everything must be looked at (first open, keywords or uidlist replaced).
    let visit: Iterable<string> = touched;
    if (all) {
      if (this.byBase.size === 0) visit = this.files.keys();
      else {
        for (const base of this.files.keys()) touched.add(base);
        for (const base of this.byBase.keys()) touched.add(base);
      }
    } else if (touched.size === 0) return [];

    await this.cache.load();
    const gone: number[] = [];
    const added: number[] = [];
    const flagChanges: Array<{ uid: number; flags: string[] }> = [];
    const fresh: Array<[string, { wireSize: number; internalDate: number }]> = [];
    const later: string[] = [];
    const undescribed: Array<[string, FileRef, number]> = [];
    const addEntry = (
      base: string,
      ref: FileRef,
      uid: number,
      m: { wireSize: number; internalDate: number },
    ) => {
      const colon = ref.name.indexOf(':2,');
      const letters = colon < 0 ? '' : ref.name.slice(colon + 3);
      this.putEntry({
        uid,
        base,
        sub: ref.sub,
        name: ref.name,
        letters,
        meta: { uid, flags: this.flagsOf(letters), size: m.wireSize, internalDate: new Date(m.internalDate) },
      });
      added.push(uid);
    };
    // One synchronous pass (no await per message: this runs for every file on a cold open).
    const noEntries = this.byBase.size === 0;
    for (const base of visit) {
      const ref = this.files.get(base);
      const old = noEntries ? undefined : this.byBase.get(base);
      const uid = ref ? this.uidlist.uidOf.get(base) : undefined;
      if (this.unnumbered.size > 0) this.unnumbered.delete(base);
      if (old && (uid === undefined || old.uid !== uid)) {
        gone.push(old.uid);
        this.dropEntry(old);
      }
      if (!ref) continue;
      if (uid === undefined) {
        later.push(base);
        continue;
      }
      const current = noEntries ? undefined : this.byBase.get(base);
      if (current) {
        const colon = ref.name.indexOf(':2,');
        const letters = colon < 0 ? '' : ref.name.slice(colon + 3);
        if (current.letters === letters && !kwChanged) {
          if (current.name !== ref.name || current.sub !== ref.sub) this.putEntry({ ...current, ...ref });
          continue;
        }
        const flags = this.flagsOf(letters);
        this.putEntry({ ...current, ...ref, letters, meta: { ...current.meta, flags } });
        if (flags.join(' ') !== current.meta.flags.join(' ')) flagChanges.push({ uid, flags });
        continue;
      }
      const m = this.cache.meta.get(base);
      if (m) addEntry(base, ref, uid, m);
      else undescribed.push([base, ref, uid]);
    }
    if (later.length > 0) {
      // A full disk refuses the uidlist lock and line: the files stay unnumbered (and
      // unlisted) until there is room, rather than failing SELECT, which users need in
      // order to expunge and make room.
      await this.uidlist.assign(later.sort()).catch(skipWhenFull);
      for (const base of later) {
        const uid = this.uidlist.uidOf.get(base);
        const ref = this.files.get(base)!;
        if (uid === undefined) this.unnumbered.add(base);
        else {
          const m = this.cache.meta.get(base);
          if (m) addEntry(base, ref, uid, m);
          else undescribed.push([base, ref, uid]);
        }
      }
    }
    for (const [base, ref, uid] of undescribed) {
      const m = await this.describe(ref);
      if (!m) continue;
      fresh.push([base, m]);
      addEntry(base, ref, uid, m);
    }
    if (fresh.length > 0) await this.cache.put(fresh);

    const changes: FolderChange[] = [];
    if (gone.length > 0) changes.push({ seq: ++this.seq, kind: 'expunge', uids: gone.sort((a, b) => a - b) });
    for (const f of flagChanges.sort((a, b) => a.uid - b.uid))
      changes.push({ seq: ++this.seq, kind: 'flags', uid: f.uid, flags: f.flags });
    if (added.length > 0)
      changes.push({ seq: ++this.seq, kind: 'append', uids: added.sort((a, b) => a - b) });
    return changes;
  }

  refresh(): Promise<FolderChange[]> {
    return this.serial(async () => {
      this.assertOpen();
      const changes = this.pending.concat(await this.sync());
      this.pending = [];
      return changes;
    });
  }

  /** Brings the snapshot up to date inside an operation; the changes wait for refresh(). */
  private async syncPending(): Promise<void> {
    this.pending.push(...(await this.sync()));
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('Folder is closed');
  }

  private entry(uid: number): Entry {
    const e = this.entries.get(uid);
    if (!e) throw new NotFoundError(`No message with UID ${uid}`);
    return e;
  }

  /** Finds where a message's file is now (another process may have renamed it). */
  private async locate(base: string): Promise<FileRef | null> {
    const cur = (await this.readSub('cur')).get(base);
    if (cur !== undefined) return { sub: 'cur', name: cur };
    const fresh = (await this.readSub('new')).get(base);
    if (fresh !== undefined) return { sub: 'new', name: fresh };
    const again = (await this.readSub('cur')).get(base);
    return again === undefined ? null : { sub: 'cur', name: again };
  }

  private changed(): void {
    notifyFolderChanged(this.dir, this);
  }

  // ---- messages -------------------------------------------------------------------------

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
      await this.keywords.load();
      letters += await this.keywords.lettersFor(kws, register);
    }
    return sortLetters(letters);
  }

  append(blob: MessageBlob, options: AppendOptions = {}): Promise<{ uid: number }> {
    return this.serial(async () => {
      this.assertOpen();
      const flags = (options.flags ?? []).filter((f) => f.toLowerCase() !== '\\recent');
      const letters = flags.length > 0 ? await this.lettersForFlags(flags, true) : undefined;
      const written = await storeMessage(
        this.dir,
        blob.open(),
        {
          host: this.ctx.host,
          ...(letters === undefined ? {} : { letters }),
          ...(options.internalDate ? { internalDate: options.internalDate } : {}),
          ...(options.recent ? { keepNew: true } : {}),
          beforePublish: (size) => this.ctx.checkQuota(this.user, size, 1),
        },
        async (base) => (await this.uidlist.assign([base])).get(base)!,
      );
      const uid = written.uid;
      await this.cache.put([
        [written.base, { wireSize: written.wireSize, internalDate: written.internalDate }],
      ]);
      await this.ctx.addUsage(this.user, written.size, 1);
      await this.syncPending();
      this.changed();
      return { uid };
    });
  }

  read(uid: number, range?: { start: number; end?: number }): Readable {
    const e = this.entry(uid);
    const self = this;
    async function* body(): AsyncGenerator<Buffer> {
      let ref: FileRef | null = { sub: e.sub, name: e.name };
      let fh: import('node:fs/promises').FileHandle | undefined;
      for (let attempt = 0; attempt < 3 && ref; attempt++) {
        try {
          // Never through a link (swapped in after the scan): it could lead into another Maildir.
          fh = await open(join(self.dir, ref.sub, ref.name), NO_FOLLOW);
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          ref = await self.locate(e.base);
        }
      }
      if (!fh) throw new NotFoundError(`No message with UID ${uid}`);
      if (e.meta.size <= SMALL_MESSAGE) {
        // Most mail is small: one read and one conversion beat a stream pipeline per message
        // (POP3 RETR and IMAP BODY[] of 4 KB messages were bound by that overhead).
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

  async summary(uid: number): Promise<MessageSummary> {
    const e = this.entry(uid);
    const cached = await this.cache.getSummary(e.base);
    if (cached) return cached;
    const s = await summarize(this.read(uid));
    await this.cache.putSummary(e.base, s);
    return s;
  }

  setFlags(uids: number[], op: '+' | '-' | '=', flags: string[]): Promise<MessageMeta[]> {
    return this.serial(async () => {
      this.assertOpen();
      const clean = flags.filter((f) => f.toLowerCase() !== '\\recent');
      const letters = await this.lettersForFlags(clean, op !== '-');
      const out: MessageMeta[] = [];
      let touched = false;
      for (const uid of [...new Set(uids)].sort((a, b) => a - b)) {
        const e = this.entries.get(uid);
        if (!e) continue;
        const targetFor = (current: string): string => {
          if (op === '+') return sortLetters(current + letters);
          if (op === '-') return [...current].filter((l) => !letters.includes(l)).join('');
          // Keep letters IMAP cannot see (P = passed) on a replace.
          const hidden = [...current].filter((l) => l >= 'A' && l <= 'Z' && !'DFRST'.includes(l)).join('');
          return sortLetters(letters + hidden);
        };
        let target = targetFor(e.letters);
        if (target === e.letters && e.sub === 'cur') {
          out.push(e.meta);
          continue;
        }
        let name = fileName(e.base, target);
        let ref: FileRef | null = { sub: e.sub, name: e.name };
        let done = false;
        for (let attempt = 0; attempt < 5 && ref; attempt++) {
          try {
            await rename(join(this.dir, ref.sub, ref.name), join(this.dir, 'cur', name));
            done = true;
            break;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
            // Renamed by another session: apply the operation to its flags, not our stale copy.
            ref = await this.locate(e.base);
            if (ref) {
              target = targetFor(parseFileName(ref.name).letters);
              name = fileName(e.base, target);
              if (ref.sub === 'cur' && ref.name === name) done = true;
              if (done) break;
            }
          }
        }
        if (!done) continue; // expunged by someone else; refresh will report it
        touched = true;
        const meta: MessageMeta = { ...e.meta, flags: this.flagsOf(target) };
        const changedFlags = meta.flags.join(' ') !== e.meta.flags.join(' ');
        this.putEntry({ ...e, sub: 'cur', name, letters: target, meta });
        if (changedFlags) this.seq++;
        out.push(meta);
      }
      if (touched) {
        this.sorted = null;
        await fsyncDir(join(this.dir, 'cur'));
        this.changed();
      }
      return out;
    });
  }

  expunge(uids?: number[]): Promise<number[]> {
    return this.serial(async () => {
      this.assertOpen();
      const targets = uids
        ? [...new Set(uids)].filter((u) => this.entries.has(u))
        : [...this.entries.values()].filter((e) => e.letters.includes('T')).map((e) => e.uid);
      const removed: number[] = [];
      let bytes = 0;
      for (const uid of targets.sort((a, b) => a - b)) {
        const e = this.entries.get(uid)!;
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
        // Gone either way: by us, or by another process (then it is not ours to count).
        this.dropEntry(e);
      }
      if (targets.length > 0) {
        this.seq++;
        this.sorted = null;
        await fsyncDir(join(this.dir, 'cur')).catch(() => {});
        await this.ctx.addUsage(this.user, -bytes, -removed.length);
        this.changed();
        // The expunge is done; tidying the uidlist can wait for a disk with room.
        await this.maybeCompact().catch(skipWhenFull);
      }
      return removed;
    });
  }

  /** Drops uidlist records of expunged files once they are a quarter of the file (Dovecot's ratio). */
  private async maybeCompact(): Promise<void> {
    const total = this.uidlist.records.size;
    if (total < 64 || this.entries.size > total * 0.75) return;
    await this.uidlist.compact(async () => {
      // Two scans under the lock: a file renamed during one readdir shows up in the other.
      const a = [await this.readSub('new'), await this.readSub('cur')];
      const b = [await this.readSub('new'), await this.readSub('cur')];
      return (base) => [...a, ...b].some((m) => m.has(base));
    });
  }

  /**
   * Between two Maildir folders the files are linked (copied across file systems) and
   * numbered in one uidlist update; into any other backend's folder, through the seam.
   */
  copy(uids: number[], target: Folder): Promise<Array<[number, number]>> {
    return this.serial(() => {
      this.assertOpen();
      return target instanceof MaildirFolder
        ? this.linkInto(uids, target)
        : copyThroughSeam(this, uids, target);
    });
  }

  private async linkInto(uids: number[], target: MaildirFolder): Promise<Array<[number, number]>> {
    const list = [...new Set(uids)].filter((u) => this.entries.has(u)).sort((a, b) => a - b);
    if (list.length === 0) return [];
    let bytes = 0;
    for (const uid of list)
      bytes += parseFileName(this.entries.get(uid)!.name).size ?? this.entries.get(uid)!.meta.size;
    await target.ctx.checkQuota(target.user, bytes, list.length);
    const made: Array<{ src: number; base: string; dest: string; meta: MessageMeta }> = [];
    let assigned: Map<string, number>;
    try {
      for (const uid of list) {
        const e = this.entries.get(uid)!;
        const letters = await target.lettersForFlags(e.meta.flags, true);
        const parsed = parseFileName(e.name);
        const base = withSizes(uniqueBaseName(this.ctx.host), parsed.size ?? e.meta.size, e.meta.size);
        // new/ (with its flags): a copy is \Recent in the target (RFC 3501 6.4.7), claimed by
        // the one session that has it selected, or by the next that selects it (imaptest copy).
        const dest = join(target.dir, 'new', fileName(base, letters));
        let ref: FileRef | null = { sub: e.sub, name: e.name };
        let ok = false;
        for (let attempt = 0; attempt < 3 && ref && !ok; attempt++) {
          const src = join(this.dir, ref.sub, ref.name);
          try {
            await link(src, dest);
            ok = true;
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code === 'ENOENT') ref = await this.locate(e.base);
            else if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP') {
              // Another file system: copy into tmp/, fsync, then publish.
              const tmp = join(target.dir, 'tmp', base);
              try {
                await copyFile(src, tmp);
                const fh = await open(tmp, 'r+');
                await fh.sync();
                await fh.close();
                await rename(tmp, dest);
              } catch (copyErr) {
                await unlink(tmp).catch(() => {});
                throw copyErr;
              }
              ok = true;
            } else throw err;
          }
        }
        if (ok) made.push({ src: uid, base, dest, meta: e.meta });
      }
      await fsyncDir(join(target.dir, 'new'));
      assigned = await target.uidlist.assign(made.map((m) => m.base));
    } catch (err) {
      // All or nothing: copies that got no UID (a full disk refuses the uidlist line) are
      // taken back, or they would turn up later as messages the client was told failed.
      for (const m of made) await unlink(m.dest).catch(() => {});
      throw asNoSpace(err);
    }
    await target.cache.put(
      made.map((m) => [m.base, { wireSize: m.meta.size, internalDate: m.meta.internalDate.getTime() }]),
    );
    for (const m of made) {
      const s = await this.cache.getSummary(this.entries.get(m.src)!.base);
      if (s) await target.cache.putSummary(m.base, s);
    }
    await target.ctx.addUsage(target.user, bytes, made.length);
    notifyFolderChanged(target.dir);
    return made.map((m) => [m.src, assigned.get(m.base)!]);
  }

  async move(uids: number[], target: Folder): Promise<Array<[number, number]>> {
    const pairs = await this.copy(uids, target);
    await this.expunge(pairs.map(([src]) => src));
    return pairs;
  }

  claimRecent(): Promise<number[]> {
    return this.serial(async () => {
      this.assertOpen();
      await this.syncPending();
      const claimed: number[] = [];
      for (const e of [...this.entries.values()].sort((a, b) => a.uid - b.uid)) {
        if (e.sub !== 'new') continue;
        const name = fileName(e.base, e.letters);
        try {
          // rename() succeeds for exactly one process; the others get ENOENT.
          await rename(join(this.dir, 'new', e.name), join(this.dir, 'cur', name));
          claimed.push(e.uid);
          this.putEntry({ ...e, sub: 'cur', name });
        } catch (err) {
          // No room for the entry in cur/: the message stays recent for a later claim.
          if (isNoSpace(err)) break;
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
      if (claimed.length > 0) await fsyncDir(join(this.dir, 'cur'));
      return claimed;
    });
  }

  unclaimedRecent(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.sub === 'new') n++;
    return n;
  }

  watch(onChange: () => void): () => void {
    if (!this.watcher) this.watcher = new FolderWatcher(this.dir, this);
    return this.watcher.add(onChange);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.stop();
    await this.queue;
  }

  /** For the store: the uid a base name has (after an external write). */
  async uidFor(base: string): Promise<number> {
    return (await this.uidlist.assign([base])).get(base)!;
  }
}
