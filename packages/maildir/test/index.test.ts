import { readdir, readFile, rename, stat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMaildirStore, type MaildirFolder, type MaildirStore } from '../src/index.ts';
import { hibernatingCount, INDEX_FILE, sweepIdleIndexes } from '../src/index-db.ts';
import { parseUidList } from '../src/uidlist.ts';
import { message, tempStore, text, USER, until } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempStore>>;
const open: MaildirFolder[] = [];
beforeEach(async () => {
  t = await tempStore();
  await t.store.ensureUser(USER);
});
afterEach(async () => {
  for (const f of open.splice(0)) await f.close().catch(() => {});
  await t.cleanup();
});

async function inbox(store: MaildirStore = t.store, name = 'INBOX'): Promise<MaildirFolder> {
  const f = await store.openFolder(USER, name);
  open.push(f);
  return f;
}

/** Another store object on the same data: another process, as far as the index is concerned. */
const otherProcess = () => createMaildirStore({ root: t.root, hostname: 'other.host' });

function sqlite(path: string): DatabaseSync {
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite');
  return new DatabaseSync(path);
}

describe('the shared folder index', () => {
  it('is one per folder: a second open shares the first one’s list and file', async () => {
    for (const s of ['a', 'b']) await t.store.deliver(USER, message(s));
    const a = await inbox();
    const b = await inbox();
    expect(b.messages()).toBe(a.messages());
    expect(b.index).toBe(a.index);
    // The INBOX's index is in the Maildir root, a folder's in its own directory; neither is a folder.
    expect((await stat(join(t.maildir, INDEX_FILE))).isFile()).toBe(true);
    await inbox(t.store, 'Archive');
    expect((await stat(join(t.maildir, '.Archive', INDEX_FILE))).isFile()).toBe(true);
    expect((await t.store.listFolders(USER)).map((f) => f.name)).not.toContain(INDEX_FILE);
  });

  it('moves with a folder rename (modseqs kept) and dies with a delete', async () => {
    await t.store.createFolder(USER, 'Old');
    await t.store.deliver(USER, message('x'), { folder: 'Old' });
    const old = await inbox(t.store, 'Old');
    await old.setFlags([1], '+', ['\\Seen']);
    const metas = old.messages();
    await old.close();
    await t.store.renameFolder(USER, 'Old', 'New');
    const renamed = await inbox(t.store, 'New');
    expect(renamed.messages()).toEqual(metas);
    await renamed.close();
    await t.store.deleteFolder(USER, 'New');
    await t.store.createFolder(USER, 'New');
    const fresh = await inbox(t.store, 'New');
    expect(fresh.messages()).toEqual([]);
    expect(fresh.changesSince(0)).toEqual({ changed: [], expunged: [] });
  });

  it('picks up a file another program dropped into new/', async () => {
    await t.store.deliver(USER, message('ours'));
    const f = await inbox();
    await writeFile(join(t.maildir, 'new', '1700000000.M1P1.elsewhere'), 'Subject: theirs\n\nbody\n');
    const changes = await f.refresh();
    expect(changes).toEqual([{ modseq: f.highestModseq, kind: 'append', uids: [2] }]);
    expect(f.messages()[1]).toMatchObject({
      uid: 2,
      size: 'Subject: theirs\r\n\r\nbody\r\n'.length,
      flags: [],
    });
    const uidlist = parseUidList(await readFile(join(t.maildir, 'dovecot-uidlist'), 'utf8'))!;
    expect(uidlist.records.map((r) => r.base)).toContain('1700000000.M1P1.elsewhere');
    expect(await text(f.read(2))).toContain('Subject: theirs');
  });

  it('adopts the flags of a rename by another program, and sees its unlink as an expunge', async () => {
    for (const s of ['a', 'b']) await t.store.deliver(USER, message(s));
    const f = await inbox();
    const before = f.highestModseq;
    const [first, second] = await readdir(join(t.maildir, 'new'));
    // mutt marks one read (new/ → cur/ with S), and deletes the other.
    await rename(join(t.maildir, 'new', first!), join(t.maildir, 'cur', `${first}:2,S`));
    await unlink(join(t.maildir, 'new', second!));
    const uidOf = async (base: string) =>
      parseUidList(await readFile(join(t.maildir, 'dovecot-uidlist'), 'utf8'))!.records.find(
        (r) => r.base === base,
      )!.uid;
    const [read, gone] = [await uidOf(first!), await uidOf(second!)];
    const changes = await f.refresh();
    expect(changes).toEqual([
      { modseq: before + 1, kind: 'expunge', uids: [gone] },
      { modseq: before + 1, kind: 'flags', uid: read, flags: ['\\Seen'] },
    ]);
    expect(f.messages().map((m) => [m.uid, m.flags])).toEqual([[read, ['\\Seen']]]);
    // Persisted: a restarted process reads the same without a change of its own.
    const g = await inbox(otherProcess());
    expect(g.messages()).toEqual(f.messages());
    expect(await g.refresh()).toEqual([]);
  });

  it('sees an unlink in new/ alone, and never lists a symbolic link', async () => {
    for (const s of ['a', 'b']) await t.store.deliver(USER, message(s));
    const f = await inbox();
    const uidlist = parseUidList(await readFile(join(t.maildir, 'dovecot-uidlist'), 'utf8'))!;
    await unlink(join(t.maildir, 'new', uidlist.records.find((r) => r.uid === 1)!.base));
    await symlink(join(t.root, 'elsewhere'), join(t.maildir, 'new', '1700000001.M2P2.evil'));
    await writeFile(join(t.root, 'elsewhere'), 'Subject: not yours\n\n');
    const changes = await f.refresh();
    expect(changes).toEqual([{ modseq: f.highestModseq, kind: 'expunge', uids: [1] }]);
    expect(f.messages().map((m) => m.uid)).toEqual([2]);
    const g = await inbox(otherProcess());
    expect(g.messages().map((m) => m.uid)).toEqual([2]);
  });

  it('starts over when the uidlist gets a new UIDVALIDITY', async () => {
    for (const s of ['a', 'b']) await t.store.deliver(USER, message(s));
    const f = await inbox();
    const path = join(t.maildir, 'dovecot-uidlist');
    const old = parseUidList(await readFile(path, 'utf8'))!;
    const validity = old.header.uidValidity + 1000;
    const records = old.records.map((r) => `${r.uid + 10} :${r.base}\n`).join('');
    // Rewritten as Dovecot does: a new file renamed over the old one.
    await writeFile(`${path}.tmp`, `3 V${validity} N20 G${old.header.guid}\n${records}`);
    await rename(`${path}.tmp`, path);
    const changes = await f.refresh();
    expect(f.uidValidity).toBe(validity);
    expect(f.messages().map((m) => m.uid)).toEqual([11, 12]);
    expect(changes.map((c) => c.kind)).toEqual(['expunge', 'append']);
    const g = await inbox(otherProcess());
    expect([g.uidValidity, g.messages().map((m) => m.uid)]).toEqual([validity, [11, 12]]);
  });

  it('lists cur/ once more after its own renames, catching a change hidden in the same mtime', async () => {
    await t.store.deliver(USER, message('a'));
    await t.store.deliver(USER, message('b'));
    const past = new Date(Date.now() - 60_000);
    for (const sub of ['new', 'cur']) await utimes(join(t.maildir, sub), past, past);
    const f = await inbox();
    await f.claimRecent();
    await f.setFlags([1], '+', ['\\Seen']);
    await f.index.settled();
    // Another program renames message 2 within the same mtime as our renames.
    const cur = join(t.maildir, 'cur');
    const { mtime } = await stat(cur);
    const [other] = (await readdir(cur)).filter((n) => !n.endsWith(':2,S'));
    await rename(join(cur, other!), join(cur, `${other!.slice(0, other!.indexOf(':'))}:2,F`));
    await utimes(cur, mtime, mtime);
    const seen: unknown[] = [];
    await until(async () => {
      seen.push(...(await f.refresh()));
      return seen.length > 0;
    });
    expect(seen).toEqual([expect.objectContaining({ kind: 'flags', uid: 2, flags: ['\\Flagged'] })]);
  });

  it('redoes at open a rename that a crash cut off after the index change', async () => {
    await t.store.deliver(USER, message('a'));
    const f = await inbox();
    await f.setFlags([1], '+', ['\\Seen', '\\Flagged']);
    await f.close();
    // Undo the rename and its record, as if the process died between the index change and the rename.
    const [name] = await readdir(join(t.maildir, 'cur'));
    const base = name!.slice(0, name!.indexOf(':'));
    await rename(join(t.maildir, 'cur', name!), join(t.maildir, 'new', base));
    const db = sqlite(join(t.maildir, INDEX_FILE));
    db.prepare("UPDATE messages SET sub = 'new', name = ? WHERE uid = 1").run(base);
    db.close();
    const g = await inbox(otherProcess());
    expect(g.messages()[0]!.flags).toEqual(['\\Flagged', '\\Seen']);
    await g.index.settled();
    expect(await readdir(join(t.maildir, 'cur'))).toEqual([`${base}:2,FS`]);
    expect(await readdir(join(t.maildir, 'new'))).toEqual([]);
  });

  it('ends consistent when two processes flag the same messages at once', async () => {
    for (let i = 0; i < 12; i++) await t.store.deliver(USER, message(`m${i}`));
    const a = await inbox();
    const b = await inbox(otherProcess());
    const all = a.messages().map((m) => m.uid);
    await Promise.all([
      a.setFlags(all, '+', ['\\Seen']),
      b.setFlags(all, '+', ['\\Flagged']),
      a.setFlags(all.slice(0, 6), '+', ['Work']),
      b.setFlags(all, '+', ['\\Answered']),
      a.setFlags(all.slice(6), '+', ['Work']),
    ]);
    await Promise.all([a.close(), b.close()]);
    const want = ['\\Answered', '\\Flagged', '\\Seen', 'Work'].sort();
    const c = await inbox(otherProcess());
    for (const m of c.messages()) expect([...m.flags].sort()).toEqual(want);
    for (const name of await readdir(join(t.maildir, 'cur'))) expect(name).toMatch(/:2,FRSa$/);
    expect(await readdir(join(t.maildir, 'new'))).toEqual([]);
  });

  it('loses no message and no flag to a refresh that lists while its own renames run', async () => {
    const f = await inbox();
    // Appended as IMAP does (new/, \Recent), claimed, then two STOREs back to back while the
    // renames of the first are still running (imaptest's search-flags group).
    for (let round = 0; round < 5; round++) {
      const uids: number[] = [];
      const claimed = round % 2 === 1;
      for (let i = 0; i < 5; i++)
        uids.push((await f.append(message(`r${round}m${i}`), claimed ? { recent: true } : {})).uid);
      if (claimed) {
        await f.refresh();
        await f.claimRecent();
      }
      await f.setFlags(uids, '=', ['\\Seen']);
      await f.setFlags([uids[1]!], '+', ['\\Flagged']);
      await f.refresh();
      const got = f.messages().filter((m) => uids.includes(m.uid));
      expect(got.map((m) => m.uid)).toEqual(uids);
      expect(got.map((m) => [...m.flags].sort().join(' '))).toEqual(
        uids.map((uid) => (uid === uids[1] ? '\\Flagged \\Seen' : '\\Seen')),
      );
    }
  });

  it('hibernates an idle connection and still sees what another process did meanwhile', async () => {
    const a = await inbox();
    const first = (await a.append(message('one'))).uid;
    // Two sweeps with no use in between: the connection closes, the index stays open.
    sweepIdleIndexes();
    sweepIdleIndexes();
    expect(hibernatingCount()).toBeGreaterThan(0);
    const b = await inbox(otherProcess());
    const second = (await b.append(message('two'))).uid;
    await b.setFlags([first], '+', ['\\Seen']);
    await a.refresh();
    expect(a.messages().map((m) => [m.uid, m.flags])).toEqual([
      [first, ['\\Seen']],
      [second, []],
    ]);
    // Its own writes wake it too.
    sweepIdleIndexes();
    sweepIdleIndexes();
    await a.setFlags([second], '+', ['\\Flagged']);
    await b.refresh();
    expect(b.messages().find((m) => m.uid === second)?.flags).toEqual(['\\Flagged']);
  });

  it('answers changesSince with null below the kept expunge log; a lagging handle compares lists', async () => {
    const small = createMaildirStore({
      root: t.root,
      hostname: 'small.host',
      indexLimits: { expungeLogMax: 4, expungeLogKeep: 2 },
    });
    for (let i = 0; i < 8; i++) await small.deliver(USER, message(`m${i}`));
    const a = await inbox(small);
    const lagging = await inbox(small);
    const start = a.highestModseq;
    for (const uid of [1, 2, 3, 4, 5, 6]) await a.expunge([uid]);
    expect(a.changesSince(start)).toBeNull();
    expect(a.changesSince(a.highestModseq - 1)).toEqual({ changed: [], expunged: [6] });
    expect(await lagging.refresh()).toEqual([
      { modseq: a.highestModseq, kind: 'expunge', uids: [1, 2, 3, 4, 5, 6] },
    ]);
    expect(lagging.messages().map((m) => m.uid)).toEqual([7, 8]);
  });

  it('copies carry the summary and the cached texts into the target index', async () => {
    await t.store.deliver(USER, message('carried'));
    const src = await inbox();
    const summary = await src.summary(1);
    src.cacheText(1, 'envelope', '(ENVELOPE)');
    const archive = await inbox(t.store, 'Archive');
    const [[, uid]] = (await src.copy([1], archive)) as [[number, number]];
    await archive.refresh();
    expect(archive.cachedText(uid, 'envelope')).toBe('(ENVELOPE)');
    expect(await archive.summary(uid)).toEqual(summary);
    const db = sqlite(join(t.maildir, '.Archive', INDEX_FILE));
    expect(db.prepare('SELECT summary FROM messages WHERE uid = ?').get(uid)).toEqual({
      summary: JSON.stringify(summary),
    });
    db.close();
  });
});
