import type { Folder } from '@mailstack/core';
import { memoryMailboxStore } from '@mailstack/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { message, tempStore, text, USER } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
  await t.store.ensureUser(USER);
});
afterEach(() => t.cleanup());

/** Another backend's Folder, as far as the Maildir store can tell: every call delegated. */
function foreign(inner: Folder): Folder {
  return new Proxy(inner, {
    getPrototypeOf: () => Object.prototype,
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('copy and move into a folder of another backend', () => {
  it('copies through the seam with flags and internal date, and moves', async () => {
    const date = new Date('2024-05-01T10:00:00Z');
    for (const s of ['a', 'b', 'c']) await t.store.deliver(USER, message(s), { internalDate: date });
    const inbox = await t.store.openFolder(USER, 'INBOX');
    await inbox.setFlags([2], '+', ['\\Seen', 'Important']);
    const archive = await t.store.openFolder(USER, 'Archive');
    await archive.append(message('already there'));
    const target = foreign(archive);
    expect(await inbox.copy([3, 2], target)).toEqual([
      [2, 2],
      [3, 3],
    ]);
    expect(archive.messages().map((m) => [m.uid, m.flags, m.internalDate.getTime()])).toEqual([
      [1, [], expect.any(Number)],
      [2, ['\\Seen', 'Important'], date.getTime()],
      [3, [], date.getTime()],
    ]);
    expect(await text(archive.read(3))).toBe(await text(inbox.read(3)));
    expect(await inbox.move([1], target)).toEqual([[1, 4]]);
    expect(inbox.messages().map((m) => m.uid)).toEqual([2, 3]);
    await inbox.close();
    await archive.close();
  });

  it('is all or nothing: a refused append takes back the copies already made', async () => {
    const q = await tempStore({ quota: async () => ({ limitMessages: 2 }) });
    try {
      await q.store.ensureUser(USER);
      await t.store.deliver(USER, message('a'));
      await t.store.deliver(USER, message('b'));
      const inbox = await t.store.openFolder(USER, 'INBOX');
      const small = await q.store.openFolder(USER, 'Archive');
      await small.append(message('one already'));
      await expect(inbox.copy([1, 2], foreign(small))).rejects.toMatchObject({ kind: 'over-quota' });
      await small.refresh();
      expect(small.messages().map((m) => m.uid)).toEqual([1]);
      await inbox.close();
      await small.close();
    } finally {
      await q.cleanup();
    }
  });

  it('copies and moves from Maildir into a memory folder and back, both ways', async () => {
    const date = new Date('2024-06-01T08:00:00Z');
    const memory = memoryMailboxStore();
    await memory.createFolder(USER, 'Elsewhere');
    const away = await memory.openFolder(USER, 'Elsewhere');
    const inbox = await t.store.openFolder(USER, 'INBOX');
    const a = await inbox.append(message('to memory', 'line\nwith LF\n'), { internalDate: date });
    await inbox.setFlags([a.uid], '+', ['\\Answered', '$Label1']);
    const b = await inbox.append(message('moved'));
    expect(await inbox.copy([a.uid], away)).toEqual([[a.uid, 1]]);
    expect(await inbox.move([b.uid], away)).toEqual([[b.uid, 2]]);
    expect(inbox.messages().map((m) => m.uid)).toEqual([a.uid]);
    expect(away.messages()).toEqual([
      expect.objectContaining({
        uid: 1,
        internalDate: date,
        flags: expect.arrayContaining(['\\Answered', '$Label1']),
      }),
      expect.objectContaining({ uid: 2 }),
    ]);
    expect(await text(away.read(1))).toBe(await text(inbox.read(a.uid)));

    const archive = await t.store.openFolder(USER, 'Archive');
    const back = await away.move([1, 2], archive);
    expect(back.map(([source]) => source)).toEqual([1, 2]);
    expect(away.messages()).toEqual([]);
    await archive.refresh();
    const copied = archive.messages().find((m) => m.uid === back[0]![1])!;
    expect(copied.internalDate).toEqual(date);
    expect([...copied.flags].sort()).toEqual(['$Label1', '\\Answered']);
    expect(await text(archive.read(back[0]![1]))).toBe(await text(inbox.read(a.uid)));
    expect(await text(archive.read(back[1]![1]))).toContain('Subject: moved');
    for (const f of [inbox, archive, away]) await f.close();
  });
});
