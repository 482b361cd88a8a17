/**
 * The Maildir++ MailboxStore: one Maildir per user (`<root>/<domain>/<local>/Maildir` by
 * default), INBOX at its root, other folders as `.Name.Child` directories.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, lstat, mkdir, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve, sep } from 'node:path';
import {
  type AppendOptions,
  asNoSpace,
  ExistsError,
  type FolderInfo,
  InvalidNameError,
  type Logger,
  type MailboxStore,
  type MessageBlob,
  NoSpaceError,
  NotFoundError,
  OverQuotaError,
  type Quota,
  SmtpError,
  type SpecialUse,
  silentLogger,
  splitAddress,
  storageRefusal,
} from '@mailstack/core';
import { storeMessage } from './deliver.ts';
import { parseFileName, safeHostname } from './filename.ts';
import { type FolderContext, MaildirFolder } from './folder.ts';
import { FolderIndex, type IndexLimits } from './folder-index.ts';
import { KEYWORDS_FILE } from './keywords.ts';
import {
  folderDirName,
  folderNameFromDir,
  normalizeFolderName,
  SEPARATOR,
  validateFolderName,
  validatePathComponent,
} from './names.ts';
import { MaildirSize, type QuotaLimits } from './quota.ts';
import { takeSessionLock } from './session-lock.ts';
import { DEFAULT_SPECIAL_FOLDERS, readSpecialUse, writeSpecialUse } from './specialuse.ts';
import { readSubscriptions, updateSubscriptions } from './subscriptions.ts';
import { sweepTmp } from './tmp-sweep.ts';
import { UidList } from './uidlist.ts';
import { nextUidValidity } from './uidvalidity.ts';
import { notifyFolderChanged } from './watch.ts';

/** How long a folder's index stays open after its last handle closed (STATUS opens and closes). */
const INDEX_LINGER_MS = 10_000;

/** The POP3 maildrop lock's file name in a user's Maildir. */
export const MAILDROP_LOCK = 'mailstack-pop3.lock';

export interface MaildirStoreOptions {
  /** Data folder holding every user's Maildir. */
  root: string;
  /** Maildir of a user; default `<root>/<domain>/<local>/Maildir`. Must stay inside root. */
  userPath?: (user: string) => string;
  /** Host part of new file names; default os.hostname(). */
  hostname?: string;
  /** Quota limits of a user; none when omitted. */
  quota?: (user: string) => Promise<QuotaLimits>;
  logger?: Logger;
  /** How much of each folder's expunge log the index keeps (tests make it small). */
  indexLimits?: IndexLimits;
}

export class MaildirStore implements MailboxStore {
  readonly root: string;
  private readonly options: MaildirStoreOptions;
  private readonly host: string;
  private readonly log: Logger;
  /**
   * The folder indexes of this store object, by folder directory: every handle of a folder
   * shares one (a process normally has one store; two stores on one root behave as two
   * processes). Deliveries use it too, so the uidlist is read incrementally.
   */
  private readonly indexes = new Map<string, FolderIndex>();
  private readonly ctx: FolderContext;

  constructor(options: MaildirStoreOptions) {
    this.options = options;
    this.root = resolve(options.root);
    this.host = safeHostname(options.hostname ?? hostname());
    this.log = (options.logger ?? silentLogger).child({ agent: 'maildir' });
    this.ctx = {
      host: this.host,
      checkQuota: (user, size, count) => this.checkQuota(user, size, count),
      addUsage: (user, bytes, count) => this.maildirSize(user).add(bytes, count),
    };
  }

  // ---- paths ----------------------------------------------------------------------------

  /** The user's Maildir, refused when the user name could leave the data folder. */
  userDir(user: string): string {
    let dir: string;
    if (this.options.userPath) dir = resolve(this.options.userPath(user));
    else {
      const parts = splitAddress(user);
      if (!parts) throw new InvalidNameError(`Bad user name: ${user}`);
      validatePathComponent(parts.local, 'user name');
      validatePathComponent(parts.domain, 'domain');
      dir = resolve(this.root, parts.domain, parts.local, 'Maildir');
    }
    if (!dir.startsWith(this.root + sep))
      throw new InvalidNameError(`User path leaves the data folder: ${user}`);
    return dir;
  }

  /** A folder's directory, checked to stay inside the user's Maildir. */
  folderDir(user: string, name: string): string {
    validateFolderName(name);
    const maildir = this.userDir(user);
    const dirName = folderDirName(name);
    if (dirName.includes('/') || dirName.includes('\0'))
      throw new InvalidNameError(`Bad mailbox name: ${name}`);
    const dir = resolve(maildir, dirName);
    if (dir !== maildir && !(dir.startsWith(maildir + sep) && !dir.slice(maildir.length + 1).includes(sep)))
      throw new InvalidNameError(`Mailbox name leaves the Maildir: ${name}`);
    return dir;
  }

  private maildirSize(user: string): MaildirSize {
    return new MaildirSize(this.userDir(user));
  }

  /** A uidlist whose new UIDVALIDITY comes from the user's dovecot-uidvalidity. */
  private newUidList(dir: string, maildir: string): UidList {
    return new UidList(dir, () => nextUidValidity(maildir));
  }

  /** The folder's shared index, held until `releaseIndex`. */
  private acquireIndex(dir: string, maildir: string): FolderIndex {
    let ix = this.indexes.get(dir);
    if (!ix) {
      ix = new FolderIndex(dir, this.newUidList(dir, maildir), this.options.indexLimits);
      this.indexes.set(dir, ix);
    }
    ix.refs++;
    if (ix.lingerTimer) clearTimeout(ix.lingerTimer);
    ix.lingerTimer = null;
    return ix;
  }

  private releaseIndex(ix: FolderIndex): void {
    if (--ix.refs > 0) return;
    ix.flush();
    if (ix.detached) {
      void ix.close();
      return;
    }
    ix.lingerTimer = setTimeout(() => {
      ix.lingerTimer = null;
      if (ix.refs > 0) return;
      if (this.indexes.get(ix.dir) === ix) this.indexes.delete(ix.dir);
      void ix.close();
    }, INDEX_LINGER_MS);
    ix.lingerTimer.unref();
  }

  /** Forgets the indexes of a folder and its children (deleted or renamed): new opens start afresh. */
  private forgetIndexes(dir: string): void {
    for (const [key, ix] of this.indexes)
      if (key === dir || key.startsWith(`${dir}.`)) {
        this.indexes.delete(key);
        ix.detached = true;
        if (ix.refs === 0) {
          if (ix.lingerTimer) clearTimeout(ix.lingerTimer);
          void ix.close();
        }
      }
  }

  /**
   * A real directory, not a symbolic link to one: a link placed in a user's Maildir could
   * lead into another user's mail, so the store treats it as absent.
   */
  private async exists(path: string): Promise<boolean> {
    try {
      return (await lstat(path)).isDirectory();
    } catch {
      return false;
    }
  }

  /** A folder whose directory and cur/ new/ tmp/ are all real directories. */
  private async isFolder(dir: string, isInbox: boolean): Promise<boolean> {
    if (!isInbox && !(await this.exists(dir))) return false;
    for (const sub of ['cur', 'new', 'tmp']) if (!(await this.exists(join(dir, sub)))) return false;
    return true;
  }

  /** Makes cur/ new/ tmp/ (and the maildirfolder marker for subfolders). */
  private async makeFolderDirs(dir: string, isInbox: boolean): Promise<void> {
    for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
    if (!isInbox) await writeFile(join(dir, 'maildirfolder'), '', { flag: 'a' });
  }

  private async ensureInbox(user: string): Promise<string> {
    const dir = this.userDir(user);
    // All three, not cur/ alone: another session may be between making cur/ and tmp/ (a
    // new user's first logins at once answered SELECT INBOX with NONEXISTENT).
    if (!(await this.isFolder(dir, true))) await this.makeFolderDirs(dir, true);
    return dir;
  }

  /** Creates a new user's Maildir with INBOX and the special-use folders, all subscribed. */
  async ensureUser(user: string): Promise<void> {
    const maildir = await this.ensureInbox(user);
    await this.newUidList(maildir, maildir).ensure();
    for (const [name] of DEFAULT_SPECIAL_FOLDERS) {
      const dir = this.folderDir(user, name);
      if (!(await this.exists(dir))) {
        await this.makeFolderDirs(dir, false);
        await this.newUidList(dir, maildir).ensure();
      }
    }
    await updateSubscriptions(maildir, (names) => {
      for (const n of ['INBOX', ...DEFAULT_SPECIAL_FOLDERS.map(([n]) => n)])
        if (!names.includes(n)) names.push(n);
      return names;
    });
  }

  // ---- folders --------------------------------------------------------------------------

  private async folderNames(maildir: string): Promise<string[]> {
    const names: string[] = [];
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(maildir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (LEFTOVER.test(e.name)) {
        await removeIfOld(join(maildir, e.name));
        continue;
      }
      const name = folderNameFromDir(e.name);
      if (name !== null) names.push(name);
    }
    return names.sort();
  }

  async listFolders(user: string): Promise<FolderInfo[]> {
    const maildir = this.userDir(user);
    const subscribed = new Set(await readSubscriptions(maildir));
    const special = await readSpecialUse(maildir);
    const out: FolderInfo[] = [];
    const names = await this.folderNames(maildir);
    if (await this.exists(join(maildir, 'cur'))) names.unshift('INBOX');
    for (const name of names) {
      const info: FolderInfo = { name, subscribed: subscribed.has(name) };
      const su = special.get(name);
      if (su) info.specialUse = su;
      out.push(info);
    }
    return out;
  }

  async createFolder(user: string, name: string, specialUse?: SpecialUse): Promise<void> {
    const norm = normalizeFolderName(name);
    const dir = this.folderDir(user, norm);
    const maildir = await this.ensureInbox(user);
    if (norm === 'INBOX' || (await this.exists(dir)))
      throw new ExistsError(`Mailbox already exists: ${norm}`);
    // Parents are implied: create them so every level is a real folder, as Dovecot does.
    // What this call made is taken back when a later step fails (a full disk): a CREATE
    // answered NO leaves nothing behind.
    const made: string[] = [];
    try {
      const parts = norm.split(SEPARATOR);
      for (let i = 1; i < parts.length; i++) {
        const parent = parts.slice(0, i).join(SEPARATOR);
        const pdir = this.folderDir(user, parent);
        if (normalizeFolderName(parent) !== 'INBOX' && (await this.makeFolder(maildir, pdir)))
          made.push(pdir);
      }
      if (!(await this.makeFolder(maildir, dir))) throw new ExistsError(`Mailbox already exists: ${norm}`);
      made.push(dir);
      if (specialUse) {
        const map = await readSpecialUse(maildir);
        map.set(norm, specialUse);
        await writeSpecialUse(maildir, map);
      }
    } catch (err) {
      for (const d of made.reverse()) {
        this.forgetIndexes(d);
        await rm(d, { recursive: true, force: true }).catch(() => {});
      }
      throw asNoSpace(err);
    }
    this.log.info({ event: 'folder-created', user, folder: norm }, 'folder created');
  }

  /**
   * Makes a complete folder (cur/ new/ tmp/, marker, uidlist) under a temporary name and
   * renames it into place, so the folder appears whole or not at all. Returns false when
   * the folder already exists.
   */
  private async makeFolder(maildir: string, dir: string): Promise<boolean> {
    if (await this.exists(dir)) return false;
    const building = join(maildir, `mailstack-creating.${randomBytes(6).toString('hex')}`);
    try {
      await this.makeFolderDirs(building, false);
      await this.newUidList(building, maildir).ensure();
      await rename(building, dir);
      return true;
    } catch (err) {
      await rm(building, { recursive: true, force: true }).catch(() => {});
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTEMPTY') return false;
      throw err;
    }
  }

  async deleteFolder(user: string, name: string): Promise<void> {
    const norm = normalizeFolderName(name);
    if (norm === 'INBOX') throw new InvalidNameError('INBOX cannot be deleted');
    const dir = this.folderDir(user, norm);
    const maildir = this.userDir(user);
    if (!(await this.exists(dir))) throw new NotFoundError(`No such mailbox: ${norm}`);
    // Move it out of sight in one rename, then remove at leisure (children stay).
    const doomed = join(maildir, `mailstack-deleted.${randomBytes(6).toString('hex')}`);
    await rename(dir, doomed);
    this.forgetIndexes(dir);
    await rm(doomed, { recursive: true, force: true });
    const map = await readSpecialUse(maildir);
    if (map.delete(norm)) await writeSpecialUse(maildir, map);
    // Usage changed: let the next check recalculate.
    await unlink(join(maildir, 'maildirsize')).catch(() => {});
    notifyFolderChanged(dir);
    this.log.info({ event: 'folder-deleted', user, folder: norm }, 'folder deleted');
  }

  async renameFolder(user: string, from: string, to: string): Promise<void> {
    const src = normalizeFolderName(from);
    const dst = normalizeFolderName(to);
    const srcDir = this.folderDir(user, src);
    const dstDir = this.folderDir(user, dst);
    const maildir = this.userDir(user);
    if (dst === 'INBOX' || (await this.exists(dstDir)))
      throw new ExistsError(`Mailbox already exists: ${dst}`);
    if (!(await this.exists(src === 'INBOX' ? join(srcDir, 'cur') : srcDir)))
      throw new NotFoundError(`No such mailbox: ${src}`);
    if (dst.startsWith(`${src}${SEPARATOR}`))
      throw new InvalidNameError('Cannot rename a folder into itself');
    if (src === 'INBOX') {
      await this.renameInbox(user, dstDir, dst);
      return;
    }
    const parts = dst.split(SEPARATOR);
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join(SEPARATOR);
      const pdir = this.folderDir(user, parent);
      if (normalizeFolderName(parent) !== 'INBOX' && !(await this.exists(pdir)))
        await this.makeFolderDirs(pdir, false);
    }
    const children = (await this.folderNames(maildir)).filter((n) => n.startsWith(`${src}${SEPARATOR}`));
    await rename(srcDir, dstDir);
    for (const child of children) {
      const childDst = dst + child.slice(src.length);
      await rename(this.folderDir(user, child), this.folderDir(user, childDst));
    }
    const moved = (n: string) =>
      n === src ? dst : n.startsWith(`${src}${SEPARATOR}`) ? dst + n.slice(src.length) : n;
    await updateSubscriptions(maildir, (names) => names.map(moved));
    const map = await readSpecialUse(maildir);
    await writeSpecialUse(maildir, new Map([...map].map(([n, a]) => [moved(n), a])));
    this.forgetIndexes(srcDir);
    notifyFolderChanged(srcDir);
  }

  /** RFC 3501: renaming INBOX moves its messages to the new folder; INBOX stays, empty. */
  private async renameInbox(user: string, dstDir: string, dst: string): Promise<void> {
    await this.createFolder(user, dst);
    const inbox = await this.openFolder(user, 'INBOX');
    try {
      const maildir = this.userDir(user);
      await copyFile(join(maildir, KEYWORDS_FILE), join(dstDir, KEYWORDS_FILE)).catch(() => {});
      const metas = inbox.messages();
      const target = await this.openFolder(user, dst);
      await inbox.move(
        metas.map((m) => m.uid),
        target,
      );
      await target.close();
    } finally {
      await inbox.close();
    }
  }

  async setSubscribed(user: string, name: string, subscribed: boolean): Promise<void> {
    const norm = normalizeFolderName(name);
    validateFolderName(norm);
    const maildir = await this.ensureInbox(user);
    await updateSubscriptions(maildir, (names) => {
      const rest = names.filter((n) => n !== norm);
      return subscribed ? [...rest, norm] : rest;
    });
  }

  /**
   * The POP3 maildrop lock: `mailstack-pop3.lock` in the user's Maildir (no leading dot, so
   * never taken for a Maildir++ folder), held from login to the end of the session and seen by
   * every process over this data folder (session-lock.ts). Like Dovecot, IMAP does not take it.
   */
  async lockMaildrop(user: string): Promise<(() => Promise<void>) | null> {
    const maildir = await this.ensureInbox(user);
    return takeSessionLock(join(maildir, MAILDROP_LOCK));
  }

  async openFolder(user: string, name: string): Promise<MaildirFolder> {
    const norm = normalizeFolderName(name);
    const dir = this.folderDir(user, norm);
    if (norm === 'INBOX') await this.ensureInbox(user);
    if (!(await this.isFolder(dir, norm === 'INBOX'))) throw new NotFoundError(`No such mailbox: ${norm}`);
    // Every open: a tmp/ is nearly always empty, and a writer killed since the last open
    // would otherwise hold its disk space until the next restart.
    await sweepTmp(dir, this.host);
    const ix = this.acquireIndex(dir, this.userDir(user));
    let released = false;
    const release = () => {
      if (!released) this.releaseIndex(ix);
      released = true;
    };
    try {
      return await new MaildirFolder(user, norm, ix, this.ctx, release).open();
    } catch (err) {
      release();
      throw err;
    }
  }

  // ---- delivery and quota ----------------------------------------------------------------

  private async limits(user: string): Promise<QuotaLimits> {
    return (await this.options.quota?.(user)) ?? {};
  }

  /** Throws OverQuotaError when the message alone exceeds the limit or the box is full. */
  async checkQuota(user: string, size: number, count: number): Promise<void> {
    const limits = await this.limits(user);
    if (!limits.limitBytes && !limits.limitMessages) return;
    if (limits.limitBytes && size > limits.limitBytes)
      throw new OverQuotaError('Message exceeds the mailbox quota');
    const used = await this.maildirSize(user).usage(limits);
    if (
      (limits.limitBytes && used.bytes + size > limits.limitBytes) ||
      (limits.limitMessages && used.count + count > limits.limitMessages)
    )
      throw new OverQuotaError('Mailbox is full');
  }

  async deliver(
    user: string,
    blob: MessageBlob,
    options: AppendOptions & { folder?: string } = {},
  ): Promise<{ folder: string; uid: number }> {
    const maildir = await this.ensureInbox(user);
    let folder = normalizeFolderName(options.folder ?? 'INBOX');
    let dir = this.folderDir(user, folder);
    if (folder !== 'INBOX' && !(await this.isFolder(dir, false))) {
      // As an LDA does: a missing target folder falls back to INBOX rather than failing.
      folder = 'INBOX';
      dir = maildir;
    }
    // Refuse early, before reading the body, when the box is already full.
    await this.checkQuota(user, 0, 1);
    const flags = (options.flags ?? []).filter((f) => f.toLowerCase() !== '\\recent');
    if (!(await this.isFolder(dir, folder === 'INBOX')))
      throw new NotFoundError(`No such mailbox: ${folder}`);
    const ix = this.acquireIndex(dir, maildir);
    try {
      return await this.deliverInto(ix, user, folder, blob, flags, options);
    } finally {
      this.releaseIndex(ix);
    }
  }

  private async deliverInto(
    ix: FolderIndex,
    user: string,
    folder: string,
    blob: MessageBlob,
    flags: string[],
    options: AppendOptions,
  ): Promise<{ folder: string; uid: number }> {
    const dir = ix.dir;
    const letters = flags.length > 0 ? await ix.lettersForFlags(flags, true) : undefined;
    let written: Awaited<ReturnType<typeof storeMessage>>;
    try {
      written = await storeMessage(
        dir,
        blob.open(),
        {
          host: this.host,
          ...(letters === undefined ? {} : { letters }),
          ...(options.internalDate ? { internalDate: options.internalDate } : {}),
          beforePublish: (size) => this.checkQuota(user, size, 1),
        },
        async (base) => (await ix.uidlist.assign([base])).get(base)!,
      );
    } catch (err) {
      // A refusal (quota) and the source's own SmtpError (size, NUL) keep their meaning.
      if (storageRefusal(err) !== undefined || err instanceof SmtpError) throw err;
      this.log.error(
        { event: 'store-write-failed', user, folder, err: String(err) },
        'delivery write failed',
      );
      throw new NoSpaceError({ cause: err });
    }
    const uid = written.uid;
    // Both are rebuilt when missing (the index row by the next scan, usage by recalculation):
    // the message is stored and numbered, so a failure here must not turn it into a 4xx.
    await ix
      .recordWritten(written, letters)
      .catch((err: unknown) =>
        this.log.warn({ event: 'index-write-failed', user, folder, err: String(err) }, 'index not updated'),
      );
    await this.maildirSize(user).add(written.size, 1);
    notifyFolderChanged(dir);
    this.log.info({ event: 'stored', user, folder, uid, size: written.wireSize }, 'delivered');
    return { folder, uid };
  }

  async quota(user: string): Promise<Quota> {
    const limits = await this.limits(user);
    const used = await this.maildirSize(user).usage(limits);
    return {
      usedBytes: used.bytes,
      usedMessages: used.count,
      ...(limits.limitBytes ? { limitBytes: limits.limitBytes } : {}),
      ...(limits.limitMessages ? { limitMessages: limits.limitMessages } : {}),
    };
  }
}

export function createMaildirStore(options: MaildirStoreOptions): MaildirStore {
  return new MaildirStore(options);
}

/** Physical size of a file name's S= field (exported for tools and tests). */
export function physicalSize(name: string): number | undefined {
  return parseFileName(name).size;
}

/**
 * What a CREATE or DELETE killed mid-way leaves in a Maildir: the half-built folder under its
 * temporary name, or a deleted one not yet removed. Neither is ever listed (no leading dot); a
 * listing removes those older than LEFTOVER_AGE_MS, far longer than a live CREATE or DELETE
 * takes, so one in progress is never touched.
 */
const LEFTOVER = /^mailstack-(creating|deleted)\.[0-9a-f]+$/;
const LEFTOVER_AGE_MS = 3600_000;

async function removeIfOld(path: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (info && Date.now() - info.mtimeMs > LEFTOVER_AGE_MS)
    await rm(path, { recursive: true, force: true }).catch(() => {});
}
