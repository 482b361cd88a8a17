import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LimitError } from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { message, tempStore, USER } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
  await t.store.ensureUser(USER);
});
afterEach(async () => {
  await t.cleanup();
});

describe('flags and keywords', () => {
  it('renames the file suffix with sorted letters and never touches the uidlist', async () => {
    await t.store.deliver(USER, message('a'));
    const uidlistBefore = await readFile(join(t.maildir, 'dovecot-uidlist'), 'utf8');
    const f = await t.store.openFolder(USER, 'INBOX');
    let metas = await f.setFlags([1], '+', ['\\Seen', '\\Answered', '\\Draft', '\\Flagged', '\\Deleted']);
    expect([...metas[0]!.flags].sort()).toEqual([
      '\\Answered',
      '\\Deleted',
      '\\Draft',
      '\\Flagged',
      '\\Seen',
    ]);
    // The index changes first; the rename follows without blocking the reply.
    await f.index.settled();
    const [name] = await readdir(join(t.maildir, 'cur'));
    expect(name).toMatch(/:2,DFRST$/);
    metas = await f.setFlags([1], '-', ['\\Draft', '\\Deleted']);
    await f.index.settled();
    expect((await readdir(join(t.maildir, 'cur')))[0]).toMatch(/:2,FRS$/);
    metas = await f.setFlags([1], '=', ['\\Seen']);
    expect(metas[0]!.flags).toEqual(['\\Seen']);
    await f.index.settled();
    expect((await readdir(join(t.maildir, 'cur')))[0]).toMatch(/:2,S$/);
    expect(await readFile(join(t.maildir, 'dovecot-uidlist'), 'utf8')).toBe(uidlistBefore);
    await f.close();
  });

  it('registers keywords in dovecot-keywords as a..z and refuses a 27th', async () => {
    await t.store.deliver(USER, message('a'));
    const f = await t.store.openFolder(USER, 'INBOX');
    await f.setFlags([1], '+', ['$Forwarded', 'Work']);
    await f.index.settled();
    expect(await readFile(join(t.maildir, 'dovecot-keywords'), 'utf8')).toBe('0 $Forwarded\n1 Work\n');
    expect((await readdir(join(t.maildir, 'cur')))[0]).toMatch(/:2,ab$/);
    expect(f.messages()[0]!.flags).toEqual(['$Forwarded', 'Work']);
    await f.setFlags([1], '-', ['$forwarded']);
    expect(f.messages()[0]!.flags).toEqual(['Work']);
    const many = Array.from({ length: 24 }, (_, i) => `kw${i}`);
    await f.setFlags([1], '+', many);
    expect(f.messages()[0]!.flags).toHaveLength(25);
    await expect(f.setFlags([1], '+', ['one', 'two'])).rejects.toThrow(LimitError);
    await f.close();
    const again = await t.store.openFolder(USER, 'INBOX');
    expect(again.messages()[0]!.flags).toHaveLength(25);
    await again.close();
  });

  it('reports another session’s flag change on refresh, with growing modseq', async () => {
    await t.store.deliver(USER, message('a'));
    await t.store.deliver(USER, message('b'));
    const a = await t.store.openFolder(USER, 'INBOX');
    const b = await t.store.openFolder(USER, 'INBOX');
    const start = b.highestModseq;
    await a.setFlags([2], '+', ['\\Seen', 'Later']);
    const changes = await b.refresh();
    expect(changes).toEqual([{ modseq: start + 1, kind: 'flags', uid: 2, flags: ['\\Seen', 'Later'] }]);
    await a.expunge([1]);
    await t.store.deliver(USER, message('c'));
    const more = await b.refresh();
    expect(more).toEqual([
      { modseq: start + 2, kind: 'expunge', uids: [1] },
      { modseq: start + 3, kind: 'append', uids: [3] },
    ]);
    expect(b.highestModseq).toBe(start + 3);
    expect(await b.refresh()).toEqual([]);
    await a.close();
    await b.close();
  });
});
