import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bufferBlob, storageRefusal } from '@mailstack/core';
import { afterEach, describe, expect, it } from 'vitest';
import { message, tempStore, USER } from './helpers.ts';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
});

describe('Maildir++ quota (maildirsize)', () => {
  it('tracks usage with appended lines and reports it', async () => {
    const t = await tempStore({ quota: async () => ({ limitBytes: 100_000, limitMessages: 10 }) });
    cleanup = t.cleanup;
    await t.store.ensureUser(USER);
    await t.store.deliver(USER, message('a'));
    await t.store.deliver(USER, message('b'));
    const lines = (await readFile(join(t.maildir, 'maildirsize'), 'utf8')).split('\n');
    expect(lines[0]).toBe('100000S,10C');
    const size = message('a').size - 5; // CRLF → LF on disk: 5 line ends
    expect(lines.slice(1)).toEqual(['0 0', `${size} 1`, `${size} 1`, '']);
    expect(await t.store.quota(USER)).toEqual({
      usedBytes: 2 * size,
      usedMessages: 2,
      limitBytes: 100_000,
      limitMessages: 10,
    });
    const f = await t.store.openFolder(USER, 'INBOX');
    await f.expunge([1]);
    await f.close();
    expect((await t.store.quota(USER)).usedMessages).toBe(1);
  });

  it('recalculates when the file is missing or grew past 5120 bytes', async () => {
    const t = await tempStore();
    cleanup = t.cleanup;
    await t.store.deliver(USER, message('a'));
    await writeFile(join(t.maildir, 'maildirsize'), `0S\n${'1 1\n'.repeat(2000)}`);
    expect((await t.store.quota(USER)).usedMessages).toBe(1);
    expect(await readFile(join(t.maildir, 'maildirsize'), 'utf8')).toMatch(/^0S\n\d+ 1\n$/);
  });

  it('refuses over-quota when the message alone is too big and when full; leaves nothing', async () => {
    const t = await tempStore({ quota: async () => ({ limitBytes: 200, limitMessages: 2 }) });
    cleanup = t.cleanup;
    await t.store.ensureUser(USER);
    const big = await t.store
      .deliver(USER, bufferBlob(`Subject: big\r\n\r\n${'x'.repeat(300)}\r\n`))
      .catch((e) => e);
    expect(storageRefusal(big)).toBe('over-quota');
    expect(big.message).toMatch(/exceeds/);
    await t.store.deliver(USER, message('1'));
    await t.store.deliver(USER, message('2'));
    const full = await t.store.deliver(USER, message('3')).catch((e) => e);
    expect(storageRefusal(full)).toBe('over-quota');
    expect(full.message).toMatch(/full/);
    expect(await readdir(join(t.maildir, 'tmp'))).toEqual([]);
    expect(await readdir(join(t.maildir, 'new'))).toHaveLength(2);
  });
});
