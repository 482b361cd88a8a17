/**
 * Symbolic links inside a user's Maildir are never followed (issue 11, item 9): a folder
 * directory or a message file linked into another user's Maildir shows nothing of that
 * user's mail, over IMAP (imaplib) and POP3 (poplib).
 */
import { readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { bufferBlob } from '@mailstack/core';
import { runPython } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness as startImap } from '../../packages/imap/test/fixtures.ts';
import { startHarness as startPop3 } from '../../packages/pop3/test/fixtures.ts';

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';
const SECRET = 'bob-secret-token';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const maildirOf = (root: string, user: string) => {
  const [local, domain] = user.split('@') as [string, string];
  return join(root, domain, local, 'Maildir');
};

/** Alice has one message of her own; two links in her Maildir lead into Bob's. */
async function plantLinks(
  root: string,
  store: {
    deliver: (u: string, b: ReturnType<typeof bufferBlob>, o?: { folder?: string }) => Promise<unknown>;
  },
  createBobFolder: () => Promise<void>,
) {
  await store.deliver(ALICE, bufferBlob('Subject: mine\r\n\r\nalice own mail\r\n'));
  await createBobFolder();
  await store.deliver(BOB, bufferBlob(`Subject: private\r\n\r\n${SECRET}\r\n`));
  await store.deliver(BOB, bufferBlob(`Subject: private too\r\n\r\n${SECRET}\r\n`), { folder: 'Secret' });
  const alice = maildirOf(root, ALICE);
  const bob = maildirOf(root, BOB);
  // A folder of Alice's that is Bob's folder, and a message file of Alice's that is Bob's message.
  await symlink(join(bob, '.Secret'), join(alice, '.Stolen'));
  const bobFile = (await readdir(join(bob, 'new'))).concat(await readdir(join(bob, 'cur')))[0]!;
  const bobPath = join(bob, (await readdir(join(bob, 'new'))).includes(bobFile) ? 'new' : 'cur', bobFile);
  await symlink(bobPath, join(alice, 'cur', '1700000000.M1P1Q1.planted:2,S'));
}

describe('symbolic links in a Maildir', () => {
  it('IMAP: a linked folder cannot be selected and a linked message is not listed', async () => {
    const h = await startImap({ backend: 'maildir' });
    closers.push(() => h.close());
    await plantLinks(h.dir!.path, h.store, () => h.store.createFolder(BOB, 'Secret'));
    const script = `
import imaplib, sys
c = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
c.login('${ALICE}', 'alice-pw')
print('LIST', c.list()[1])
print('STOLEN', c.select('Stolen')[0])
typ, data = c.select('INBOX')
print('INBOX', typ, data)
typ, data = c.fetch('1:*', '(BODY.PEEK[])')
print('BODIES', data)
c.logout()
`;
    const r = await runPython(script, [h.port]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('STOLEN NO');
    expect(r.stdout).toMatch(/INBOX OK \[b'1'\]/);
    expect(r.stdout).not.toContain('Stolen');
    expect(r.stdout).not.toContain(SECRET);
  });

  it('POP3: the maildrop counts and retrieves only the user own files', async () => {
    const h = await startPop3({ backend: 'maildir' });
    closers.push(() => h.close());
    await plantLinks(h.dir!.path, h.store, () => h.store.createFolder(BOB, 'Secret'));
    const script = `
import poplib, sys
c = poplib.POP3('127.0.0.1', int(sys.argv[1]))
c.user('${ALICE}')
c.pass_('alice-pw')
count, size = c.stat()
print('STAT', count)
for i in range(1, count + 1):
    print('RETR', b'\\n'.join(c.retr(i)[1]).decode())
c.quit()
`;
    const r = await runPython(script, [h.port]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('STAT 1');
    expect(r.stdout).toContain('alice own mail');
    expect(r.stdout).not.toContain(SECRET);
  });
});
