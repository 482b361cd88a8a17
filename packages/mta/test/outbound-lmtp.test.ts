import { join } from 'node:path';
import { bufferBlob, type Envelope, readAll } from '@mailstack/core';
import { createMaildirStore, type MaildirStore } from '@mailstack/maildir';
import { createLmtpServer } from '@mailstack/mda';
import type { SmtpListener } from '@mailstack/smtp';
import { memoryDirectory, type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLmtpTarget, createTransferTarget } from '../src/index.ts';
import { message } from './outbound-fixtures.ts';

let dir: TempDir;
let store: MaildirStore;
let server: SmtpListener;
const closers: Array<() => Promise<void>> = [];

const directory = memoryDirectory({
  users: {
    'alice@home.test': 'pw',
    'bob@home.test': 'pw',
    // cannot take any real message: the MDA refuses it after DATA, for this recipient only
    'tiny@home.test': { password: 'pw', quotaBytes: 20 },
  },
});

beforeEach(async () => {
  dir = await tempDir('mailstack-mta-lmtp-');
  store = createMaildirStore({
    root: dir.path,
    quota: async (user) => ({ limitBytes: (await directory.account(user))?.quotaBytes }),
  });
  server = createLmtpServer({ directory, store, closeTimeoutMs: 200 });
});

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await server.close();
  await dir.cleanup();
});

async function inbox(user: string): Promise<string[]> {
  const folder = await store.openFolder(user, 'INBOX');
  await folder.refresh();
  const texts: string[] = [];
  for (const m of folder.messages()) texts.push((await readAll(folder.read(m.uid))).toString('utf8'));
  await folder.close();
  return texts;
}

const envelope = (rcpt: string[]): Envelope => ({
  mailFrom: 'sender@remote.test',
  rcptTo: rcpt.map((address) => ({ address })),
  params: {},
});

describe('LMTP target (RFC 2033) into our MDA', () => {
  it('gives one result per recipient: refused at RCPT, refused after DATA, stored', async () => {
    const address = await server.listen(0, '127.0.0.1');
    if (!('port' in address)) throw new Error('expected TCP');
    const target = createLmtpTarget({ host: '127.0.0.1', port: address.port, hostname: 'mta.home.test' });
    closers.push(() => target.close());
    const results = await target.deliver(
      envelope(['alice@home.test', 'nobody@home.test', 'tiny@home.test', 'bob@home.test']),
      bufferBlob(message('to the MDA')),
    );
    expect(results.map((r) => [r.recipient, r.reply.code, r.reply.enhanced])).toEqual([
      ['alice@home.test', 250, expect.stringMatching(/^2\./)],
      ['nobody@home.test', 550, '5.1.1'],
      ['tiny@home.test', 552, '5.2.2'],
      ['bob@home.test', 250, expect.stringMatching(/^2\./)],
    ]);
    expect(await inbox('alice@home.test')).toEqual([expect.stringContaining('Subject: to the MDA')]);
    expect(await inbox('bob@home.test')).toHaveLength(1);
  });

  it('keeps one connection for several messages and works over a unix socket', async () => {
    const socketPath = join(dir.path, 'lmtp.sock');
    await server.listen(socketPath);
    const target = createLmtpTarget({ socketPath });
    closers.push(() => target.close());
    for (const subject of ['one', 'two', 'three']) {
      const [result] = await target.deliver(envelope(['alice@home.test']), bufferBlob(message(subject)));
      expect(result?.reply.code).toBe(250);
    }
    expect(await inbox('alice@home.test')).toHaveLength(3);
    // reused: a new connection per message would leave three idle sessions open here
    expect(server.connections).toBe(1);
  });

  it('is what the transfer target hands local domains to', async () => {
    const address = await server.listen(0, '127.0.0.1');
    if (!('port' in address)) throw new Error('expected TCP');
    const local = createLmtpTarget({ host: '127.0.0.1', port: address.port });
    const target = createTransferTarget({ directory, local, dnsServers: ['127.0.0.1:1'] });
    closers.push(
      () => target.close(),
      () => local.close(),
    );
    const results = await target.deliver(envelope(['bob@home.test']), bufferBlob(message('via MTA')));
    expect(results[0]?.reply.code).toBe(250);
    expect(await inbox('bob@home.test')).toEqual([expect.stringContaining('Subject: via MTA')]);
  });

  it('takes an lmtp: transport map entry for a domain', async () => {
    const address = await server.listen(0, '127.0.0.1');
    if (!('port' in address)) throw new Error('expected TCP');
    const target = createTransferTarget({
      transportMap: { 'home.test': `lmtp:[127.0.0.1]:${address.port}` },
      dnsServers: ['127.0.0.1:1'],
    });
    closers.push(() => target.close());
    const results = await target.deliver(
      envelope(['alice@home.test', 'ghost@home.test']),
      bufferBlob(message('map')),
    );
    expect(results.map((r) => r.reply.code)).toEqual([250, 550]);
    expect(await inbox('alice@home.test')).toEqual([expect.stringContaining('Subject: map')]);
  });
});
