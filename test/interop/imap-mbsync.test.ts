/**
 * Debian's isync (`mbsync`) keeps a local Maildir in sync with our IMAP server
 * (`mailstack imap` spawned over a temp Maildir root and directory file, a fresh
 * self-signed certificate that mbsync trusts as a host certificate), once over implicit TLS
 * and once with STARTTLS on the plain port (one user each):
 *   1. server → local: every message byte for byte (mbsync stores LF line ends and adds its
 *      X-TUID field), its flags as Maildir info letters;
 *   2. local → server: a message dropped into the local Maildir is APPENDed, a flag set
 *      locally is STOREd (checked in the store itself), a local folder is CREATEd;
 *   3. deletions both ways: a message expunged on the server disappears locally, a message
 *      deleted locally is expunged on the server;
 *   4. a second run with nothing changed changes nothing.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bufferBlob, readAll } from '@mailstack/core';
import { createMaildirStore, type MaildirStore } from '@mailstack/maildir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/daemon.ts';
import { writeDirectoryFile } from '../helpers/directory-file.ts';
import { Mbsync } from '../helpers/imap-mbsync.ts';
import { type ImapServerProcess, startImapServer } from '../helpers/imap-server.ts';
import { requirePrograms } from '../helpers/programs.ts';
import type { RunResult } from '../helpers/run.ts';
import { makeCertificate } from '../helpers/tls.ts';

const USERS = { IMAPS: 'syncer-imaps@example.test', STARTTLS: 'syncer-starttls@example.test' } as const;
const PASSWORD = 'sync pass';

let tmp: ReturnType<typeof makeTempDir>;
let server: ImapServerProcess | undefined;
let store: MaildirStore;
let certPath = '';
/** The user and the mbsync of the describe block running now. */
let user = '';
let mbsync: Mbsync;

const message = (n: number, extra = '') =>
  `From: Sender ${n} <sender${n}@example.org>\r\nTo: syncer@example.test\r\nSubject: sync ${n}\r\n` +
  `Message-ID: <sync${n}@example.org>\r\nDate: Mon, 23 Nov 2026 10:0${n}:00 +0000\r\n\r\n` +
  `Body of message ${n}.\r\n${extra}`;

const lf = (text: string | Buffer) => text.toString().replace(/\r\n/g, '\n');
/**
 * mbsync 1.4 writes an `X-TUID` header field into every message it copies (either way), its
 * own tag to find the copy again; the rest of the message must be as sent.
 */
const withoutTuid = (text: string) => text.replace(/^X-TUID: [^\n]*\n/m, '');

/** The server's view, straight from the store: subject → sorted flags. */
async function serverState(folder = 'INBOX'): Promise<Map<string, string[]>> {
  const box = await store.openFolder(user, folder);
  await box.refresh();
  const state = new Map<string, string[]>();
  for (const m of box.messages()) {
    const text = (await readAll(box.read(m.uid))).toString('utf8');
    const subject = /^Subject: (.*)$/m.exec(text)?.[1]?.trim() ?? `uid ${m.uid}`;
    state.set(subject, [...m.flags].sort());
  }
  return state;
}

/** The local view: subject → Maildir flag letters. */
function localState(folder = 'INBOX'): Map<string, string> {
  const state = new Map<string, string>();
  for (const m of mbsync.messages(folder)) {
    const subject = /^Subject: (.*)$/m.exec(m.body.toString('utf8'))?.[1]?.trim() ?? m.path;
    state.set(subject, m.flags);
  }
  return state;
}

async function syncOk(): Promise<RunResult> {
  const result = await mbsync.sync();
  expect(
    result.code,
    `mbsync failed:\n${result.stdout}\n${result.stderr}\nserver:\n${server?.output()}`,
  ).toBe(0);
  return result;
}

beforeAll(async () => {
  requirePrograms('mbsync');
  tmp = makeTempDir('imap-mbsync');
  const data = join(tmp.path, 'data');
  mkdirSync(data);
  const cert = await makeCertificate(tmp.path);
  certPath = cert.certPath;
  const directory = join(tmp.path, 'directory.json');
  await writeDirectoryFile(directory, Object.values(USERS), PASSWORD);
  store = createMaildirStore({ root: data });
  for (const u of Object.values(USERS)) await store.ensureUser(u);
  server = await startImapServer({ data, directory, cert });
});

afterAll(async () => {
  await server?.stop();
  tmp?.remove();
});

describe.each([
  ['implicit TLS', 'IMAPS'],
  ['STARTTLS', 'STARTTLS'],
] as const)('mbsync against our IMAP server (%s)', (_label, tls) => {
  beforeAll(() => {
    const port = tls === 'IMAPS' ? server?.tlsPort : server?.port;
    if (port === undefined) throw new Error('IMAP server not started');
    user = USERS[tls];
    mbsync = new Mbsync(join(tmp.path, `mbsync-${tls}`), { port, user, password: PASSWORD, certPath, tls });
  });

  it('server → local: every message and its flags', async () => {
    const inbox = await store.openFolder(user, 'INBOX');
    const uids: number[] = [];
    for (let n = 1; n <= 3; n++) {
      uids.push((await store.deliver(user, bufferBlob(message(n, n === 2 ? 'Grüße, UTF-8.\r\n' : '')))).uid);
    }
    await inbox.refresh();
    await inbox.setFlags([uids[0]!], '+', ['\\Seen']);
    await inbox.setFlags([uids[1]!], '+', ['\\Flagged', '\\Answered']);

    const result = await syncOk();
    expect(localState()).toEqual(
      new Map([
        ['sync 1', 'S'],
        ['sync 2', 'FR'],
        ['sync 3', ''],
      ]),
    );
    const bodies = mbsync
      .messages()
      .map((m) => withoutTuid(lf(m.body)))
      .sort();
    expect(bodies).toEqual([1, 2, 3].map((n) => lf(message(n, n === 2 ? 'Grüße, UTF-8.\r\n' : ''))).sort());
    // mbsync logged in inside TLS: the certificate was verified against the one we gave it.
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/certificate|SSL error/i);
  });

  it('local → server: a new local message, a local flag change and a new local folder', async () => {
    const local = localState();
    expect(local.size).toBe(3);
    mbsync.addMessage(lf(message(4)), 'S');
    const third = mbsync.messages().find((m) => m.body.toString().includes('Subject: sync 3'));
    if (third === undefined) throw new Error('sync 3 not local');
    mbsync.setFlags(third.path, 'F');
    mkdirSync(join(mbsync.maildir('Archive'), 'cur'), { recursive: true });
    mkdirSync(join(mbsync.maildir('Archive'), 'new'), { recursive: true });
    mkdirSync(join(mbsync.maildir('Archive'), 'tmp'), { recursive: true });
    mbsync.addMessage(lf(message(5)), 'RS', 'Archive');

    await syncOk();
    expect(await serverState()).toEqual(
      new Map([
        ['sync 1', ['\\Seen']],
        ['sync 2', ['\\Answered', '\\Flagged']],
        ['sync 3', ['\\Flagged']],
        ['sync 4', ['\\Seen']],
      ]),
    );
    expect(await serverState('Archive')).toEqual(new Map([['sync 5', ['\\Answered', '\\Seen']]]));
    // The appended message is the local one, CRLF on the server.
    const inbox = await store.openFolder(user, 'INBOX');
    const appended = inbox.messages().at(-1);
    expect(appended).toBeDefined();
    expect(withoutTuid(lf(await readAll(inbox.read(appended!.uid))))).toBe(lf(message(4)));
  });

  it('deletions: expunged on the server → gone locally; deleted locally → expunged on the server', async () => {
    const inbox = await store.openFolder(user, 'INBOX');
    await inbox.refresh();
    const first = inbox.messages().find((m) => m.flags.includes('\\Seen') && !m.flags.includes('\\Flagged'));
    if (first === undefined) throw new Error('no \\Seen message');
    await inbox.expunge([first.uid]);
    const second = mbsync.messages().find((m) => m.body.toString().includes('Subject: sync 2'));
    if (second === undefined) throw new Error('sync 2 not local');
    // A mail client deletes by setting the trashed flag (T); Expunge Both removes it on both sides.
    mbsync.setFlags(second.path, `${second.flags}T`);

    await syncOk();
    const server = await serverState();
    expect([...server.keys()].sort()).toEqual(['sync 3', 'sync 4']);
    expect([...localState().keys()].sort()).toEqual(['sync 3', 'sync 4']);
  });

  it('a run with nothing changed changes nothing', async () => {
    const before = { server: await serverState(), local: localState() };
    const result = await syncOk();
    expect(await serverState()).toEqual(before.server);
    expect(localState()).toEqual(before.local);
    expect(`${result.stdout}${result.stderr}`).toMatch(/INBOX/);
  });
});
