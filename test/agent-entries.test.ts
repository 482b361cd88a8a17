/**
 * Each agent as its own process, started the one way an operator starts it: `mailstack
 * <agent> --config FILE`. What the per-package entries (packages/<agent>/src/main.ts) used to
 * prove, now of the stack's entry: both TLS modes of every listener to real clients, mail in
 * the spool with our Received line, relaying only for relayNetworks, the queue runner
 * draining the spool over LMTP into the store, a config without the agent's listener refused.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bufferBlob, readAll } from '@mailstack/core';
import { createMaildirStore } from '@mailstack/maildir';
import { openFileSpool } from '@mailstack/queue';
import { lineClient, runPython, type TempDir, tempDir } from '@mailstack/testkit';
import nodemailer from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Daemon } from './helpers/daemon.ts';
import { writeDirectoryFile } from './helpers/directory-file.ts';
import { startImapServer } from './helpers/imap-server.ts';
import { MAILSTACK_BIN } from './helpers/mailstack-cli.ts';
import { startMda } from './helpers/mda.ts';
import { startMsa } from './helpers/msa.ts';
import { startMtaProcess, startQueueRunnerProcess } from './helpers/mta-process.ts';
import { waitFor } from './helpers/net.ts';
import { startPop3 } from './helpers/pop3.ts';
import { type CertificateFiles, makeCertificate } from './helpers/tls.ts';

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';
const PASSWORD = 'secret';

let dir: TempDir;
let cert: CertificateFiles;
let directory: string;
const running: Array<{ stop(): Promise<void> }> = [];

beforeEach(async () => {
  dir = await tempDir('mailstack-agent-entries-');
  cert = await makeCertificate(dir.path);
  directory = join(dir.path, 'directory.json');
  await writeDirectoryFile(directory, [ALICE, BOB], PASSWORD);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
  await dir.cleanup();
});

function keep<T extends { stop(): Promise<void> }>(agent: T): T {
  running.push(agent);
  return agent;
}

const daemonOf = (d: Daemon) => ({ stop: () => d.stop() });

/** Alice's INBOX with one message, under `<dir>/mail`. */
async function oneMessage(): Promise<string> {
  const mail = join(dir.path, 'mail');
  const text = 'From: bob@example.test\r\nSubject: one\r\n\r\nBody of message 1.\r\n';
  await createMaildirStore({ root: mail }).deliver(ALICE, bufferBlob(Buffer.from(text)));
  return mail;
}

/** A Python client's TLS context that takes the test's self-signed certificate. */
const PY_TLS = `
import imaplib, poplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
`;

const IMAPLIB = `${PY_TLS}
port, mode = int(sys.argv[1]), sys.argv[2]
c = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ctx) if mode == 'ssl' else imaplib.IMAP4('127.0.0.1', port)
if mode == 'starttls':
    c.starttls(ssl_context=ctx)
c.login(sys.argv[3], sys.argv[4])
typ, data = c.select('INBOX')
typ, msg = c.fetch('1', '(BODY.PEEK[TEXT])')
print(data[0].decode(), msg[0][1].decode().strip())
c.logout()
`;

const POPLIB = `${PY_TLS}
port, mode = int(sys.argv[1]), sys.argv[2]
p = poplib.POP3_SSL('127.0.0.1', port, context=ctx) if mode == 'ssl' else poplib.POP3('127.0.0.1', port)
if mode == 'stls':
    p.stls(context=ctx)
p.user(sys.argv[3])
p.pass_(sys.argv[4])
print(p.stat()[0], p.retr(1)[1][-1].decode())
p.quit()
`;

/** A session on the implicit-TLS port holds the maildrop; a login on the STLS port meets the lock. */
const TWO_SESSIONS = `${PY_TLS}
a = poplib.POP3_SSL('127.0.0.1', int(sys.argv[1]), context=ctx)
a.user(sys.argv[3])
a.pass_(sys.argv[4])
b = poplib.POP3('127.0.0.1', int(sys.argv[2]))
b.stls(context=ctx)
b.user(sys.argv[3])
try:
    b.pass_(sys.argv[4])
    print('no lock')
except poplib.error_proto as e:
    print(e.args[0])
a.quit()
b.quit()
`;

describe('mailstack <agent> --config FILE', () => {
  it('imap: STARTTLS and implicit TLS to Python imaplib', async () => {
    const mail = await oneMessage();
    const imap = keep(await startImapServer({ data: mail, directory, cert }));
    expect(imap.banners).toMatchObject([
      { event: 'listening', agent: 'imap', protocol: 'imap (STARTTLS)', host: '127.0.0.1' },
      { event: 'listening', agent: 'imap', protocol: 'imaps (TLS)' },
    ]);
    for (const [port, mode] of [
      [imap.port, 'starttls'],
      [imap.tlsPort, 'ssl'],
    ] as const) {
      const r = await runPython(IMAPLIB, [port as number, mode, ALICE, PASSWORD]);
      expect(r.stderr, imap.output()).toBe('');
      expect(r.stdout.trim()).toBe('1 Body of message 1.');
    }
  });

  it('pop3: STLS and implicit TLS over one maildrop lock; cleartext USER refused without the dev switch', async () => {
    const mail = await oneMessage();
    const pop3 = keep(await startPop3({ data: mail, directory, ...cert }));
    for (const [port, mode] of [
      [pop3.port, 'stls'],
      [pop3.tlsPort, 'ssl'],
    ] as const) {
      const r = await runPython(POPLIB, [port, mode, ALICE, PASSWORD]);
      expect(r.stderr, pop3.output()).toBe('');
      expect(r.stdout.trim()).toBe('1 Body of message 1.');
    }
    const both = await runPython(TWO_SESSIONS, [pop3.tlsPort, pop3.port, ALICE, PASSWORD]);
    expect(both.stderr).toBe('');
    expect(both.stdout.trim()).toBe("b'-ERR [IN-USE] maildrop already locked by another session'");
    const c = await lineClient(pop3.port);
    expect(await c.read()).toMatch(/^\+OK/);
    await c.writeLine('USER x');
    expect(await c.read()).toMatch(/^-ERR \[AUTH\]/);
    await c.close();
  });

  it('msa: one listening line per listener, mail taken on both into the spool', async () => {
    const spool = join(dir.path, 'spool');
    const msa = keep(
      await startMsa({
        data: dir.path,
        directory,
        spool,
        ...cert,
        config: { hostname: 'msa.example.test' },
      }),
    );
    expect(msa.banners).toMatchObject([
      { event: 'listening', agent: 'msa', protocol: 'submission (STARTTLS)', host: '127.0.0.1' },
      { event: 'listening', agent: 'msa', protocol: 'submissions (TLS)' },
    ]);
    for (const [port, secure] of [
      [msa.port, false],
      [msa.tlsPort, true],
    ] as const) {
      const transport = nodemailer.createTransport({
        host: '127.0.0.1',
        port,
        secure,
        requireTLS: !secure,
        tls: { rejectUnauthorized: false },
        auth: { user: ALICE, pass: PASSWORD },
      });
      const info = await transport.sendMail({ from: ALICE, to: 'x@remote.test', subject: 'hi', text: 'hi' });
      transport.close();
      expect(info.response).toMatch(/^250 2\.0\.0 Queued as /);
    }
    const queued = await (await openFileSpool(spool, { recoverOnOpen: false })).list();
    expect(queued).toHaveLength(2);
    for (const m of queued) {
      expect((await readAll(m.blob.open())).toString()).toMatch(
        /^Received: from .*\r\n\tby msa\.example\.test \(Mailstack MSA\) with ESMTPSA/,
      );
    }
  });

  it('mta: mail for a local user into the spool with our Received line, relaying only for relayNetworks', async () => {
    const spool = join(dir.path, 'spool');
    const mta = await startMtaProcess({
      directory,
      spool,
      hostname: 'mx.example.test',
      cert,
      config: { outbound: { relayNetworks: ['127.0.0.0/8', '::1'] } },
    });
    keep(daemonOf(mta.daemon));
    expect(mta.host).toBe('127.0.0.1');
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: mta.port,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
    });
    await transport.sendMail({ from: 'a@remote.test', to: BOB, subject: 'to bob', text: 'x' });
    await transport.sendMail({
      from: 'app@example.test',
      to: 'x@elsewhere.test',
      subject: 'relay',
      text: 'y',
    });
    transport.close();
    const list = await (await openFileSpool(spool, { recoverOnOpen: false })).list();
    expect(list.map((m) => m.envelope.rcptTo[0]?.address).sort()).toEqual([BOB, 'x@elsewhere.test']);
    expect((await readAll(list[0]!.blob.open())).toString()).toMatch(
      /^Received: from \S+ \(\[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test \(Mailstack MTA\) with ESMTPS/,
    );
  });

  it('mta without relayNetworks refuses to relay', async () => {
    const mta = await startMtaProcess({
      directory,
      spool: join(dir.path, 'spool'),
      config: { mta: { pregreet: '0s' } },
    });
    keep(daemonOf(mta.daemon));
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mta.port, ignoreTLS: true });
    await expect(
      transport.sendMail({ from: 'app@example.test', to: 'x@elsewhere.test', subject: 'relay', text: 'y' }),
    ).rejects.toThrow(/55\d/);
    transport.close();
  });

  it('mta, queue-runner and mda, three processes: local mail from port 25 lands in the Maildir', async () => {
    const spool = join(dir.path, 'spool');
    const mail = join(dir.path, 'mail');
    const mda = keep(await startMda({ data: mail, directory }));
    const mta = await startMtaProcess({
      directory,
      spool,
      hostname: 'mx.example.test',
      config: { mta: { pregreet: '0s' } },
    });
    keep(daemonOf(mta.daemon));
    keep(
      daemonOf(
        await startQueueRunnerProcess({
          directory,
          spool,
          hostname: 'mx.example.test',
          lmtp: { host: mda.host, port: mda.port },
        }),
      ),
    );
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mta.port, ignoreTLS: true });
    await transport.sendMail({ from: 'a@remote.test', to: BOB, subject: 'hop', text: 'x' });
    transport.close();
    const inbox = await createMaildirStore({ root: mail }).openFolder(BOB, 'INBOX');
    try {
      await waitFor('the message in bob’s INBOX', async () => {
        await inbox.refresh();
        return inbox.messages().length === 1;
      });
      const text = (await readAll(inbox.read(inbox.messages()[0]!.uid))).toString('utf8');
      expect(text).toMatch(/^Return-Path: <a@remote\.test>\r\n/);
      expect(text).toContain('by mx.example.test (Mailstack MTA)');
    } finally {
      await inbox.close();
    }
  });

  it('refuses to start an agent the config gives no listener, and says why', async () => {
    const config = join(dir.path, 'no-imap.yaml');
    await writeFile(
      config,
      JSON.stringify({
        paths: { data: dir.path, directory },
        listeners: [{ agent: 'mda', address: '127.0.0.1', port: 0 }],
      }),
    );
    const r = spawnSync(process.execPath, [MAILSTACK_BIN, 'imap', '--config', config], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(/no imap listener/);
  });
});
