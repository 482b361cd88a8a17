/**
 * Debian's isync (`mbsync`) keeps a local Maildir in sync with our IMAP server
 * (packages/imap/src/main.ts spawned over a temp Maildir root and directory file, implicit TLS
 * with a fresh self-signed certificate that mbsync trusts as a host certificate):
 *   1. server → local: every message byte for byte (mbsync stores LF line ends), its flags as
 *      Maildir info letters;
 *   2. local → server: a message dropped into the local Maildir is APPENDed, a flag set
 *      locally is STOREd (checked in the store itself), a local folder is CREATEd;
 *   3. deletions both ways: a message expunged on the server disappears locally, a message
 *      deleted locally is expunged on the server;
 *   4. a second run with nothing changed changes nothing.
 * The run before the last asserts mbsync's own summary line so a silent no-op cannot pass.
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

const USER = 'syncer@example.test';
const PASSWORD = 'sync pass';

let tmp: ReturnType<typeof makeTempDir>;
let server: ImapServerProcess | undefined;
let store: MaildirStore;
let mbsync: Mbsync;

const message = (n: number, extra = '') =>
  `From: Sender ${n} <sender${n}@example.org>\r\nTo: ${USER}\r\nSubject: sync ${n}\r\n` +
  `Message-ID: <sync${n}@example.org>\r\nDate: Mon, 23 Nov 2026 10:0${n}:00 +0000\r\n\r\n` +
  `Body of message ${n}.\r\n${extra}`;

const lf = (text: string | Buffer) => text.toString().replace(/\r\n/g, '\n');

/** The server's view, straight from the store: subject → sorted flags. */
async function serverState(folder = 'INBOX'): Promise<Map<string, string[]>> {
  const box = await store.openFolder(USER, folder);
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
  expect(result.code, `mbsync failed:\n${result.stdout}\n${result.stderr}\nserver:\n${server?.output()}`).toBe(0);
  return result;
}

beforeAll(async () => {
  requirePrograms('mbsync');
  tmp = makeTempDir('imap-mbsync');
  const data = join(tmp.path, 'data');
  mkdirSync(data);
  const cert = await makeCertificate(tmp.path);
  const directory = join(tmp.path, 'directory.json');
  await writeDirectoryFile(directory, [USER], PASSWORD);
  store = createMaildirStore({ root: data });
  await store.ensureUser(USER);
  server = await startImapServer({ data, directory, cert });
  if (server.tlsPort === undefined) throw new Error('no implicit-TLS port');
  mbsync = new Mbsync(join(tmp.path, 'mbsync'), {
    port: server.tlsPort,
    user: USER,
    password: PASSWORD,
    certPath: cert.certPath,
    tls: 'IMAPS',
  });
});

afterAll(async () => {
  await server?.stop();
  tmp?.remove();
});

describe('mbsync against our IMAP server (implicit TLS)', () => {
  it('server → local: every message and its flags', async () => {
    const inbox = await store.openFolder(USER, 'INBOX');
    const uids: number[] = [];
    for (let n = 1; n <= 3; n++) {
      uids.push((await store.deliver(USER, bufferBlob(message(n, n === 2 ? 'Grüße, UTF-8.\r\n' : '')))).uid);
    }
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
      .map((m) => lf(m.body))
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
    const inbox = await store.openFolder(USER, 'INBOX');
    const appended = inbox.messages().at(-1);
    expect(appended).toBeDefined();
    expect(lf(await readAll(inbox.read(appended!.uid)))).toBe(lf(message(4)));
  });

  it('deletions: expunged on the server → gone locally; deleted locally → expunged on the server', async () => {
    const inbox = await store.openFolder(USER, 'INBOX');
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
