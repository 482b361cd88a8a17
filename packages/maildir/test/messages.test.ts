import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { bufferBlob } from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { message, tempStore, text, USER, until } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
  await t.store.ensureUser(USER);
});
afterEach(async () => {
  await t.cleanup();
});

describe('message operations', () => {
  it('appends with flags and internal date (utime), returns the uid', async () => {
    const f = await t.store.openFolder(USER, 'Drafts');
    const date = new Date('2021-05-06T07:08:09Z');
    const { uid } = await f.append(bufferBlob('Subject: d\n\nbare LF body\n'), {
      flags: ['\\Draft', '\\Seen'],
      internalDate: date,
    });
    expect(uid).toBe(1);
    const dir = join(t.maildir, '.Drafts', 'cur');
    const [name] = await readdir(dir);
    expect(name).toMatch(/:2,DS$/);
    expect((await stat(join(dir, name!))).mtime.getTime()).toBe(date.getTime());
    // Its own append is in the handle's list at once, and not reported again as another's change.
    expect(f.messages()[0]).toMatchObject({ uid: 1, internalDate: date, size: 28, modseq: f.highestModseq });
    expect(await f.refresh()).toEqual([]);
    expect(await text(f.read(1))).toBe('Subject: d\r\n\r\nbare LF body\r\n');
    await f.close();
  });

  it('copies with new UIDs in the target (hard link) and moves', async () => {
    for (const s of ['a', 'b', 'c']) await t.store.deliver(USER, message(s));
    const inbox = await t.store.openFolder(USER, 'INBOX');
    await inbox.setFlags([2], '+', ['\\Seen', 'Important']);
    await inbox.index.settled();
    const archive = await t.store.openFolder(USER, 'Archive');
    await archive.append(message('already there'));
    const pairs = await inbox.copy([2, 3], archive);
    expect(pairs).toEqual([
      [2, 2],
      [3, 3],
    ]);
    const curDir = join(t.maildir, '.Archive', 'cur');
    const names = await readdir(curDir);
    const src = (await readdir(join(t.maildir, 'cur'))).find((n) => n.endsWith(':2,Sa'))!;
    const copied = names.find((n) => n.endsWith(':2,Sa'))!;
    expect((await stat(join(curDir, copied))).ino).toBe((await stat(join(t.maildir, 'cur', src))).ino);
    await archive.refresh();
    expect(archive.messages().map((m) => [m.uid, m.flags])).toEqual([
      [1, []],
      [2, ['\\Seen', 'Important']],
      [3, []],
    ]);
    expect(await text(archive.read(3))).toContain('Subject: c');
    const moved = await inbox.move([1], archive);
    expect(moved).toEqual([[1, 4]]);
    expect(inbox.messages().map((m) => m.uid)).toEqual([2, 3]);
    await inbox.close();
    await archive.close();
  });

  it('expunges \\Deleted messages or given uids; UIDs are never reused', async () => {
    for (const s of ['a', 'b', 'c', 'd']) await t.store.deliver(USER, message(s));
    const f = await t.store.openFolder(USER, 'INBOX');
    await f.setFlags([1, 3], '+', ['\\Deleted']);
    expect(await f.expunge()).toEqual([1, 3]);
    expect(await f.expunge([4])).toEqual([4]);
    expect(f.messages().map((m) => m.uid)).toEqual([2]);
    expect((await t.store.deliver(USER, message('e'))).uid).toBe(5);
    await f.close();
    const again = await t.store.openFolder(USER, 'INBOX');
    expect(again.messages().map((m) => m.uid)).toEqual([2, 5]);
    expect(again.uidNext).toBe(6);
    await again.close();
  });

  it('claimRecent: exactly one session claims each new message', async () => {
    for (const s of ['a', 'b', 'c']) await t.store.deliver(USER, message(s));
    const sessions = await Promise.all([1, 2, 3].map(() => t.store.openFolder(USER, 'INBOX')));
    const claims = await Promise.all(sessions.map((s) => s.claimRecent()));
    expect(claims.flat().sort()).toEqual([1, 2, 3]);
    expect(await readdir(join(t.maildir, 'new'))).toEqual([]);
    for (const s of sessions) expect(await s.claimRecent()).toEqual([]);
    for (const s of sessions) await s.close();
  });

  it('watch fires for another Folder object and for a delivery; refresh reports it', async () => {
    const a = await t.store.openFolder(USER, 'INBOX');
    let fired = 0;
    const stop = a.watch(() => fired++);
    await t.store.deliver(USER, message('x'));
    await until(() => fired > 0);
    const start = a.highestModseq;
    expect(await a.refresh()).toEqual([{ modseq: start + 1, kind: 'append', uids: [1] }]);
    const b = await t.store.openFolder(USER, 'INBOX');
    const seen = fired;
    await b.setFlags([1], '+', ['\\Seen']);
    await until(() => fired > seen);
    expect(await a.refresh()).toEqual([{ modseq: start + 2, kind: 'flags', uid: 1, flags: ['\\Seen'] }]);
    stop();
    await a.close();
    await b.close();
  });

  it('reads a message another session renamed since this snapshot', async () => {
    await t.store.deliver(USER, message('moving'));
    const a = await t.store.openFolder(USER, 'INBOX');
    const b = await t.store.openFolder(USER, 'INBOX');
    await b.setFlags([1], '+', ['\\Seen']);
    expect(await text(a.read(1))).toContain('Subject: moving');
    expect((await a.setFlags([1], '+', ['\\Flagged']))[0]!.flags).toEqual(['\\Flagged', '\\Seen']);
    await a.close();
    await b.close();
  });

  it('keeps UIDs and UIDVALIDITY stable across restarts and flag renames', async () => {
    for (const s of ['a', 'b']) await t.store.deliver(USER, message(s));
    const f = await t.store.openFolder(USER, 'INBOX');
    const validity = f.uidValidity;
    await f.claimRecent();
    await f.setFlags([1, 2], '+', ['\\Seen']);
    await f.close();
    const { createMaildirStore } = await import('../src/index.ts');
    const fresh = createMaildirStore({ root: t.root });
    const g = await fresh.openFolder(USER, 'INBOX');
    expect(g.uidValidity).toBe(validity);
    expect(g.messages().map((m) => [m.uid, m.flags])).toEqual([
      [1, ['\\Seen']],
      [2, ['\\Seen']],
    ]);
    await g.close();
  });
});
