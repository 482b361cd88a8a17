/**
 * One open Maildir folder: a session's handle on the folder's shared index (folder-index.ts).
 * The handle keeps only what is its own: the metas array and the modseq as of its last
 * refresh or own change (a reference, not a copy), the changes other sessions made that it
 * has not reported yet, and its watchers.
 */
import { copyFile, link, lstat, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  type AppendOptions,
  asNoSpace,
  copyThroughSeam,
  type EnvelopeFields,
  type Folder,
  type FolderChange,
  type FolderDelta,
  type MessageBlob,
  type MessageMeta,
  type MessageSummary,
  NotFoundError,
} from '@mailstack/core';
import { fsyncDir, storeMessage } from './deliver.ts';
import { fileName, parseFileName, uniqueBaseName, withSizes } from './filename.ts';
import { type FolderIndex, findUid, type NewMessage } from './folder-index.ts';
import { FolderWatcher, notifyFolderChanged } from './watch.ts';
import { skipWhenFull } from './write-all.ts';

/** What a folder needs from its store: host name, quota accounting. */
export interface FolderContext {
  host: string;
  /** Checks the quota before a message of `size` physical bytes becomes visible; throws when over. */
  checkQuota(user: string, size: number, count: number): Promise<void>;
  /** Records a change of usage in maildirsize. */
  addUsage(user: string, bytes: number, count: number): Promise<void>;
}

type Item = { modseq: number; kind: 'append' | 'expunge' | 'flags'; uid: number; flags?: readonly string[] };

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((f, i) => f === b[i]);
}

export class MaildirFolder implements Folder {
  readonly user: string;
  readonly name: string;
  readonly dir: string;
  readonly index: FolderIndex;
  private readonly ctx: FolderContext;
  private readonly release: () => void;
  private view: readonly MessageMeta[] = [];
  private applied = 0;
  private pending: FolderChange[] = [];
  private watcher: FolderWatcher | null = null;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(user: string, name: string, index: FolderIndex, ctx: FolderContext, release: () => void) {
    this.user = user;
    this.name = name;
    this.dir = index.dir;
    this.index = index;
    this.ctx = ctx;
    this.release = release;
  }

  /** Loads the shared index (the first handle) or looks for changes (the others). */
  async open(): Promise<this> {
    const first = !this.index.isLoaded;
    await this.index.load();
    if (!first) await this.index.sync().catch((err: unknown) => this.goneOr(err));
    this.view = this.index.metas;
    this.applied = this.index.highest;
    return this;
  }

  get uidValidity(): number {
    return this.index.uidValidity;
  }

  get uidNext(): number {
    return this.index.uidNext;
  }

  get highestModseq(): number {
    return this.applied;
  }

  messages(): readonly MessageMeta[] {
    return this.view;
  }

  /** Operations of one handle run one at a time. */
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

  private assertOpen(): void {
    if (this.closed) throw new Error('Folder is closed');
  }

  /**
   * Moves the handle to the index's present: what others changed since its modseq is queued
   * for the next refresh(), in modseq order; `own` (this handle's change) is not reported.
   */
  private advance(own: number): void {
    const ix = this.index;
    if (this.view === ix.metas && this.applied === ix.highest) return;
    const view = this.view;
    const items: Item[] = [];
    const log = ix.changeLog(this.applied);
    if (log) {
      for (const x of log.expunged)
        if (x.modseq !== own && findUid(view, x.uid) >= 0)
          items.push({ modseq: x.modseq, kind: 'expunge', uid: x.uid });
      for (const m of log.changed) {
        if (m.modseq === own) continue;
        const at = findUid(view, m.uid);
        if (at < 0) items.push({ modseq: m.modseq, kind: 'append', uid: m.uid });
        else if (!sameFlags(view[at]!.flags, m.flags))
          items.push({ modseq: m.modseq, kind: 'flags', uid: m.uid, flags: m.flags });
      }
    } else {
      // The expunge log no longer reaches back this far: compare the two lists.
      const next = ix.metas;
      const modseq = ix.highest;
      let i = 0;
      let j = 0;
      while (i < view.length || j < next.length) {
        const a = view[i];
        const b = next[j];
        if (!b || (a && a.uid < b.uid)) {
          items.push({ modseq, kind: 'expunge', uid: a!.uid });
          i++;
        } else if (!a || b.uid < a.uid) {
          items.push({ modseq, kind: 'append', uid: b.uid });
          j++;
        } else {
          if (!sameFlags(a.flags, b.flags)) items.push({ modseq, kind: 'flags', uid: b.uid, flags: b.flags });
          i++;
          j++;
        }
      }
    }
    items.sort((a, b) => a.modseq - b.modseq);
    for (const it of items) {
      const last = this.pending.at(-1);
      if (it.kind === 'flags')
        this.pending.push({ modseq: it.modseq, kind: 'flags', uid: it.uid, flags: [...it.flags!] });
      else if (last && last.kind === it.kind) {
        last.uids.push(it.uid);
        last.modseq = it.modseq;
      } else this.pending.push({ modseq: it.modseq, kind: it.kind, uids: [it.uid] });
    }
    this.view = ix.metas;
    this.applied = ix.highest;
  }

  refresh(): Promise<FolderChange[]> {
    return this.serial(async () => {
      this.assertOpen();
      await this.index.sync();
      this.advance(0);
      return this.pending.splice(0);
    });
  }

  changesSince(modseq: number): FolderDelta | null {
    return this.index.changesSince(modseq, this.applied);
  }

  keywords(): readonly string[] {
    return this.index.keywords();
  }

  private changed(): void {
    notifyFolderChanged(this.dir, this);
  }

  // ---- messages -------------------------------------------------------------------------

  lettersForFlags(flags: string[], register: boolean): Promise<string> {
    return this.index.lettersForFlags(flags, register);
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
        async (base) => (await this.index.uidlist.assign([base])).get(base)!,
      );
      // Stored and numbered: a failed index write is repaired by the next scan, not reported.
      const modseq = await this.index.recordWritten(written, letters).catch(() => 0);
      await this.ctx.addUsage(this.user, written.size, 1);
      this.advance(modseq);
      this.changed();
      return { uid: written.uid };
    });
  }

  read(uid: number, range?: { start: number; end?: number }): Readable {
    // Still in this handle's list but expunged meanwhile: the read fails, not the call.
    if (!this.index.has(uid) && findUid(this.view, uid) >= 0)
      return new Readable({
        read() {
          this.destroy(new NotFoundError(`No message with UID ${uid}`));
        },
      });
    return this.index.read(uid, range);
  }

  summary(uid: number): Promise<MessageSummary> {
    return this.index.summary(uid);
  }

  envelope(uid: number): Promise<EnvelopeFields> {
    return this.index.envelope(uid);
  }

  cachedText(uid: number, key: string): string | undefined {
    return this.index.cachedText(uid, key);
  }

  cacheText(uid: number, key: string, value: string): void {
    this.index.cacheText(uid, key, value);
  }

  setFlags(uids: number[], op: '+' | '-' | '=', flags: string[]): Promise<MessageMeta[]> {
    return this.serial(async () => {
      this.assertOpen();
      const { metas, modseq } = await this.index.setFlags(uids, op, flags);
      this.advance(modseq);
      if (modseq) this.changed();
      return metas;
    });
  }

  expunge(uids?: number[]): Promise<number[]> {
    return this.serial(async () => {
      this.assertOpen();
      const { removed, bytes, modseq } = await this.index.expunge(uids);
      this.advance(modseq);
      if (modseq || removed.length > 0) {
        await this.ctx.addUsage(this.user, -bytes, -removed.length);
        this.changed();
        // The expunge is done; tidying the uidlist can wait for a disk with room.
        await this.index.maybeCompact().catch(skipWhenFull);
      }
      return removed;
    });
  }

  /**
   * Between two Maildir folders the files are linked (copied across file systems), numbered
   * in one uidlist update and recorded in the target's index with their summaries and cached
   * texts; into any other backend's folder, through the seam.
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
    const ix = this.index;
    const list = [...new Set(uids)].filter((u) => ix.has(u)).sort((a, b) => a - b);
    if (list.length === 0) return [];
    let bytes = 0;
    for (const uid of list) {
      const f = ix.fileOf(uid)!;
      bytes += parseFileName(f.name).size ?? f.meta.size;
    }
    await target.ctx.checkQuota(target.user, bytes, list.length);
    const made: Array<{ src: number; base: string; dest: string; letters: string; meta: MessageMeta }> = [];
    let assigned: Map<string, number>;
    try {
      for (const uid of list) {
        const f = ix.fileOf(uid);
        if (!f) continue;
        const letters = await target.lettersForFlags(f.meta.flags, true);
        const parsed = parseFileName(f.name);
        const base = withSizes(uniqueBaseName(this.ctx.host), parsed.size ?? f.meta.size, f.meta.size);
        const dest = join(target.dir, 'cur', fileName(base, letters));
        let ref: { sub: string; name: string } | null = { sub: f.sub, name: f.name };
        let ok = false;
        for (let attempt = 0; attempt < 3 && ref && !ok; attempt++) {
          const src = join(this.dir, ref.sub, ref.name);
          try {
            await link(src, dest);
            ok = true;
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code === 'ENOENT') ref = await ix.locate(f.base);
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
        if (ok) made.push({ src: uid, base, dest, letters, meta: f.meta });
      }
      await fsyncDir(join(target.dir, 'cur'));
      assigned = await target.index.uidlist.assign(made.map((m) => m.base));
    } catch (err) {
      // All or nothing: copies that got no UID (a full disk refuses the uidlist line) are
      // taken back, or they would turn up later as messages the client was told failed.
      for (const m of made) await unlink(m.dest).catch(() => {});
      throw asNoSpace(err);
    }
    const rows: NewMessage[] = made.map((m) => ({
      uid: assigned.get(m.base)!,
      base: m.base,
      sub: 'cur',
      name: fileName(m.base, m.letters),
      letters: m.letters,
      size: m.meta.size,
      internalDate: m.meta.internalDate.getTime(),
      summary: ix.summaryJson(m.src),
      texts: ix.allTexts(m.src),
    }));
    // The files are in place and numbered: a failed record is repaired by the target's next scan.
    await target.index.record(rows).catch(() => {});
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
      await this.index.sync();
      this.advance(0);
      return this.index.claimRecent();
    });
  }

  unclaimedRecent(): number {
    return this.index.unclaimedRecent();
  }

  watch(onChange: () => void): () => void {
    if (!this.watcher) this.watcher = new FolderWatcher(this.dir, this);
    return this.watcher.add(onChange);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.stop();
    await this.queue;
    // The flag renames this handle queued are on disk before close resolves (a Maildir handed
    // to another program right after sees the flags in the file names).
    await this.index.settled().catch(() => {});
    this.release();
  }
}
