import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { bufferBlob } from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempStore, USER } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
  await t.store.ensureUser(USER);
});
afterEach(async () => {
  await t.cleanup();
});

describe('append with `recent`', () => {
  it('keeps a flagged message in new/ with its flags until one session claims it', async () => {
    const a = await t.store.openFolder(USER, 'INBOX');
    const b = await t.store.openFolder(USER, 'INBOX');
    const { uid } = await a.append(bufferBlob('Subject: r\r\n\r\nx\r\n'), {
      flags: ['\\Seen'],
      recent: true,
    });
    await a.append(bufferBlob('Subject: s\r\n\r\ny\r\n'), { flags: ['\\Seen'] });
    expect(await readdir(join(t.maildir, 'new'))).toEqual([expect.stringMatching(/:2,S$/)]);
    await b.refresh();
    expect(b.messages()[0]).toMatchObject({ uid, flags: ['\\Seen'] });
    expect([a.unclaimedRecent(), b.unclaimedRecent()]).toEqual([1, 1]);
    expect(await b.claimRecent()).toEqual([uid]);
    expect(await a.claimRecent()).toEqual([]);
    expect((await readdir(join(t.maildir, 'cur'))).filter((n) => n.endsWith(':2,S'))).toHaveLength(2);
    expect(b.unclaimedRecent()).toBe(0);
    await a.close();
    await b.close();
  });
});
