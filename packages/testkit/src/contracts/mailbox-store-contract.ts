/**
 * The MailboxStore contract: what every backend of the seam must do, whatever it keeps its
 * mail in. Each implementation runs it (the Maildir store in packages/maildir/test, the
 * memory store in packages/testkit/test, every future backend the same way):
 *
 *   describeMailboxStoreContract('maildir', async () => ({ store, setQuota, reopen, close }));
 *
 * Refusals are checked by their core kind (`storageRefusal`), never by class or message.
 */
import {
  bufferBlob,
  type Folder,
  type FolderChange,
  type MailboxStore,
  type MessageBlob,
  readAll,
  type StorageRefusal,
  storageRefusal,
} from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface MailboxStoreFixture {
  store: MailboxStore;
  /** Sets a user's quota; the quota test is skipped without it. */
  setQuota?(user: string, limits: { limitBytes?: number; limitMessages?: number }): Promise<void>;
  /**
   * A second store over the same data, as after a restart or in another process (required:
   * the modseq and cache tests must run for every backend; an in-memory store returns itself).
   */
  reopen(): Promise<MailboxStore>;
  close(): Promise<void>;
}

const USER = 'alice@example.test';

function mail(n: number | string, body = `Body ${n}.\r\n`): MessageBlob {
  return bufferBlob(`From: bob@example.net\r\nTo: ${USER}\r\nSubject: message ${n}\r\n\r\n${body}`);
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  return (await readAll(stream)).toString('latin1');
}

async function refusalOf(work: Promise<unknown>): Promise<StorageRefusal | 'resolved' | 'other'> {
  try {
    await work;
    return 'resolved';
  } catch (err) {
    return storageRefusal(err) ?? 'other';
  }
}

const sorted = (flags: readonly string[]) => [...flags].sort();

export function describeMailboxStoreContract(name: string, open: () => Promise<MailboxStoreFixture>): void {
  describe(`MailboxStore contract: ${name}`, () => {
    let fx: MailboxStoreFixture;
    let store: MailboxStore;
    const opened: Folder[] = [];
    const folder = async (n = 'INBOX', s: MailboxStore = store): Promise<Folder> => {
      const f = await s.openFolder(USER, n);
      opened.push(f);
      return f;
    };
    const uids = (f: Folder) => f.messages().map((m) => m.uid);

    beforeEach(async () => {
      fx = await open();
      store = fx.store;
    });
    afterEach(async () => {
      for (const f of opened.splice(0)) await f.close().catch(() => {});
      await fx.close();
    });

    describe('folders', () => {
      it('creates folders with implied parents, special-use and subscriptions', async () => {
        await store.createFolder(USER, 'Lists/Work');
        await store.createFolder(USER, 'Stars', '\\Flagged');
        await store.setSubscribed(USER, 'Lists/Work', true);
        const list = await store.listFolders(USER);
        const names = list.map((f) => f.name);
        expect(names).toEqual(expect.arrayContaining(['INBOX', 'Lists', 'Lists/Work', 'Stars']));
        expect(list.find((f) => f.name === 'Stars')?.specialUse).toBe('\\Flagged');
        expect(list.find((f) => f.name === 'Lists/Work')?.subscribed).toBe(true);
        expect(list.find((f) => f.name === 'Lists')?.subscribed).toBe(false);
        await store.setSubscribed(USER, 'Lists/Work', false);
        expect((await store.listFolders(USER)).find((f) => f.name === 'Lists/Work')?.subscribed).toBe(false);
      });

      it('refuses what exists, what is missing and names it cannot hold, by refusal kind', async () => {
        await store.createFolder(USER, 'Here');
        expect(await refusalOf(store.createFolder(USER, 'Here'))).toBe('exists');
        expect(await refusalOf(store.createFolder(USER, 'inbox'))).toBe('exists');
        expect(await refusalOf(store.openFolder(USER, 'Nope'))).toBe('not-found');
        expect(await refusalOf(store.deleteFolder(USER, 'Nope'))).toBe('not-found');
        expect(await refusalOf(store.renameFolder(USER, 'Nope', 'Other'))).toBe('not-found');
        for (const bad of ['', '../x', 'a/../../b', 'a\u0000b', 'line\r\nbreak'])
          for (const op of [store.createFolder(USER, bad), store.openFolder(USER, bad)])
            expect(await refusalOf(op), JSON.stringify(bad)).toBe('invalid-name');
        expect(await refusalOf(store.deleteFolder(USER, 'INBOX'))).toBe('invalid-name');
        for (const user of ['', '../x@example.test', 'a\u0000b@example.test'])
          expect(await refusalOf(store.openFolder(user, 'INBOX')), JSON.stringify(user)).toBe('invalid-name');
        expect(await refusalOf(store.renameFolder(USER, 'Here', 'Here/Inside'))).toBe('invalid-name');
        await store.createFolder(USER, 'There');
        expect(await refusalOf(store.renameFolder(USER, 'Here', 'There'))).toBe('exists');
      });

      it('deletes a folder and its messages but keeps its children', async () => {
        await store.createFolder(USER, 'A/B');
        await store.deliver(USER, mail(1), { folder: 'A' });
        await store.deleteFolder(USER, 'A');
        const names = (await store.listFolders(USER)).map((f) => f.name);
        expect(names).toContain('A/B');
        expect(names).not.toContain('A');
        expect(await refusalOf(store.openFolder(USER, 'A'))).toBe('not-found');
        await store.createFolder(USER, 'A');
        expect((await folder('A')).messages()).toEqual([]);
      });

      it('renames with children, messages, UIDs and subscriptions', async () => {
        await store.createFolder(USER, 'P/Q');
        await store.setSubscribed(USER, 'P/Q', true);
        const { uid } = await store.deliver(USER, mail('q'), { folder: 'P/Q' });
        const before = (await folder('P/Q')).uidValidity;
        await store.renameFolder(USER, 'P', 'R');
        const list = await store.listFolders(USER);
        expect(list.map((f) => f.name)).toEqual(expect.arrayContaining(['R', 'R/Q']));
        expect(list.map((f) => f.name)).not.toContain('P/Q');
        expect(list.find((f) => f.name === 'R/Q')?.subscribed).toBe(true);
        const moved = await folder('R/Q');
        expect(uids(moved)).toEqual([uid]);
        expect(moved.uidValidity).toBe(before);
        expect(await text(moved.read(uid))).toContain('Subject: message q');
      });

      it('renaming INBOX moves its messages to the new folder and leaves INBOX empty', async () => {
        await store.deliver(USER, mail(1));
        await store.deliver(USER, mail(2));
        await store.renameFolder(USER, 'INBOX', 'Old');
        expect((await folder()).messages()).toEqual([]);
        const old = await folder('Old');
        expect(old.messages()).toHaveLength(2);
        const bodies = await Promise.all(uids(old).map((u) => text(old.read(u))));
        expect(bodies.map((b) => /Subject: (.*)\r\n/.exec(b)?.[1])).toEqual(['message 1', 'message 2']);
      });
    });

    describe('messages', () => {
      it('appends and reads in wire form (CRLF), whole and by range', async () => {
        const inbox = await folder();
        const date = new Date('2024-03-01T12:00:00Z');
        const { uid } = await inbox.append(bufferBlob('Subject: lf\n\nline one\nline two\n'), {
          internalDate: date,
          flags: ['\\Seen'],
        });
        const wire = 'Subject: lf\r\n\r\nline one\r\nline two\r\n';
        expect(await text(inbox.read(uid))).toBe(wire);
        expect(inbox.messages().find((m) => m.uid === uid)).toMatchObject({
          size: wire.length,
          internalDate: date,
          flags: ['\\Seen'],
        });
        expect(await text(inbox.read(uid, { start: 13, end: 21 }))).toBe(wire.slice(13, 21));
        expect(await text(inbox.read(uid, { start: 15 }))).toBe(wire.slice(15));
        expect(await text(inbox.read(uid, { start: 500 }))).toBe('');
        expect(() => inbox.read(uid + 100)).toThrow();
      });

      it('gives strictly ascending UIDs, never reused after expunge, stable across reopen', async () => {
        const inbox = await folder();
        const first = [];
        for (const n of [1, 2, 3]) first.push((await inbox.append(mail(n))).uid);
        expect(first[1]! > first[0]! && first[2]! > first[1]!).toBe(true);
        expect(inbox.uidNext).toBeGreaterThan(first[2]!);
        expect(await inbox.expunge([first[2]!])).toEqual([first[2]]);
        const again = await inbox.append(mail(4));
        expect(again.uid).toBeGreaterThan(first[2]!);
        const validity = inbox.uidValidity;
        const other = await fx.reopen();
        const reopened = await folder('INBOX', other);
        expect(reopened.uidValidity).toBe(validity);
        expect(uids(reopened)).toEqual([first[0], first[1], again.uid]);
        const later = await reopened.append(mail(5));
        expect(later.uid).toBeGreaterThan(again.uid);
      });

      it('sets flags with +, - and =, keywords case-insensitively, \\Recent never stored', async () => {
        const inbox = await folder();
        const { uid } = await inbox.append(mail(1));
        let [meta] = await inbox.setFlags([uid], '+', ['\\Seen', 'Important', '\\Recent']);
        expect(sorted(meta!.flags)).toEqual(sorted(['\\Seen', 'Important']));
        [meta] = await inbox.setFlags([uid], '+', ['important', '\\Flagged']);
        expect(sorted(meta!.flags)).toEqual(sorted(['\\Seen', 'Important', '\\Flagged']));
        [meta] = await inbox.setFlags([uid], '-', ['\\Seen', 'IMPORTANT']);
        expect(meta!.flags).toEqual(['\\Flagged']);
        [meta] = await inbox.setFlags([uid], '=', ['\\Answered', '$Forwarded']);
        expect(sorted(meta!.flags)).toEqual(sorted(['\\Answered', '$Forwarded']));
        expect(sorted(inbox.messages()[0]!.flags)).toEqual(sorted(['\\Answered', '$Forwarded']));
        const other = await folder();
        expect(sorted(other.messages()[0]!.flags)).toEqual(sorted(['\\Answered', '$Forwarded']));
        expect(await inbox.setFlags([uid + 50], '+', ['\\Seen'])).toEqual([]);
      });

      it('expunges the \\Deleted messages, or the given ones', async () => {
        const inbox = await folder();
        const all = [];
        for (const n of [1, 2, 3, 4]) all.push((await inbox.append(mail(n))).uid);
        await inbox.setFlags([all[0]!, all[2]!], '+', ['\\Deleted']);
        expect(await inbox.expunge()).toEqual([all[0], all[2]]);
        expect(await inbox.expunge([all[3]!, 999])).toEqual([all[3]]);
        expect(uids(inbox)).toEqual([all[1]]);
      });

      it('summarises ENVELOPE and BODYSTRUCTURE', async () => {
        const inbox = await folder();
        const { uid } = await inbox.append(
          bufferBlob(
            'Subject: parts\r\nFrom: a@example.net\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n' +
              '--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>two</p>\r\n--b--\r\n',
          ),
        );
        const s = await inbox.summary(uid);
        expect(s.envelope).toMatchObject({ subject: 'parts', from: 'a@example.net' });
        expect(s.structure).toMatchObject({ type: 'multipart', subtype: 'mixed' });
        expect(s.structure.parts?.map((p) => p.subtype)).toEqual(['plain', 'html']);
      });
    });

    describe('copy and move', () => {
      it('copies with flags and date into new UIDs in order, and moves', async () => {
        const inbox = await folder();
        await store.createFolder(USER, 'Archive2');
        const archive = await folder('Archive2');
        await archive.append(mail('there'));
        const date = new Date('2023-01-02T03:04:05Z');
        const src = [];
        for (const n of [1, 2, 3]) src.push((await inbox.append(mail(n), { internalDate: date })).uid);
        await inbox.setFlags([src[1]!], '+', ['\\Seen', 'Work']);
        const pairs = await inbox.copy([src[2]!, src[1]!, 12345], archive);
        expect(pairs.map(([s]) => s)).toEqual([src[1], src[2]]);
        expect(pairs[1]![1]).toBeGreaterThan(pairs[0]![1]);
        await archive.refresh();
        const copied = archive.messages().find((m) => m.uid === pairs[0]![1])!;
        expect(sorted(copied.flags)).toEqual(sorted(['\\Seen', 'Work']));
        expect(copied.internalDate).toEqual(date);
        expect(await text(archive.read(pairs[1]![1]))).toBe(await text(inbox.read(src[2]!)));
        const moved = await inbox.move([src[0]!], archive);
        expect(moved.map(([s]) => s)).toEqual([src[0]]);
        expect(uids(inbox)).toEqual([src[1], src[2]]);
        await archive.refresh();
        expect(archive.messages()).toHaveLength(4);
      });
    });

    describe('sessions', () => {
      it("reports another session's appends, flag changes and expunges in order, modseq growing", async () => {
        const a = await folder();
        const b = await folder();
        const seen: FolderChange[] = [];
        const { uid } = await a.append(mail(1));
        const appended = await b.refresh();
        expect(appended).toEqual([expect.objectContaining({ kind: 'append', uids: [uid] })]);
        seen.push(...appended);
        await a.setFlags([uid], '+', ['\\Seen']);
        const flagged = await b.refresh();
        expect(flagged).toEqual([expect.objectContaining({ kind: 'flags', uid, flags: ['\\Seen'] })]);
        seen.push(...flagged);
        await a.expunge([uid]);
        const expunged = await b.refresh();
        expect(expunged).toEqual([expect.objectContaining({ kind: 'expunge', uids: [uid] })]);
        seen.push(...expunged);
        for (let i = 1; i < seen.length; i++) expect(seen[i]!.modseq).toBeGreaterThan(seen[i - 1]!.modseq);
        expect(b.highestModseq).toBeGreaterThanOrEqual(seen.at(-1)!.modseq);
        expect(await b.refresh()).toEqual([]);
        expect(b.messages()).toEqual([]);
      });

      it("wakes a watcher on another session's change", async () => {
        const a = await folder();
        const b = await folder();
        const woke = new Promise<void>((resolve) => b.watch(resolve));
        const { uid } = await a.append(mail(1));
        await woke;
        await b.refresh();
        expect(uids(b)).toEqual([uid]);
      });

      it('a message another session expunged fails with not-found when read', async () => {
        const a = await folder();
        const { uid } = await a.append(mail(1));
        const b = await folder();
        await a.expunge([uid]);
        expect(await refusalOf(text(b.read(uid)))).toBe('not-found');
      });

      it('a session holding a folder another deleted sees it empty, or is told not-found', async () => {
        await store.createFolder(USER, 'Doomed');
        await store.deliver(USER, mail(1), { folder: 'Doomed' });
        const held = await folder('Doomed');
        await store.deleteFolder(USER, 'Doomed');
        const outcome = await refusalOf(held.refresh());
        expect(['resolved', 'not-found']).toContain(outcome);
        if (outcome === 'resolved') expect(held.messages()).toEqual([]);
      });

      it('gives each \\Recent message to exactly one session', async () => {
        const delivered = [
          (await store.deliver(USER, mail(1))).uid,
          (await store.deliver(USER, mail(2))).uid,
        ];
        const a = await folder();
        const b = await folder();
        expect(a.unclaimedRecent?.() ?? 2).toBe(2);
        const [x, y] = await Promise.all([a.claimRecent(), b.claimRecent()]);
        expect([...x, ...y].sort((p, q) => p - q)).toEqual(delivered);
        expect(await a.claimRecent()).toEqual([]);
        await b.refresh();
        expect(b.unclaimedRecent?.() ?? 0).toBe(0);
        // Stored with flags: nobody's \Recent unless asked for (IMAP APPEND).
        await a.append(mail(3), { flags: ['\\Seen'] });
        const asked = await a.append(mail(4), { flags: ['\\Seen'], recent: true });
        expect(await b.claimRecent()).toEqual([asked.uid]);
      });

      it('delivers into INBOX, into a named folder, and into INBOX when the folder is missing', async () => {
        await store.createFolder(USER, 'Lists');
        const one = await store.deliver(USER, mail(1));
        const two = await store.deliver(USER, mail(2), { folder: 'Lists', flags: ['\\Flagged'] });
        const three = await store.deliver(USER, mail(3), { folder: 'Missing' });
        expect([one.folder, two.folder, three.folder]).toEqual(['INBOX', 'Lists', 'INBOX']);
        expect(uids(await folder())).toEqual([one.uid, three.uid]);
        expect((await folder('Lists')).messages()).toEqual([
          expect.objectContaining({ uid: two.uid, flags: ['\\Flagged'] }),
        ]);
      });

      it('locks the maildrop for one session at a time', async () => {
        if (!store.lockMaildrop) return;
        const release = await store.lockMaildrop(USER);
        expect(release).toBeTypeOf('function');
        expect(await store.lockMaildrop(USER)).toBeNull();
        await release!();
        const again = await store.lockMaildrop(USER);
        expect(again).toBeTypeOf('function');
        await again!();
      });
    });

    describe('index: modseq, changes since, caches', () => {
      const modseqOf = (f: Folder, uid: number) => f.messages().find((m) => m.uid === uid)!.modseq;

      it('gives every change a modseq that strictly grows, kept per message', async () => {
        const inbox = await folder();
        const start = inbox.highestModseq;
        const [a, b, c] = [
          (await inbox.append(mail(1))).uid,
          (await inbox.append(mail(2))).uid,
          (await inbox.append(mail(3))).uid,
        ];
        const [ma, mb, mc] = [modseqOf(inbox, a), modseqOf(inbox, b), modseqOf(inbox, c)];
        expect(start < ma && ma < mb && mb < mc).toBe(true);
        expect(inbox.highestModseq).toBe(mc);
        const [flagged] = await inbox.setFlags([b], '+', ['\\Seen']);
        expect(flagged!.modseq).toBeGreaterThan(mc);
        expect(inbox.highestModseq).toBe(flagged!.modseq);
        expect([modseqOf(inbox, a), modseqOf(inbox, b), modseqOf(inbox, c)]).toEqual([
          ma,
          flagged!.modseq,
          mc,
        ]);
        // Setting what is already set changes nothing.
        await inbox.setFlags([b], '+', ['\\Seen']);
        expect(inbox.highestModseq).toBe(flagged!.modseq);
        await inbox.expunge([a]);
        expect(inbox.highestModseq).toBeGreaterThan(flagged!.modseq);
      });

      it('keeps modseqs, flags and the highest modseq across a restart', async () => {
        const inbox = await folder();
        const { uid } = await inbox.append(mail(1));
        await inbox.setFlags([uid], '+', ['\\Flagged', 'Work']);
        const before = inbox.messages().map((m) => ({ ...m, flags: sorted(m.flags) }));
        const highest = inbox.highestModseq;
        await inbox.close();
        const other = await fx.reopen();
        const again = await folder('INBOX', other);
        expect(again.highestModseq).toBe(highest);
        expect(again.messages().map((m) => ({ ...m, flags: sorted(m.flags) }))).toEqual(before);
        const [changed] = await again.setFlags([uid], '-', ['Work']);
        expect(changed!.modseq).toBeGreaterThan(highest);
      });

      it('answers changesSince with appends, flag changes and expunges, between handles and stores', async () => {
        const a = await folder();
        const keep = (await a.append(mail(1))).uid;
        const doomed = (await a.append(mail(2))).uid;
        const b = await folder();
        const stores = [store, await fx.reopen()];
        const c = await folder('INBOX', stores.at(-1));
        const since = b.highestModseq;
        expect(c.highestModseq).toBe(since);
        expect(b.changesSince(since)).toEqual({ changed: [], expunged: [] });
        const added = (await a.append(mail(3))).uid;
        await a.setFlags([keep], '+', ['\\Answered']);
        await a.expunge([doomed]);
        for (const f of [b, c]) {
          await f.refresh();
          const delta = f.changesSince(since)!;
          expect(delta.changed.map((m) => m.uid)).toEqual([keep, added]);
          expect(delta.changed[0]!.flags).toEqual(['\\Answered']);
          expect(delta.expunged).toEqual([doomed]);
          for (const m of delta.changed) expect(m.modseq).toBeGreaterThan(since);
          expect(f.highestModseq).toBe(a.highestModseq);
          expect(f.changesSince(f.highestModseq)).toEqual({ changed: [], expunged: [] });
        }
        // From the other side: what c does, a reads.
        await c.setFlags([added], '+', ['\\Seen']);
        const mark = a.highestModseq;
        await a.refresh();
        expect(a.changesSince(mark)!.changed.map((m) => [m.uid, m.flags])).toEqual([[added, ['\\Seen']]]);
      });

      it('lists every keyword the folder defined, in use or not', async () => {
        const inbox = await folder();
        const { uid } = await inbox.append(mail(1));
        await inbox.setFlags([uid], '+', ['$Forwarded', 'Work']);
        await inbox.setFlags([uid], '-', ['Work']);
        expect(sorted(inbox.keywords())).toEqual(sorted(['$Forwarded', 'Work']));
        expect(inbox.keywords()).not.toContain('\\Seen');
      });

      it('builds the ENVELOPE fields from the header alone', async () => {
        const inbox = await folder();
        const { uid } = await inbox.append(
          bufferBlob(
            'Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nFrom: "Bob" <bob@example.net>\r\nTo: alice@example.test\r\n' +
              'Cc: carol@example.org\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nMessage-ID: <m1@example.net>\r\n' +
              'In-Reply-To: <m0@example.net>\r\n\r\nFrom: not@a.header\r\n',
          ),
        );
        const env = await inbox.envelope(uid);
        expect(env).toMatchObject({
          date: 'Mon, 1 Jan 2024 10:00:00 +0000',
          from: '"Bob" <bob@example.net>',
          to: 'alice@example.test',
          cc: 'carol@example.org',
          subject: '=?utf-8?q?caf=C3=A9?=',
          messageId: '<m1@example.net>',
          inReplyTo: '<m0@example.net>',
        });
        expect(env).toEqual((await inbox.summary(uid)).envelope);
        expect(await refusalOf(inbox.envelope(uid + 100))).toBe('not-found');
      });

      it('keeps cached texts across a restart and drops them with the message', async () => {
        const inbox = await folder();
        const { uid } = await inbox.append(mail(1));
        const other = (await inbox.append(mail(2))).uid;
        expect(inbox.cachedText(uid, 'envelope')).toBeUndefined();
        inbox.cacheText(uid, 'envelope', '("date" "subject")');
        inbox.cacheText(other, 'envelope', 'other');
        expect(inbox.cachedText(uid, 'envelope')).toBe('("date" "subject")');
        expect(inbox.cachedText(uid, 'bodystructure')).toBeUndefined();
        await inbox.close();
        const reopened = await folder('INBOX', await fx.reopen());
        expect(reopened.cachedText(uid, 'envelope')).toBe('("date" "subject")');
        await reopened.expunge([uid]);
        expect(reopened.cachedText(uid, 'envelope')).toBeUndefined();
        expect(reopened.cachedText(other, 'envelope')).toBe('other');
        await reopened.close();
        const last = await folder('INBOX', await fx.reopen());
        expect(last.cachedText(uid, 'envelope')).toBeUndefined();
        expect(last.cachedText(other, 'envelope')).toBe('other');
      });

      it('returns the same messages() array while nothing changes, a new one after', async () => {
        const a = await folder();
        await a.append(mail(1));
        const b = await folder();
        const list = b.messages();
        expect(b.messages()).toBe(list);
        expect(await b.refresh()).toEqual([]);
        expect(b.messages()).toBe(list);
        await a.append(mail(2));
        await b.refresh();
        const next = b.messages();
        expect(next).not.toBe(list);
        expect(next).toHaveLength(2);
        expect(list).toHaveLength(1); // a kept array never changes under its holder
      });
    });

    describe('quota', () => {
      it('refuses over-quota on deliver, append and copy, and reports usage', async () => {
        if (!fx.setQuota) return;
        await fx.setQuota(USER, { limitMessages: 2 });
        await store.deliver(USER, mail(1));
        await store.deliver(USER, mail(2));
        expect(await refusalOf(store.deliver(USER, mail(3)))).toBe('over-quota');
        const inbox = await folder();
        expect(await refusalOf(inbox.append(mail(4)))).toBe('over-quota');
        await store.createFolder(USER, 'Copies');
        expect(await refusalOf(inbox.copy(uids(inbox), await folder('Copies')))).toBe('over-quota');
        expect(await store.quota(USER)).toMatchObject({ usedMessages: 2, limitMessages: 2 });
        await fx.setQuota(USER, { limitBytes: 10_000 });
        expect(await refusalOf(store.deliver(USER, mail(5, 'x'.repeat(20_000))))).toBe('over-quota');
      });
    });
  });
}
