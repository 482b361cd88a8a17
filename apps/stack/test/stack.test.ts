import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { silentLogger } from '@mailstack/core';
import { createMaildirStore } from '@mailstack/maildir';
import { type DnsServer, runPython, startDnsServer, type TempDir, tempDir } from '@mailstack/testkit';
import { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { banner, type RunningStack, startStack } from '../src/index.ts';
import { testConfig } from './test-config.ts';

let dns: DnsServer;
beforeAll(async () => {
  // Remote domains resolve through a local zone only: remote.test's MX is an address where
  // nothing listens, so its mail is deferred, never sent off the machine.
  dns = await startDnsServer({
    zone: {
      'remote.test': { mx: [{ preference: 10, exchange: 'mx.remote.test' }] },
      'mx.remote.test': { a: ['127.0.0.9'] },
    },
  });
});
afterAll(() => dns.close());

const config = (dataDir: string) => testConfig(dataDir, [dns.address]);

const LMTP_SEND = `
import smtplib, sys
c = smtplib.LMTP('127.0.0.1', int(sys.argv[1]))
refused = c.sendmail('bob@example.test', ['alice@example.test'], b'Subject: through the stack\\r\\n\\r\\nhello alice\\r\\n')
c.quit()
print(len(refused))
`;

describe('the stack on embedded defaults', () => {
  let dir: TempDir;
  let stack: RunningStack | undefined;
  beforeEach(async () => {
    dir = await tempDir('mailstack-stack-');
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
    await dir.cleanup();
  });

  it('creates the demo users, certificate and password, and delivers over LMTP into the Maildir', async () => {
    const loaded = config(dir.path);
    stack = await startStack(loaded, silentLogger);
    expect(stack.certificateCreated).toBe(true);
    expect(stack.demo!.source).toBe('generated');
    expect(await readFile(join(dir.path, 'tls', 'cert.pem'), 'utf8')).toMatch(/BEGIN CERTIFICATE/);
    const lmtp = stack.endpoints.find((e) => e.protocol === 'lmtp');
    expect(lmtp?.host).toBe('127.0.0.1');

    const sent = await runPython(LMTP_SEND, [String(lmtp?.port)]);
    expect(sent.stderr).toBe('');
    expect(sent.stdout.trim()).toBe('0');

    const store = createMaildirStore({ root: stack.paths.mail });
    const inbox = await store.openFolder('alice@example.test', 'INBOX');
    expect(inbox.messages()).toHaveLength(1);
    const uid = inbox.messages()[0]!.uid;
    const chunks: Buffer[] = [];
    for await (const c of inbox.read(uid)) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    expect(text).toMatch(/^Return-Path: <bob@example\.test>\r\n/);
    expect(text).toContain('Delivered-To: alice@example.test\r\n');
    expect(text).toContain('hello alice\r\n');
    const folders = (await store.listFolders('bob@example.test')).map((f) => f.specialUse).filter(Boolean);
    expect(folders.sort()).toEqual(['\\Archive', '\\Drafts', '\\Junk', '\\Sent', '\\Trash']);
    await inbox.close();

    const text2 = banner(loaded, stack);
    expect(text2).toContain(stack.demo!.password);
    expect(text2).toContain(`127.0.0.1:${lmtp?.port}`);
    const imaps = stack.endpoints.find((e) => e.protocol === 'imaps (TLS)');
    expect(text2).toMatch(new RegExp(`imap +imaps \\(TLS\\) +127\\.0\\.0\\.1:${imaps?.port}\\n`));
    expect(text2).not.toContain('not built yet');
  });

  it('takes a submission with AUTH over STARTTLS and delivers it through the spool into the Maildir', async () => {
    stack = await startStack(config(dir.path), silentLogger);
    const submission = stack.endpoints.find((e) => e.protocol === 'submission (STARTTLS)')!;
    const submissions = stack.endpoints.find((e) => e.protocol === 'submissions (TLS)')!;
    const sent = await runPython(
      `
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
msg = b'From: alice@example.test\\r\\nTo: bob@example.test\\r\\nSubject: via submission\\r\\n\\r\\nhi bob\\r\\n'
c = smtplib.SMTP('127.0.0.1', int(sys.argv[1])); c.starttls(context=ctx); c.login('alice@example.test', sys.argv[3])
print(len(c.sendmail('alice@example.test', ['bob@example.test', 'carol@remote.test'], msg))); c.quit()
s = smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[2]), context=ctx); s.login('alice@example.test', sys.argv[3]); s.quit()
try:
    smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[2]), context=ctx).login('alice@example.test', 'wrong')
except smtplib.SMTPAuthenticationError as e:
    print(e.smtp_code)
`,
      [String(submission.port), String(submissions.port), stack.demo!.password],
    );
    expect(sent.stderr).toBe('');
    expect(sent.stdout.trim().split('\n')).toEqual(['0', '535']);

    // The queue runner delivers the local recipient; the remote one waits in the spool.
    const store = createMaildirStore({ root: stack.paths.mail });
    const inbox = await store.openFolder('bob@example.test', 'INBOX');
    for (let i = 0; i < 200 && inbox.messages().length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      await inbox.refresh();
    }
    expect(inbox.messages()).toHaveLength(1);
    const chunks: Buffer[] = [];
    for await (const c of inbox.read(inbox.messages()[0]!.uid)) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    expect(text).toMatch(/^Return-Path: <alice@example\.test>\r\n/);
    expect(text).toMatch(
      /\r\nReceived: from [^\r]*\r\n\tby mail\.example\.test \(Mailstack MSA\) with ESMTPSA\r\n/,
    );
    expect(text).toMatch(/\r\nMessage-ID: </i);
    expect(text).toContain('\r\n\r\nhi bob\r\n');
    await inbox.close();

    const { openFileSpool } = await import('@mailstack/queue');
    const spool = await openFileSpool(stack.paths.spool);
    let queued = await spool.list();
    for (let i = 0; i < 200 && queued[0]?.recipients[1]?.status !== 'deferred'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      queued = await spool.list();
    }
    expect(queued[0]?.recipients[1]?.lastReply?.code).toBe(451);
    expect(queued.map((m) => m.recipients.map((r) => [r.recipient.address, r.status]))).toEqual([
      [
        ['bob@example.test', 'delivered'],
        ['carol@remote.test', 'deferred'],
      ],
    ]);
  });

  it('takes mail for its domain on the MTA port, relays nothing, and delivers it over LMTP', async () => {
    stack = await startStack(config(dir.path), silentLogger);
    const mta = stack.endpoints.find((e) => e.agent === 'mta' && e.protocol === 'smtp')!;
    const sent = await runPython(
      `
import smtplib, sys
c = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
c.ehlo('peer.remote.test')
print(c.mail('someone@remote.test')[0])
print(c.rcpt('carol@elsewhere.test')[0])
print(c.rcpt('alice@example.test')[0])
print(c.data(b'From: someone@remote.test\\r\\nTo: alice@example.test\\r\\nSubject: from afar\\r\\n\\r\\ninbound hello\\r\\n')[0])
c.quit()
`,
      [String(mta.port)],
    );
    expect(sent.stderr).toBe('');
    expect(sent.stdout.trim().split('\n')).toEqual(['250', '554', '250', '250']);
    const store = createMaildirStore({ root: stack.paths.mail });
    const inbox = await store.openFolder('alice@example.test', 'INBOX');
    for (let i = 0; i < 200 && inbox.messages().length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      await inbox.refresh();
    }
    expect(inbox.messages()).toHaveLength(1);
    const chunks: Buffer[] = [];
    for await (const c of inbox.read(inbox.messages()[0]!.uid)) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    expect(text).toMatch(/^Return-Path: <someone@remote\.test>\r\n/);
    expect(text).toMatch(/\r\nReceived: from peer\.remote\.test /);
    expect(text).toContain('inbound hello');
    await inbox.close();
  });

  it('serves the delivered mail over POP3 with STLS and over POP3S', async () => {
    stack = await startStack(config(dir.path), silentLogger);
    const port = (protocol: string) => String(stack!.endpoints.find((e) => e.protocol === protocol)!.port);
    const lmtp = await runPython(LMTP_SEND, [port('lmtp')]);
    expect(lmtp.stdout.trim()).toBe('0');
    const fetched = await runPython(
      `
import poplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3('127.0.0.1', int(sys.argv[1])); p.stls(context=ctx)
p.user('alice@example.test'); p.pass_(sys.argv[3])
count, size = p.stat(); print(count)
print(b'\\n'.join(p.retr(1)[1]).decode().split('\\n')[-1])
p.quit()
s = poplib.POP3_SSL('127.0.0.1', int(sys.argv[2]), context=ctx)
s.user('alice@example.test'); s.pass_(sys.argv[3]); print(s.stat()[0]); s.quit()
`,
      [port('pop3 (STLS)'), port('pop3s (TLS)'), stack.demo!.password],
    );
    expect(fetched.stderr).toBe('');
    expect(fetched.stdout.trim().split('\n')).toEqual(['1', 'hello alice', '1']);
  });

  it('serves a message submitted through the MSA to imapflow over IMAPS, with the special-use folders', async () => {
    stack = await startStack(config(dir.path), silentLogger);
    const port = (protocol: string) => stack!.endpoints.find((e) => e.protocol === protocol)!.port!;
    expect(port('imap (STARTTLS)')).toBeGreaterThan(0);
    const sent = await runPython(
      `
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
msg = b'From: bob@example.test\\r\\nTo: alice@example.test\\r\\nSubject: over IMAP\\r\\n\\r\\nhello over imap\\r\\n'
s = smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[1]), context=ctx); s.login('bob@example.test', sys.argv[2])
print(len(s.sendmail('bob@example.test', ['alice@example.test'], msg))); s.quit()
`,
      [String(port('submissions (TLS)')), stack.demo!.password],
    );
    expect(sent.stderr).toBe('');
    expect(sent.stdout.trim()).toBe('0');

    const client = new ImapFlow({
      host: '127.0.0.1',
      port: port('imaps (TLS)'),
      secure: true,
      tls: { rejectUnauthorized: false },
      auth: { user: 'alice@example.test', pass: stack.demo!.password },
      logger: false,
    });
    client.on('error', () => {});
    await client.connect();
    try {
      const specialUse = (await client.list()).map((f) => f.specialUse).filter(Boolean);
      expect(specialUse.sort()).toEqual(['\\Archive', '\\Drafts', '\\Inbox', '\\Junk', '\\Sent', '\\Trash']);
      // The queue runner delivers in the background: wait for the message, bounded.
      let exists = 0;
      for (let i = 0; i < 200 && exists === 0; i++) {
        const status = await client.status('INBOX', { messages: true });
        exists = status ? (status.messages ?? 0) : 0;
        if (exists === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(exists).toBe(1);
      await client.mailboxOpen('INBOX');
      const msg = await client.fetchOne('1', { envelope: true, source: true });
      if (!msg) throw new Error('message 1 not fetched');
      expect(msg.envelope?.subject).toBe('over IMAP');
      expect(msg.source?.toString()).toContain('\r\n\r\nhello over imap\r\n');
    } finally {
      await client.logout();
    }
    const starttls = await runPython(
      `
import imaplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4('127.0.0.1', int(sys.argv[1])); m.starttls(ssl_context=ctx)
m.login('alice@example.test', sys.argv[2]); print(m.select('INBOX')[1][0].decode()); m.logout()
`,
      [String(port('imap (STARTTLS)')), stack.demo!.password],
    );
    expect(starttls.stderr).toBe('');
    expect(starttls.stdout.trim()).toBe('1');

    // Shutdown closes both IMAP listeners.
    const ports = [port('imap (STARTTLS)'), port('imaps (TLS)')];
    await stack.close();
    stack = undefined;
    for (const p of ports) {
      const refused = await new Promise<string>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: p });
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
    }
  });

  it('keeps the generated password and certificate across restarts and lets the users log in', async () => {
    stack = await startStack(config(dir.path), silentLogger);
    const first = stack.demo!.password;
    await stack.close();
    stack = await startStack(config(dir.path), silentLogger);
    expect(stack.demo!).toMatchObject({ password: first, source: 'stored' });
    expect(stack.certificateCreated).toBe(false);
    const { openFileDirectory } = await import('@mailstack/directory');
    const directory = await openFileDirectory(stack.paths.directory);
    expect(await directory.authenticate('alice@example.test', first)).not.toBeNull();
    expect(await directory.authenticate('bob@example.test', `${first}x`)).toBeNull();
    await directory.close();
  });
});
