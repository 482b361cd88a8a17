/**
 * Debian's mutt reads a mailbox on our IMAP server (`mailstack imap` spawned over a
 * temp Maildir root, implicit TLS with a fresh self-signed certificate mutt trusts through
 * `certificate_file`) and moves a message to another folder, non-interactively:
 *
 *   script -qec "mutt -n -F muttrc -d 2 -f imaps://localhost:<port>/INBOX -e 'push \"...\"'" /dev/null
 *
 * (test/helpers/imap-mutt.ts: mutt needs a terminal, `script` gives it a pseudo-terminal; the
 * pushed keys search a message and display it, tag another by subject, save it to =Archive,
 * sync and quit). Afterwards the store itself must show: the displayed message \Seen, the
 * moved one only in Archive (created by mutt), the third untouched.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bufferBlob, readAll } from '@mailstack/core';
import { createMaildirStore, type MaildirStore } from '@mailstack/maildir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/daemon.ts';
import { writeDirectoryFile } from '../helpers/directory-file.ts';
import { runMutt } from '../helpers/imap-mutt.ts';
import { type ImapServerProcess, startImapServer } from '../helpers/imap-server.ts';
import { requirePrograms } from '../helpers/programs.ts';
import { makeCertificate } from '../helpers/tls.ts';

const USER = 'reader@example.test';
const PASSWORD = 'mutt pass';

let tmp: ReturnType<typeof makeTempDir>;
let server: ImapServerProcess | undefined;
let store: MaildirStore;
let certPath = '';

const message = (subject: string, n: number) =>
  `From: Sender <sender@example.org>\r\nTo: ${USER}\r\nSubject: ${subject}\r\n` +
  `Message-ID: <mutt${n}@example.org>\r\nDate: Mon, 23 Nov 2026 11:0${n}:00 +0000\r\n\r\n` +
  `Body of ${subject}.\r\n`;

/** subject → sorted flags, straight from the store. */
async function folderState(folder: string): Promise<Map<string, string[]>> {
  const box = await store.openFolder(USER, folder);
  await box.refresh();
  const state = new Map<string, string[]>();
  for (const m of box.messages()) {
    const text = (await readAll(box.read(m.uid))).toString('utf8');
    state.set(/^Subject: (.*)$/m.exec(text)?.[1]?.trim() ?? `uid ${m.uid}`, [...m.flags].sort());
  }
  return state;
}

beforeAll(async () => {
  requirePrograms('mutt');
  tmp = makeTempDir('imap-mutt');
  const data = join(tmp.path, 'data');
  mkdirSync(data);
  certPath = (await makeCertificate(tmp.path)).certPath;
  const directory = join(tmp.path, 'directory.json');
  await writeDirectoryFile(directory, [USER], PASSWORD);
  store = createMaildirStore({ root: data });
  for (const [n, subject] of ['read-me', 'move-me', 'stay-here'].entries()) {
    await store.deliver(USER, bufferBlob(message(subject, n + 1)));
  }
  server = await startImapServer({ data, directory, cert: { certPath, keyPath: join(tmp.path, 'key.pem') } });
});

afterAll(async () => {
  await server?.stop();
  tmp?.remove();
});

describe('mutt against our IMAP server (implicit TLS)', () => {
  it('reads a message and moves another one to a new folder', async () => {
    const port = server?.tlsPort;
    if (port === undefined) throw new Error('no implicit-TLS port');
    const home = join(tmp.path, 'home');
    mkdirSync(home);
    const keys =
      '<search>~s read-me<enter><display-message><exit>' +
      '<tag-pattern>~s move-me<enter><tag-prefix><save-message>=Archive<enter>' +
      '<sync-mailbox><quit>';
    const run = await runMutt(home, { port, user: USER, password: PASSWORD, certPath }, keys);
    const context = `mutt exit ${run.code}\nscreen:\n${run.screen.slice(-3000)}\ndebug log (tail):\n${run.debugLog.slice(-4000)}\nserver:\n${server?.output()}`;
    expect(run.code, context).toBe(0);

    expect(await folderState('INBOX'), context).toEqual(
      new Map([
        ['read-me', ['\\Seen']],
        ['stay-here', []],
      ]),
    );
    expect(await folderState('Archive'), context).toEqual(new Map([['move-me', []]]));
    // What mutt 2.2 sent for it (its debug log): AUTHENTICATE PLAIN inside TLS, UID COPY (answered
    // NO [TRYCREATE], then CREATE and UID COPY again), UID STORE +FLAGS.SILENT (\Deleted), EXPUNGE.
    expect(run.debugLog, context).toMatch(/> a\d+ AUTHENTICATE PLAIN /);
    expect(run.debugLog, context).toMatch(/> a\d+ CREATE "Archive"/);
    expect(run.debugLog, context).toMatch(/> a\d+ UID COPY \d+ "Archive"/);
    expect(run.debugLog, context).toMatch(/> a\d+ EXPUNGE/);
  });
});
