import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatUidList, parseUidList, parseUidRecord } from '../src/uidlist.ts';
import { message, tempStore, USER, until } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
  await t.store.ensureUser(USER);
});
afterEach(async () => {
  await t.cleanup();
});

// Written by Dovecot 2.3 (captured from /usr/lib/dovecot/imap on Debian 12): N lags behind
// appended records, extension fields, an old-style name with the flag suffix.
const DOVECOT_UIDLIST = `3 V1795421642 N1 Ga0ef3229cdf5036b192f000083ecc375
1 :1795421645.M691204P12057.vm,S=12,W=14
2 W2481 GX :1795421646.M1P2.vm:2,F
`;

describe('dovecot-uidlist v3', () => {
  it('parses Dovecot-written files, ext fields and names with a flag suffix', () => {
    const parsed = parseUidList(DOVECOT_UIDLIST)!;
    expect(parsed.header).toEqual({
      uidValidity: 1795421642,
      nextUid: 1,
      guid: 'a0ef3229cdf5036b192f000083ecc375',
      extra: [],
    });
    expect(parsed.records).toEqual([
      { uid: 1, base: '1795421645.M691204P12057.vm,S=12,W=14', ext: [] },
      { uid: 2, base: '1795421646.M1P2.vm', ext: ['W2481', 'GX'] },
    ]);
    expect(formatUidList(parsed.header, parsed.records)).toBe(
      `3 V1795421642 N1 Ga0ef3229cdf5036b192f000083ecc375\n1 :1795421645.M691204P12057.vm,S=12,W=14\n2 W2481 GX :1795421646.M1P2.vm\n`,
    );
    expect(parseUidRecord('0 :x')).toBeNull();
    expect(parseUidRecord('5 :a/b')).toBeNull();
    expect(parseUidList('3 V1 N1 G00\n1 :a\n2 :torn-without-lf')!.records).toHaveLength(1);
  });

  it('continues numbering after a Dovecot uidlist whose N lags the records', async () => {
    await writeFile(join(t.maildir, 'dovecot-uidlist'), DOVECOT_UIDLIST);
    await writeFile(join(t.maildir, 'cur', '1795421645.M691204P12057.vm,S=12,W=14:2,S'), 'Subject: x\n\n');
    const { uid } = await t.store.deliver(USER, message('next'));
    expect(uid).toBe(3);
    const f = await t.store.openFolder(USER, 'INBOX');
    expect(f.uidValidity).toBe(1795421642);
    expect(f.messages().map((m) => m.uid)).toEqual([1, 3]);
    await f.close();
  });

  it('waits for a lock held by a live process, then proceeds', async () => {
    await t.store.deliver(USER, message('a'));
    const lock = join(t.maildir, 'dovecot-uidlist.lock');
    await writeFile(lock, `${process.pid}:${(await import('node:os')).hostname()}`);
    let done = false;
    const pending = t.store.deliver(USER, message('b')).then((r) => {
      done = true;
      return r;
    });
    // The message is published into new/ first; its UID waits for the lock.
    const { readdir } = await import('node:fs/promises');
    await until(async () => (await readdir(join(t.maildir, 'new'))).length === 2);
    expect(done).toBe(false);
    const { unlink } = await import('node:fs/promises');
    await unlink(lock);
    expect((await pending).uid).toBe(2);
  });

  it('breaks a stale lock: dead owner on this host, or untouched for 120 s', async () => {
    const lock = join(t.maildir, 'dovecot-uidlist.lock');
    await writeFile(lock, `999999999:${(await import('node:os')).hostname()}`);
    expect((await t.store.deliver(USER, message('a'))).uid).toBe(1);
    await writeFile(lock, '1:some-other-host');
    const old = new Date(Date.now() - 121_000);
    await utimes(lock, old, old);
    expect((await t.store.deliver(USER, message('b'))).uid).toBe(2);
    await expect(stat(lock)).rejects.toThrow();
  });

  it('drops records of expunged messages (rewrite under the lock, renamed over the file); UIDs stay', async () => {
    for (let i = 0; i < 80; i++) await t.store.deliver(USER, message(`m${i}`));
    const f = await t.store.openFolder(USER, 'INBOX');
    const before = (await stat(join(t.maildir, 'dovecot-uidlist'))).ino;
    await f.expunge(Array.from({ length: 70 }, (_, i) => i + 1));
    const text = await readFile(join(t.maildir, 'dovecot-uidlist'), 'utf8');
    const parsed = parseUidList(text)!;
    expect(parsed.records.map((r) => r.uid)).toEqual(Array.from({ length: 10 }, (_, i) => i + 71));
    expect(parsed.header.nextUid).toBe(81);
    expect((await stat(join(t.maildir, 'dovecot-uidlist'))).ino).not.toBe(before);
    await expect(stat(join(t.maildir, 'dovecot-uidlist.lock'))).rejects.toThrow();
    await f.close();
    const g = await t.store.openFolder(USER, 'INBOX');
    expect(g.messages().map((m) => m.uid)).toEqual(parsed.records.map((r) => r.uid));
    expect((await t.store.deliver(USER, message('after'))).uid).toBe(81);
    await g.close();
  });
});
