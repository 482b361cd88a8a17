/**
 * Our Maildir++ store and Dovecot 2.3 read each other's mailboxes: same messages, flags,
 * keywords, folder names (modified UTF-7 on disk), UIDs and UIDVALIDITY.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bufferBlob, readAll } from '@mailstack/core';
import { createMaildirStore } from '@mailstack/maildir';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/daemon.ts';
import { type DovecotInstance, startDovecot } from '../helpers/dovecot.ts';
import { imapUidCommands } from '../helpers/imap.ts';
import { runOk } from '../helpers/run.ts';

const USER = 'alice@example.test';
const PASSWORD = 'secret';
const SUBFOLDER = 'Entwürfe/Unterordner';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dovecotOn(mailRoot?: string): Promise<DovecotInstance> {
  const dovecot = await startDovecot({
    users: { [USER]: PASSWORD },
    ...(mailRoot === undefined ? {} : { mailRoot }),
  });
  cleanups.push(() => dovecot.stop());
  return dovecot;
}

/** Both sides compared in one line-end form: doveadm prints LF, our store reads CRLF. */
function lf(text: string): string {
  return text.replace(/\r\n/g, '\n');
}

function message(n: number, extra = ''): string {
  return (
    `From: Sender ${n} <sender${n}@example.org>\r\nTo: ${USER}\r\nSubject: message ${n}\r\n` +
    `Message-ID: <m${n}@example.org>\r\nDate: Mon, 23 Nov 2026 08:0${n}:00 +0000\r\n\r\n` +
    `Body of message ${n}.\r\n${extra}.leading dot line\r\n`
  );
}

describe('a mailbox written by @mailstack/maildir, read by Dovecot', () => {
  it('has the same messages, flags, keywords, folders, UIDs and UIDVALIDITY', async () => {
    const tmp = makeTempDir('maildir-ours');
    cleanups.push(() => tmp.remove());
    const store = createMaildirStore({ root: tmp.path });

    const uids: number[] = [];
    for (let n = 1; n <= 5; n++) {
      const extra = n === 2 ? `${'x'.repeat(2000)}\r\nGrüße in UTF-8\r\n` : '';
      uids.push((await store.deliver(USER, bufferBlob(message(n, extra)))).uid);
    }
    const [u1, u2, u3, u4, u5] = uids as [number, number, number, number, number];
    const inbox = await store.openFolder(USER, 'INBOX');
    await inbox.setFlags([u1], '+', ['\\Seen', '$Forwarded']);
    await inbox.setFlags([u2], '+', ['\\Flagged', 'Work']);
    await inbox.setFlags([u4], '+', ['\\Answered', '\\Seen', '\\Draft', 'Work']);
    // A middle one and the last one go, so Dovecot must take UIDNEXT from the header.
    await inbox.expunge([u3, u5]);
    // \Deleted but not expunged: every system flag's letter (S F R D T) crosses over.
    await inbox.setFlags([u1], '+', ['\\Deleted']);
    await store.createFolder(USER, 'Entwürfe');
    await store.createFolder(USER, SUBFOLDER);
    const inSub = await store.deliver(USER, bufferBlob(message(6)), { folder: SUBFOLDER, flags: ['\\Seen'] });
    await inbox.refresh();

    const ours = inbox.messages().map((m) => ({ uid: m.uid, flags: [...m.flags].sort(), size: m.size }));
    const ourBodies = new Map<number, string>();
    for (const m of ours) ourBodies.set(m.uid, (await readAll(inbox.read(m.uid))).toString('utf8'));
    const ourFolders = (await store.listFolders(USER)).map((f) => f.name);
    expect(ours.map((m) => m.uid)).toEqual([u1, u2, u4]);

    const dovecot = await dovecotOn(tmp.path);
    const status = await dovecot.status(USER, 'INBOX');
    expect(status.uidValidity).toBe(inbox.uidValidity);
    expect(status.uidNext).toBe(inbox.uidNext);
    expect(status.messages).toBe(3);

    const theirs = await dovecot.fetch(USER, 'INBOX');
    expect(theirs.map((m) => ({ uid: m.uid, flags: m.flags, size: m.virtualSize }))).toEqual(ours);
    for (const m of theirs) expect(m.text).toBe(lf(ourBodies.get(m.uid) ?? ''));
    for (const m of inbox.messages()) {
      const seen = theirs.find((t) => t.uid === m.uid);
      expect(seen?.receivedUnix).toBe(Math.floor(m.internalDate.getTime() / 1000));
    }

    const dovecotFolders = await dovecot.listMailboxes(USER);
    expect(dovecotFolders).toEqual(expect.arrayContaining(['INBOX', 'Entwürfe', SUBFOLDER]));
    expect(ourFolders).toEqual(expect.arrayContaining(dovecotFolders));

    const sub = await store.openFolder(USER, SUBFOLDER);
    dovecot.chownMail();
    const subStatus = await dovecot.status(USER, SUBFOLDER);
    expect(subStatus.uidValidity).toBe(sub.uidValidity);
    const subMessages = await dovecot.fetch(USER, SUBFOLDER);
    expect(subMessages.map((m) => ({ uid: m.uid, flags: m.flags }))).toEqual([
      { uid: inSub.uid, flags: ['\\Seen'] },
    ]);
    expect(subMessages[0]?.text).toBe(lf(message(6)));

    // An IMAP client sees the keywords as FLAGS too (Dovecot maps our dovecot-keywords letters).
    const [fetched] = await imapUidCommands(dovecot.ports.imap, USER, PASSWORD, 'INBOX', [
      ['FETCH', `${u2}`, '(FLAGS)'],
    ]);
    expect(fetched?.data.join(' ')).toMatch(/Work/);
  });
});

describe('a mailbox written by Dovecot, read by @mailstack/maildir', () => {
  it("has Dovecot's UIDs, UIDVALIDITY, flags, keywords, folders and bodies", async () => {
    const dovecot = await dovecotOn();
    for (let n = 1; n <= 4; n++) {
      const eml = join(dovecot.dir, `m${n}.eml`);
      writeFileSync(eml, message(n));
      await runOk('swaks', [
        '--protocol',
        'LMTP',
        '--server',
        `127.0.0.1:${dovecot.ports.lmtp}`,
        '--from',
        `sender${n}@example.org`,
        '--to',
        USER,
        '--data',
        `@${eml}`,
      ]);
    }
    // Flags set while the file is still in new/ (doveadm) ...
    await dovecot.doveadmRaw([
      'flags',
      'add',
      '-u',
      USER,
      '\\Seen $Forwarded',
      'mailbox',
      'INBOX',
      'uid',
      '1',
    ]);
    await dovecot.doveadmRaw(['mailbox', 'create', '-u', USER, SUBFOLDER]);
    await dovecot.doveadmRaw(['save', '-u', USER, '-m', SUBFOLDER], message(7).replace(/\r\n/g, '\n'));

    const store = createMaildirStore({ root: dovecot.mailRoot });
    const expectSameAsDovecot = async () => {
      const inbox = await store.openFolder(USER, 'INBOX');
      await inbox.refresh();
      const status = await dovecot.status(USER, 'INBOX');
      expect(inbox.uidValidity).toBe(status.uidValidity);
      expect(inbox.uidNext).toBe(status.uidNext);
      const theirs = await dovecot.fetch(USER, 'INBOX');
      expect(inbox.messages().map((m) => ({ uid: m.uid, flags: [...m.flags].sort(), size: m.size }))).toEqual(
        theirs.map((m) => ({ uid: m.uid, flags: m.flags, size: m.virtualSize })),
      );
      for (const m of theirs) {
        expect(lf((await readAll(inbox.read(m.uid))).toString('utf8'))).toBe(m.text);
      }
      expect(inbox.messages().map((m) => Math.floor(m.internalDate.getTime() / 1000))).toEqual(
        theirs.map((m) => m.receivedUnix),
      );
      await inbox.close();
      // Whatever our (root) process wrote must stay usable by Dovecot's mail user.
      dovecot.chownMail();
      return theirs;
    };
    const first = await expectSameAsDovecot();
    expect(first.map((m) => m.uid)).toEqual([1, 2, 3, 4]);
    expect(first[0]?.flags).toEqual(['$Forwarded', '\\Seen']);

    // ... and through IMAP, which moves new/ to cur/, adds a keyword and expunges one.
    const replies = await imapUidCommands(dovecot.ports.imap, USER, PASSWORD, 'INBOX', [
      ['STORE', '2', '+FLAGS', '(\\Flagged Work)'],
      ['STORE', '3', '+FLAGS', '(\\Deleted)'],
      ['EXPUNGE'],
      ['STORE', '4', '+FLAGS', '(\\Answered $Label1 Work)'],
    ]);
    expect(replies.map((r) => r.typ)).toEqual(['OK', 'OK', 'OK', 'OK']);
    const second = await expectSameAsDovecot();
    expect(second.map((m) => [m.uid, m.flags])).toEqual([
      [1, ['$Forwarded', '\\Seen']],
      [2, ['Work', '\\Flagged']],
      [4, ['$Label1', 'Work', '\\Answered']],
    ]);

    const folders = (await store.listFolders(USER)).map((f) => f.name);
    expect(folders).toEqual(expect.arrayContaining(['INBOX', SUBFOLDER]));
    const sub = await store.openFolder(USER, SUBFOLDER);
    dovecot.chownMail();
    const subStatus = await dovecot.status(USER, SUBFOLDER);
    expect(sub.uidValidity).toBe(subStatus.uidValidity);
    expect(sub.messages().map((m) => m.uid)).toEqual([1]);
    expect(lf((await readAll(sub.read(1))).toString('utf8'))).toBe(lf(message(7)));
    await sub.close();
  });
});

describe('@mailstack/maildir and Dovecot taking turns on one mailbox', () => {
  it('keeps one UID sequence, shares keywords, subscriptions and the maildirsize quota', async () => {
    const tmp = makeTempDir('maildir-shared');
    cleanups.push(() => tmp.remove());
    const limits = { storageBytes: 10 * 1024 * 1024, messages: 1000 };
    const store = createMaildirStore({
      root: tmp.path,
      quota: async () => ({ limitBytes: limits.storageBytes, limitMessages: limits.messages }),
    });
    expect((await store.deliver(USER, bufferBlob(message(1)))).uid).toBe(1);
    expect((await store.deliver(USER, bufferBlob(message(2)))).uid).toBe(2);
    await store.createFolder(USER, 'Entwürfe');
    await store.createFolder(USER, SUBFOLDER);
    await store.setSubscribed(USER, SUBFOLDER, true);

    const dovecot = await startDovecot({ users: { [USER]: PASSWORD }, mailRoot: tmp.path, quota: limits });
    cleanups.push(() => dovecot.stop());
    const eml = join(dovecot.dir, 'm3.eml');
    writeFileSync(eml, message(3));
    await runOk('swaks', [
      '--protocol',
      'LMTP',
      '--server',
      `127.0.0.1:${dovecot.ports.lmtp}`,
      '--to',
      USER,
      '--data',
      `@${eml}`,
    ]);
    await imapUidCommands(dovecot.ports.imap, USER, PASSWORD, 'INBOX', [
      ['STORE', '1', '+FLAGS', '(\\Seen $Label1)'],
    ]);
    await dovecot.doveadmRaw(['mailbox', 'create', '-s', '-u', USER, 'Other']);
    expect((await dovecot.fetch(USER, 'INBOX')).map((m) => m.uid)).toEqual([1, 2, 3]);

    // Our turn: the next UID follows Dovecot's, its keyword reads back, ours add to its file.
    expect((await store.deliver(USER, bufferBlob(message(4)))).uid).toBe(4);
    const inbox = await store.openFolder(USER, 'INBOX');
    await inbox.refresh();
    expect(inbox.messages().map((m) => [m.uid, [...m.flags].sort()])).toEqual([
      [1, ['$Label1', '\\Seen']],
      [2, []],
      [3, []],
      [4, []],
    ]);
    await inbox.setFlags([3], '+', ['\\Flagged', 'Work']);
    await inbox.expunge([2]);
    const subscribed = (await store.listFolders(USER)).filter((f) => f.subscribed).map((f) => f.name);
    expect(subscribed).toEqual(expect.arrayContaining([SUBFOLDER, 'Other']));
    const quota = await store.quota(USER);
    await inbox.close();
    const sub = await store.openFolder(USER, SUBFOLDER);
    const subValidity = sub.uidValidity;
    await sub.close();
    await store.renameFolder(USER, 'Entwürfe', 'Vorlagen');
    dovecot.chownMail();

    const theirs = await dovecot.fetch(USER, 'INBOX');
    expect(theirs.map((m) => [m.uid, m.flags])).toEqual([
      [1, ['$Label1', '\\Seen']],
      [3, ['Work', '\\Flagged']],
      [4, []],
    ]);
    expect((await dovecot.status(USER, 'INBOX')).uidNext).toBe(5);
    // A rename moves the children along and keeps their UIDVALIDITY (as Dovecot's own does).
    const folders = await dovecot.listMailboxes(USER);
    expect(folders).toEqual(expect.arrayContaining(['Vorlagen', 'Vorlagen/Unterordner']));
    expect(folders).not.toContain(SUBFOLDER);
    expect((await dovecot.status(USER, 'Vorlagen/Unterordner')).uidValidity).toBe(subValidity);
    const dovecotSubscribed = (await dovecot.doveadm(['mailbox', 'list', '-s', '-u', USER])) as Array<{
      mailbox: string;
    }>;
    expect(dovecotSubscribed.map((r) => r.mailbox)).toEqual(
      expect.arrayContaining(['Vorlagen/Unterordner', 'Other']),
    );

    // Dovecot reports quota use in KiB, rounded up, and counts; both read the same maildirsize.
    const rows = (await dovecot.doveadm(['quota', 'get', '-u', USER])) as Array<Record<string, string>>;
    const storage = rows.find((r) => r.type === 'STORAGE');
    const count = rows.find((r) => r.type === 'MESSAGE');
    expect(Number(count?.value)).toBe(quota.usedMessages);
    expect(Number(storage?.value)).toBe(Math.ceil(quota.usedBytes / 1024));
    expect(Number(storage?.limit)).toBe(limits.storageBytes / 1024);
    expect(quota.usedMessages).toBe(3);
  });
});
