import { mkdir, readdir, readFile, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { ExistsError, InvalidNameError, NotFoundError } from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSubscriptions } from '../src/subscriptions.ts';
import { message, tempStore, USER } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

describe('folders', () => {
  it('ensureUser creates INBOX and subscribed special-use folders', async () => {
    await t.store.ensureUser(USER);
    for (const d of ['cur', 'new', 'tmp', '.Sent/cur', '.Trash/maildirfolder'])
      expect(await stat(join(t.maildir, d))).toBeTruthy();
    const list = await t.store.listFolders(USER);
    expect(list).toEqual([
      { name: 'INBOX', subscribed: true },
      { name: 'Archive', subscribed: true, specialUse: '\\Archive' },
      { name: 'Drafts', subscribed: true, specialUse: '\\Drafts' },
      { name: 'Junk', subscribed: true, specialUse: '\\Junk' },
      { name: 'Sent', subscribed: true, specialUse: '\\Sent' },
      { name: 'Trash', subscribed: true, specialUse: '\\Trash' },
    ]);
    const subs = await readFile(join(t.maildir, 'subscriptions'), 'utf8');
    expect(subs.startsWith('V\t2\n\n')).toBe(true);
    expect(subs).toContain('\nSent\n');
  });

  it('creates nested folders with parents, modified UTF-7 on disk, maildirfolder marker', async () => {
    await t.store.createFolder(USER, 'Lists/Work');
    await t.store.createFolder(USER, 'Entwürfe', '\\Drafts');
    const dirs = (await readdir(t.maildir)).filter((d) => d.startsWith('.')).sort();
    expect(dirs).toEqual(['.Entw&APw-rfe', '.Lists', '.Lists.Work']);
    expect(await readFile(join(t.maildir, '.Lists.Work', 'maildirfolder'), 'utf8')).toBe('');
    const list = await t.store.listFolders(USER);
    expect(list.map((f) => f.name)).toEqual(['INBOX', 'Entwürfe', 'Lists', 'Lists/Work']);
    expect(list.find((f) => f.name === 'Entwürfe')?.specialUse).toBe('\\Drafts');
    await expect(t.store.createFolder(USER, 'Lists/Work')).rejects.toThrow(ExistsError);
    await expect(t.store.createFolder(USER, 'inbox')).rejects.toThrow(ExistsError);
  });

  it('subscribes and unsubscribes in Dovecot v2 format (levels TAB-separated)', async () => {
    await t.store.createFolder(USER, 'Lists/Wörk');
    await t.store.setSubscribed(USER, 'Lists/Wörk', true);
    await t.store.setSubscribed(USER, 'INBOX', true);
    const raw = await readFile(join(t.maildir, 'subscriptions'), 'utf8');
    expect(raw).toBe('V\t2\n\nLists\tW&APY-rk\nINBOX\n');
    expect(parseSubscriptions(raw)).toEqual(['Lists/Wörk', 'INBOX']);
    await t.store.setSubscribed(USER, 'Lists/Wörk', false);
    expect((await t.store.listFolders(USER)).filter((f) => f.subscribed).map((f) => f.name)).toEqual([
      'INBOX',
    ]);
  });

  it('renames with children and keeps messages and UIDs', async () => {
    await t.store.createFolder(USER, 'A/B');
    await t.store.deliver(USER, message('in B'), { folder: 'A/B' });
    await t.store.setSubscribed(USER, 'A/B', true);
    await t.store.renameFolder(USER, 'A', 'Z/Y');
    const names = (await t.store.listFolders(USER)).map((f) => f.name);
    expect(names).toEqual(['INBOX', 'Z', 'Z/Y', 'Z/Y/B']);
    const f = await t.store.openFolder(USER, 'Z/Y/B');
    expect(f.messages().map((m) => m.uid)).toEqual([1]);
    await f.close();
    expect((await t.store.listFolders(USER)).find((x) => x.name === 'Z/Y/B')?.subscribed).toBe(true);
    await expect(t.store.renameFolder(USER, 'Nope', 'X')).rejects.toThrow(NotFoundError);
    await expect(t.store.renameFolder(USER, 'Z', 'Z/Y')).rejects.toThrow(ExistsError);
  });

  it('renaming INBOX moves its messages into the new folder and leaves INBOX empty', async () => {
    for (const s of ['a', 'b']) await t.store.deliver(USER, message(s));
    const before = await t.store.openFolder(USER, 'INBOX');
    const next = before.uidNext;
    await before.close();
    await t.store.renameFolder(USER, 'INBOX', 'Old');
    const inbox = await t.store.openFolder(USER, 'INBOX');
    expect(inbox.messages()).toEqual([]);
    expect(inbox.uidNext).toBe(next);
    await inbox.close();
    const old = await t.store.openFolder(USER, 'Old');
    expect(old.messages().map((m) => m.uid)).toEqual([1, 2]);
    await old.close();
  });

  it('a listing removes what a killed CREATE or DELETE left, once old, and never lists it', async () => {
    await t.store.ensureUser(USER);
    const old = ['mailstack-creating.0a1b2c3d4e5f', 'mailstack-deleted.0a1b2c3d4e5f'];
    const young = 'mailstack-creating.ffeeddccbbaa';
    for (const name of [...old, young]) await mkdir(join(t.maildir, name, 'cur'), { recursive: true });
    const longAgo = new Date(Date.now() - 2 * 3600_000);
    for (const name of old) await utimes(join(t.maildir, name), longAgo, longAgo);
    const listed = (await t.store.listFolders(USER)).map((f) => f.name);
    expect(listed.some((n) => n.includes('mailstack'))).toBe(false);
    const left = (await readdir(t.maildir)).filter((n) => n.startsWith('mailstack-'));
    expect(left).toEqual([young]); // one in progress right now is left alone
  });

  it('deletes a folder but not its children; refuses INBOX', async () => {
    await t.store.createFolder(USER, 'P/C');
    await t.store.deleteFolder(USER, 'P');
    expect((await t.store.listFolders(USER)).map((f) => f.name)).toEqual(['INBOX', 'P/C']);
    await expect(t.store.deleteFolder(USER, 'INBOX')).rejects.toThrow(InvalidNameError);
    await expect(t.store.deleteFolder(USER, 'P')).rejects.toThrow(NotFoundError);
    await expect(t.store.openFolder(USER, 'P')).rejects.toThrow(NotFoundError);
    expect((await readdir(t.maildir)).filter((d) => d.startsWith('mailstack-deleted'))).toEqual([]);
  });
});
