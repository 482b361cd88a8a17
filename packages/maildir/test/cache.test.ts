import { appendFile, readdir, readFile, truncate, utimes } from 'node:fs/promises';
import { join } from 'node:path';
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

describe('metadata cache', () => {
  it('lists from uidlist + readdir + cache without reading message files', async () => {
    await t.store.deliver(USER, message('a'));
    const first = await t.store.openFolder(USER, 'INBOX');
    const meta = first.messages()[0]!;
    await first.close();
    // Change what a file open or stat would see: listing must still give the cached values.
    const [name] = await readdir(join(t.maildir, 'new'));
    const path = join(t.maildir, 'new', name!);
    await truncate(path, 3);
    await utimes(path, new Date('2001-01-01'), new Date('2001-01-01'));
    const again = await t.store.openFolder(USER, 'INBOX');
    expect(again.messages()[0]).toEqual(meta);
    await again.close();
  });

  it('ignores a torn tail line', async () => {
    await t.store.deliver(USER, message('a'));
    await appendFile(join(t.maildir, 'mailstack-cache'), 'garbage-without-newline\t12');
    await appendFile(join(t.maildir, 'mailstack-summaries'), 'x\t{"broken');
    const f = await t.store.openFolder(USER, 'INBOX');
    expect(f.messages()).toHaveLength(1);
    await f.close();
  });

  it('computes the summary lazily once and persists it', async () => {
    await t.store.deliver(USER, message('Summary me'));
    const f = await t.store.openFolder(USER, 'INBOX');
    const s = await f.summary(1);
    expect(s.envelope.subject).toBe('Summary me');
    expect(s.structure.type).toBe('text');
    await f.close();
    const stored = await readFile(join(t.maildir, 'mailstack-summaries'), 'utf8');
    expect(stored.split('\n').filter(Boolean)).toHaveLength(1);
    const [name] = await readdir(join(t.maildir, 'new'));
    await truncate(join(t.maildir, 'new', name!), 0);
    const g = await t.store.openFolder(USER, 'INBOX');
    expect((await g.summary(1)).envelope.subject).toBe('Summary me');
    await g.close();
  });
});
