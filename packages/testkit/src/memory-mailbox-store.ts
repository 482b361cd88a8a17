/**
 * An in-memory MailboxStore: the whole seam (folders with children, subscriptions,
 * special-use, UIDVALIDITY/UIDNEXT, flags and keywords, the change log, watch, \Recent,
 * quota, summaries, the POP3 maildrop lock) with nothing on disk, so protocol tests run
 * without a Maildir. It passes the same contract suite as the Maildir store
 * (contracts/mailbox-store-contract.ts).
 */
import {
  ExistsError,
  type FolderInfo,
  InvalidNameError,
  type MailboxStore,
  type MessageBlob,
  NotFoundError,
  OverQuotaError,
  type Quota,
  type SpecialUse,
} from '@mailstack/core';
import { FolderData, type FolderHost, MemoryFolder } from './memory-folder.ts';

export interface QuotaLimits {
  limitBytes?: number;
  limitMessages?: number;
}

export interface MemoryMailboxStore extends MailboxStore {
  openFolder(user: string, name: string): Promise<MemoryFolder>;
  /** INBOX plus Sent, Drafts, Trash, Junk and Archive with their special-use, all subscribed. */
  ensureUser(user: string): Promise<void>;
  /** The user's quota from now on; `{}` for none. */
  setQuota(user: string, limits: QuotaLimits): Promise<void>;
}

const DEFAULT_FOLDERS: Array<[string, SpecialUse]> = [
  ['Sent', '\\Sent'],
  ['Drafts', '\\Drafts'],
  ['Trash', '\\Trash'],
  ['Junk', '\\Junk'],
  ['Archive', '\\Archive'],
];

interface Mailbox {
  folders: Map<string, FolderData>;
  subscribed: Set<string>;
  specialUse: Map<string, SpecialUse>;
  quota: QuotaLimits;
  locked: boolean;
}

function usage(box: Mailbox): { usedBytes: number; usedMessages: number } {
  let usedBytes = 0;
  let usedMessages = 0;
  for (const f of box.folders.values()) {
    usedBytes += f.bytesUsed();
    usedMessages += f.messages.size;
  }
  return { usedBytes, usedMessages };
}

/** INBOX in any case is INBOX, also as the first level of a child's name. */
function normalize(name: string): string {
  const [first, ...rest] = name.split('/');
  return first?.toUpperCase() === 'INBOX' ? ['INBOX', ...rest].join('/') : name;
}

/** The rules every backend can keep: nothing that could leave the user's space or break a listing. */
function checkName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidNameError('Empty mailbox name');
  if (name.length > 512) throw new InvalidNameError('Mailbox name too long');
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new InvalidNameError('Control character in mailbox name');
  for (const part of name.split('/'))
    if (part === '' || part === '.' || part === '..')
      throw new InvalidNameError(`Bad component in mailbox name: ${JSON.stringify(part)}`);
  return normalize(name);
}

export function memoryMailboxStore(): MemoryMailboxStore {
  const boxes = new Map<string, Mailbox>();
  // A folder made again after a delete gets a new UIDVALIDITY: its UIDs start over.
  let nextValidity = Math.floor(Date.now() / 1000);

  const boxOf = (user: string): Mailbox => {
    if (typeof user !== 'string' || user.length === 0 || /[\u0000-\u001f\u007f/]/.test(user))
      throw new InvalidNameError(`Bad user name: ${user}`);
    const key = user.toLowerCase();
    let box = boxes.get(key);
    if (!box) {
      box = {
        folders: new Map([['INBOX', new FolderData(nextValidity++)]]),
        subscribed: new Set(),
        specialUse: new Map(),
        quota: {},
        locked: false,
      };
      boxes.set(key, box);
    }
    return box;
  };

  const host: FolderHost = {
    checkQuota(user, bytes, count) {
      const box = boxOf(user);
      const { quota } = box;
      if (!quota.limitBytes && !quota.limitMessages) return;
      if (quota.limitBytes && bytes > quota.limitBytes)
        throw new OverQuotaError('Message exceeds the mailbox quota');
      const { usedBytes, usedMessages } = usage(box);
      if (
        (quota.limitBytes && usedBytes + bytes > quota.limitBytes) ||
        (quota.limitMessages && usedMessages + count > quota.limitMessages)
      )
        throw new OverQuotaError('Mailbox is full');
    },
  };

  const folderOf = (user: string, name: string): FolderData => {
    const norm = checkName(name);
    const data = boxOf(user).folders.get(norm);
    if (!data) throw new NotFoundError(`No such mailbox: ${norm}`);
    return data;
  };

  const create = (box: Mailbox, name: string): void => {
    const parts = name.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const level = parts.slice(0, i).join('/');
      if (!box.folders.has(level)) box.folders.set(level, new FolderData(nextValidity++));
    }
  };

  const store: MemoryMailboxStore = {
    async listFolders(user) {
      const box = boxOf(user);
      return [...box.folders.keys()]
        .sort((a, b) => (a === 'INBOX' ? -1 : b === 'INBOX' ? 1 : a < b ? -1 : a > b ? 1 : 0))
        .map((name): FolderInfo => {
          const specialUse = box.specialUse.get(name);
          return { name, subscribed: box.subscribed.has(name), ...(specialUse ? { specialUse } : {}) };
        });
    },

    async createFolder(user, name, specialUse) {
      const norm = checkName(name);
      const box = boxOf(user);
      if (box.folders.has(norm)) throw new ExistsError(`Mailbox already exists: ${norm}`);
      create(box, norm);
      if (specialUse) box.specialUse.set(norm, specialUse);
    },

    async deleteFolder(user, name) {
      const norm = checkName(name);
      if (norm === 'INBOX') throw new InvalidNameError('INBOX cannot be deleted');
      const box = boxOf(user);
      const data = folderOf(user, norm);
      box.folders.delete(norm);
      box.specialUse.delete(norm);
      data.deleted = true;
      // Sessions holding it see its messages go (Maildir answers NotFoundError; the contract allows both).
      if (data.messages.size > 0) data.record({ kind: 'expunge', uids: [...data.messages.keys()] }, null);
      data.messages.clear();
    },

    async renameFolder(user, from, to) {
      const src = checkName(from);
      const dst = checkName(to);
      const box = boxOf(user);
      if (box.folders.has(dst)) throw new ExistsError(`Mailbox already exists: ${dst}`);
      const data = folderOf(user, src);
      if (dst.startsWith(`${src}/`)) throw new InvalidNameError('Cannot rename a folder into itself');
      if (src === 'INBOX') {
        // RFC 3501: INBOX's messages move to the new folder; INBOX stays, empty.
        create(box, dst);
        const inbox = new MemoryFolder(user, 'INBOX', data, host);
        const target = new MemoryFolder(user, dst, box.folders.get(dst)!, host);
        await inbox.move(
          inbox.messages().map((m) => m.uid),
          target,
        );
        return;
      }
      const moved = (n: string) =>
        n === src ? dst : n.startsWith(`${src}/`) ? dst + n.slice(src.length) : n;
      const parent = dst.split('/').slice(0, -1).join('/');
      if (parent) create(box, parent);
      for (const [name, folder] of [...box.folders]) {
        if (moved(name) === name) continue;
        box.folders.delete(name);
        box.folders.set(moved(name), folder);
      }
      box.folders.set(dst, data);
      box.subscribed = new Set([...box.subscribed].map(moved));
      for (const [n, use] of [...box.specialUse])
        if (moved(n) !== n) {
          box.specialUse.delete(n);
          box.specialUse.set(moved(n), use);
        }
    },

    async setSubscribed(user, name, subscribed) {
      const norm = checkName(name);
      const box = boxOf(user);
      if (subscribed) box.subscribed.add(norm);
      else box.subscribed.delete(norm);
    },

    async openFolder(user, name) {
      const norm = checkName(name);
      return new MemoryFolder(user, norm, folderOf(user, norm), host);
    },

    async deliver(user, blob: MessageBlob, options = {}) {
      const box = boxOf(user);
      // As an LDA does: a missing target folder falls back to INBOX rather than failing.
      const wanted = options.folder === undefined ? 'INBOX' : checkName(options.folder);
      const folder = box.folders.has(wanted) ? wanted : 'INBOX';
      host.checkQuota(user, 0, 1);
      const { flags, internalDate, recent } = options;
      const target = new MemoryFolder(user, folder, box.folders.get(folder)!, host);
      const { uid } = await target.append(blob, {
        ...(flags ? { flags } : {}),
        ...(internalDate ? { internalDate } : {}),
        ...(recent ? { recent } : {}),
      });
      await target.close();
      return { folder, uid };
    },

    async quota(user): Promise<Quota> {
      const box = boxOf(user);
      return {
        ...usage(box),
        ...(box.quota.limitBytes ? { limitBytes: box.quota.limitBytes } : {}),
        ...(box.quota.limitMessages ? { limitMessages: box.quota.limitMessages } : {}),
      };
    },

    async lockMaildrop(user) {
      const box = boxOf(user);
      if (box.locked) return null;
      box.locked = true;
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        box.locked = false;
      };
    },

    async ensureUser(user) {
      const box = boxOf(user);
      box.subscribed.add('INBOX');
      for (const [name, use] of DEFAULT_FOLDERS) {
        if (!box.folders.has(name)) create(box, name);
        box.specialUse.set(name, use);
        box.subscribed.add(name);
      }
    },

    async setQuota(user, limits) {
      boxOf(user).quota = { ...limits };
    },
  };
  return store;
}
