/**
 * The MDA and the IMAP server on a tmpfs that fills up (issue 11, item 5): a delivery the
 * disk cannot hold is refused with 452 4.3.1 and leaves nothing (no truncated message that
 * later gets a UID, no tmp file); on the full disk users can still SELECT, FETCH, STORE
 * \Deleted and EXPUNGE to make room; APPEND, CREATE and COPY answer NO [OVERQUOTA] and leave
 * nothing behind.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runPython } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { imapSession, lmtpSend } from './disk-clients.ts';
import { type DiskHost, filesIn, startDiskHost, UNSHARE_FLAGS } from './disk-host.ts';

const USER = 'alice@example.test';
const KB = 1024;

describe.skipIf(UNSHARE_FLAGS === null)('agents on a full disk', () => {
  let host: DiskHost | undefined;
  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  it('an LMTP delivery the disk cannot hold gets 452 4.3.1 and leaves no trace; the retry is the only copy', async () => {
    host = await startDiskHost({ sizeBytes: 4096 * KB, users: [USER], agents: ['mda', 'imap'] });
    expect(await lmtpSend(host.ports.mda, USER, 10 * KB, 'first')).toMatchObject({ code: 250 });
    await host.leaveFree(600 * KB);

    const refused = await lmtpSend(host.ports.mda, USER, 1024 * KB, 'big');
    expect(refused.code).toBe(452);
    expect(refused.text).toMatch(/^4\.3\.1 /);
    const maildir = host.maildir(USER);
    expect(await filesIn(join(maildir, 'tmp'))).toEqual([]);
    expect(await filesIn(join(maildir, 'new'))).toHaveLength(1);

    // Still full: a session opens the box and sees only the first message, now and later.
    const whileFull = await imapSession(host.ports.imap, USER, [['SELECT', 'INBOX']]);
    expect(whileFull).toEqual([expect.objectContaining({ status: 'OK', text: '1' })]);

    await host.unfill();
    expect(await lmtpSend(host.ports.mda, USER, 1024 * KB, 'retry')).toMatchObject({ code: 250 });
    const after = await imapSession(host.ports.imap, USER, [
      ['SELECT', 'INBOX'],
      ['FETCH', '1:*', '(UID RFC822.SIZE)'],
    ]);
    expect(after[0]).toMatchObject({ status: 'OK', text: '2' });
    const sizes = [...after[1]!.text.matchAll(/RFC822\.SIZE (\d+)/g)].map((m) => Number(m[1]));
    expect(sizes).toHaveLength(2);
    expect(sizes[1]).toBeGreaterThan(1024 * KB);
  });

  it('on a full disk users can SELECT, FETCH, STORE \\Deleted and EXPUNGE, and then mail fits again', async () => {
    host = await startDiskHost({ sizeBytes: 4096 * KB, users: [USER], agents: ['mda', 'imap'] });
    for (const tag of ['a', 'b', 'c'])
      expect(await lmtpSend(host.ports.mda, USER, 400 * KB, tag)).toMatchObject({ code: 250 });
    // A message another program put into new/ that has no UID and no cache entry yet.
    await writeFile(
      join(host.maildir(USER), 'new', '1700000000.M1P1Q1.elsewhere'),
      'Subject: dropped in\n\nhello\n',
    );
    await host.leaveFree(0);

    const steps = await imapSession(host.ports.imap, USER, [
      ['SELECT', 'INBOX'],
      ['FETCH', '1:*', '(BODY.PEEK[])'],
      ['STORE', '1:2', '+FLAGS', '(\\Deleted)'],
      ['EXPUNGE'],
    ]);
    expect(steps.map((s) => [s.cmd, s.status])).toEqual([
      ['SELECT', 'OK'],
      ['FETCH', 'OK'],
      ['STORE', 'OK'],
      ['EXPUNGE', 'OK'],
    ]);
    expect(Number(steps[0]!.text)).toBeGreaterThanOrEqual(3);
    expect(steps[3]!.text.split(' ')).toHaveLength(2);
    expect(await host.free()).toBeGreaterThan(700 * KB);
    expect(await lmtpSend(host.ports.mda, USER, 200 * KB, 'fits')).toMatchObject({ code: 250 });
  });

  it('on a full disk POP3 users can log in, RETR and DELE to make room', async () => {
    host = await startDiskHost({ sizeBytes: 2048 * KB, users: [USER], agents: ['mda', 'pop3'] });
    for (const tag of ['a', 'b'])
      expect(await lmtpSend(host.ports.mda, USER, 400 * KB, tag)).toMatchObject({ code: 250 });
    await host.leaveFree(0);
    const script = `
import poplib, sys
c = poplib.POP3('127.0.0.1', int(sys.argv[1]))
c.user('${USER}')
c.pass_('secret')
print('STAT', c.stat()[0])
print('RETR', len(b''.join(c.retr(1)[1])) > 300000)
print('DELE', c.dele(1).decode())
print('QUIT', c.quit().decode())
`;
    const r = await runPython(script, [host.ports.pop3]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^STAT 2\nRETR True\nDELE \+OK.*\nQUIT \+OK/);
    expect(await host.free()).toBeGreaterThan(300 * KB);
    expect(await lmtpSend(host.ports.mda, USER, 200 * KB, 'fits')).toMatchObject({ code: 250 });
  });

  it('APPEND, CREATE and COPY on a full disk answer NO [OVERQUOTA] and leave nothing behind', async () => {
    host = await startDiskHost({ sizeBytes: 2048 * KB, users: [USER], agents: ['mda', 'imap'] });
    expect(await lmtpSend(host.ports.mda, USER, 10 * KB, 'first')).toMatchObject({ code: 250 });
    expect(await imapSession(host.ports.imap, USER, [['CREATE', 'Box']])).toEqual([
      expect.objectContaining({ status: 'OK' }),
    ]);
    const maildir = host.maildir(USER);
    const before = (await readdir(maildir)).sort();
    await host.leaveFree(100 * KB);

    const steps = await imapSession(host.ports.imap, USER, [['APPEND', 'INBOX', 300 * KB]]);
    expect(steps[0]).toMatchObject({ status: 'NO', text: expect.stringContaining('[OVERQUOTA]') });
    await host.leaveFree(0);
    const create = await imapSession(host.ports.imap, USER, [
      ['CREATE', 'Projects/Later'],
      ['LIST', '""', '*'],
      ['SELECT', 'INBOX'],
      ['COPY', '1', 'Box'],
    ]);
    expect(create[0]).toMatchObject({ status: 'NO', text: expect.stringContaining('[OVERQUOTA]') });
    expect(create[1]!.text).not.toContain('Projects');
    expect(create[3]).toMatchObject({ status: 'NO', text: expect.stringContaining('[OVERQUOTA]') });
    expect(await filesIn(join(maildir, '.Box', 'cur'))).toEqual([]);
    expect((await readdir(maildir)).sort()).toEqual(before);
    expect(await filesIn(join(maildir, 'tmp'))).toEqual([]);
    // The first message (SELECT moved it from new/ to cur/) and nothing else.
    expect([...(await filesIn(join(maildir, 'new'))), ...(await filesIn(join(maildir, 'cur')))]).toHaveLength(
      1,
    );
  });
});
