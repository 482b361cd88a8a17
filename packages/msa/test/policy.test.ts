import type { Spool } from '@mailstack/core';
import { smtpTranscript } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, type HarnessOptions, plainAuth, startHarness } from './fixtures.ts';
import { TlsSmtpClient } from './tls-client.ts';

const harnesses: Harness[] = [];
const clients: TlsSmtpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

async function start(options: HarnessOptions = {}): Promise<Harness> {
  const h = await startHarness(options);
  harnesses.push(h);
  return h;
}

async function tlsSession(h: Harness, login?: [string, string]): Promise<TlsSmtpClient> {
  const c = await TlsSmtpClient.implicit(h.tlsPort);
  clients.push(c);
  await c.expect(/^220 /);
  await c.command('EHLO client.example.test', /^250-/);
  if (login) await c.command(`AUTH PLAIN ${plainAuth(...login)}`, /^235 /);
  return c;
}

const alice: [string, string] = ['alice@example.test', 'alice-pw'];

describe('authentication', () => {
  it('refuses MAIL before AUTH with 530 5.7.0, also over TLS', async () => {
    const h = await start();
    const c = await tlsSession(h);
    await c.command('MAIL FROM:<alice@example.test>', /^530 5\.7\.0 /);
    await c.command('RCPT TO:<bob@example.test>', /^530 5\.7\.0 /);
  });

  it('neither offers nor accepts AUTH before STARTTLS (538 5.7.11)', async () => {
    const h = await start();
    const { replies } = await smtpTranscript(h.port, '127.0.0.1', [
      { expect: '220' },
      { send: 'EHLO client.example.test', expect: /STARTTLS/ },
      { send: `AUTH PLAIN ${plainAuth(...alice)}`, expect: /^538 5\.7\.11 / },
      { send: 'AUTH LOGIN', expect: /^538 5\.7\.11 / },
    ]);
    expect(replies[1]).not.toMatch(/AUTH/);
  });

  it('allows cleartext AUTH from loopback with the development switch', async () => {
    const h = await start({ allowCleartextAuthOnLoopback: true });
    await smtpTranscript(h.port, '127.0.0.1', [
      { expect: '220' },
      { send: 'EHLO client.example.test', expect: /AUTH PLAIN LOGIN/ },
      { send: 'AUTH LOGIN', expect: /^334 VXNlcm5hbWU6/ },
      { send: Buffer.from('alice@example.test').toString('base64'), expect: /^334 UGFzc3dvcmQ6/ },
      { send: Buffer.from('alice-pw').toString('base64'), expect: /^235 2\.7\.0/ },
      { send: 'MAIL FROM:<alice@example.test>', expect: /^250 2\.1\.0/ },
    ]);
  });

  it('answers a wrong password with 535 5.7.8', async () => {
    const h = await start();
    const c = await tlsSession(h);
    await c.command(`AUTH PLAIN ${plainAuth('alice@example.test', 'nope')}`, /^535 5\.7\.8 /);
    await c.command(`AUTH PLAIN ${plainAuth('nobody@example.test', 'x')}`, /^535 5\.7\.8 /);
    await c.command(`AUTH PLAIN ${plainAuth(...alice)}`, /^235 2\.7\.0/);
  });

  it('throttles repeated failures: then even the right password gets 454 4.7.0', async () => {
    const h = await start({
      authThrottle: { maxFailures: 3, windowMs: 60_000, baseDelayMs: 1, maxDelayMs: 2 },
    });
    const c = await tlsSession(h);
    for (let i = 0; i < 3; i++)
      await c.command(`AUTH PLAIN ${plainAuth('alice@example.test', `bad${i}`)}`, /^535 /);
    await c.command(`AUTH PLAIN ${plainAuth(...alice)}`, /^454 4\.7\.0 /);
    // another connection from the same IP is refused too, before any password check
    const d = await tlsSession(h);
    await d.command(`AUTH PLAIN ${plainAuth('bob@example.test', 'bob-pw')}`, /^454 4\.7\.0 /);
  });
});

describe('sender ownership', () => {
  it('accepts own addresses, aliases and +detail; refuses others with 553 5.7.1', async () => {
    const h = await start();
    const c = await tlsSession(h, alice);
    await c.command('MAIL FROM:<bob@example.test>', /^553 5\.7\.1 /);
    await c.command('MAIL FROM:<someone@remote.test>', /^553 5\.7\.1 /);
    await c.command('MAIL FROM:<team@example.test>', /^553 5\.7\.1 /);
    for (const own of [
      'alice@example.test',
      'ALICE@Example.Test',
      'a.smith@example.test',
      'alice+lists@example.test',
      '',
    ]) {
      await c.command(`MAIL FROM:<${own}>`, /^250 2\.1\.0/);
      await c.command('RSET', /^250/);
    }
  });

  it('refuses a From: header that is not the user, and a message without From:', async () => {
    const h = await start();
    const c = await tlsSession(h, alice);
    const send = async (head: string, pattern: RegExp) => {
      await c.command('MAIL FROM:<alice@example.test>', /^250/);
      await c.command('RCPT TO:<bob@example.test>', /^250/);
      await c.command('DATA', /^354/);
      c.write(`${head}\r\n\r\nbody\r\n.\r\n`);
      await c.expect(pattern);
    };
    await send('From: "alice@example.test" <bob@example.test>', /^553 5\.7\.1 /);
    await send('From: alice@example.test, bob@example.test\r\nSender: alice@example.test', /^553 5\.7\.1 /);
    await send('From: alice@example.test\r\nSender: bob@example.test', /^553 5\.7\.1 /);
    await send('Subject: no from', /^550 5\.6\.0 /);
    await send('From: Alice (the boss) <a.smith@example.test>', /^250 2\.0\.0/);
    expect(await h.stored()).toHaveLength(1);
  });

  it('lets a map or a callback allow shared senders per user', async () => {
    const h = await start({
      mayUseSender: { 'alice@example.test': ['support@example.test', '@shared.test'] },
    });
    const c = await tlsSession(h, alice);
    await c.command('MAIL FROM:<support@example.test>', /^250 /);
    await c.command('RSET', /^250/);
    await c.command('MAIL FROM:<any@shared.test>', /^250 /);
    await c.command('RSET', /^250/);
    await c.command('MAIL FROM:<bob@example.test>', /^553 5\.7\.1 /);
    const k = await start({
      mayUseSender: async (account, address) =>
        account.user === 'bob@example.test' && address === 'alice@example.test',
    });
    const d = await tlsSession(k, ['bob@example.test', 'bob-pw']);
    await d.command('MAIL FROM:<alice@example.test>', /^250 /);
  });
});

describe('limits and hand-off', () => {
  it('refuses an over-size message: declared (SIZE=) and actual, both 552 5.3.4', async () => {
    const h = await start({ maxMessageSize: 2000 });
    const c = await tlsSession(h, alice);
    await c.command('MAIL FROM:<alice@example.test> SIZE=5000', /^552 5\.3\.4 /);
    await c.command('MAIL FROM:<alice@example.test> SIZE=100', /^250/);
    await c.command('RCPT TO:<bob@example.test>', /^250/);
    await c.command('DATA', /^354/);
    c.write(`From: alice@example.test\r\n\r\n${'x'.repeat(78)}\r\n`.repeat(40));
    c.write('.\r\n');
    await c.expect(/^552 5\.3\.4 /);
    await c.command('NOOP', /^250/);
    expect(await h.stored()).toHaveLength(0);
  });

  it('limits recipients per message (452 4.5.3) and messages per hour (451 4.7.1)', async () => {
    const h = await start({
      limits: {
        recipientsPerMessage: 2,
        messagesPerHour: 1,
        perUser: { 'bob@example.test': { messagesPerHour: 5 } },
      },
    });
    const c = await tlsSession(h, alice);
    await c.command('MAIL FROM:<alice@example.test>', /^250/);
    await c.command('RCPT TO:<bob@example.test>', /^250/);
    await c.command('RCPT TO:<x@remote.test>', /^250/);
    await c.command('RCPT TO:<BOB@example.test>', /^250/); // a repeat is not a new recipient
    await c.command('RCPT TO:<y@remote.test>', /^452 4\.5\.3 /);
    await c.command('DATA', /^354/);
    c.write('From: alice@example.test\r\n\r\nx\r\n.\r\n');
    await c.expect(/^250 2\.0\.0/);
    await c.command('MAIL FROM:<alice@example.test>', /^451 4\.7\.1 /);
    // the limit is per user: bob still may send, with his own hourly limit and the default recipient limit
    const d = await tlsSession(h, ['bob@example.test', 'bob-pw']);
    for (let i = 0; i < 2; i++) {
      await d.command('MAIL FROM:<bob@example.test>', /^250/);
      await d.command('RCPT TO:<alice@example.test>', /^250/);
      await d.command('RCPT TO:<x@remote.test>', /^250/);
      await d.command('RCPT TO:<y@remote.test>', /^452 4\.5\.3 /);
      await d.command('DATA', /^354/);
      d.write('From: bob@example.test\r\n\r\nx\r\n.\r\n');
      await d.expect(/^250 2\.0\.0/);
    }
  });

  it('refuses an unknown local recipient with 550 5.1.1 and takes remote ones', async () => {
    const h = await start();
    const c = await tlsSession(h, alice);
    await c.command('MAIL FROM:<alice@example.test>', /^250/);
    await c.command('RCPT TO:<nobody@example.test>', /^550 5\.1\.1 /);
    await c.command('RCPT TO:<team@example.test>', /^250/);
    await c.command('RCPT TO:<someone@remote.test>', /^250/);
  });

  it('answers 451 4.3.0 when the spool cannot take the message, and stays usable', async () => {
    let fail = true;
    const h0 = await start();
    const flaky: Spool = {
      ...h0.spool,
      enqueue: async (envelope, body) => {
        if (fail) throw new Error('disk full');
        return h0.spool.enqueue(envelope, body);
      },
    } as Spool;
    const h = await start({ spool: flaky });
    const c = await tlsSession(h, alice);
    const once = async (pattern: RegExp) => {
      await c.command('MAIL FROM:<alice@example.test>', /^250/);
      await c.command('RCPT TO:<bob@example.test>', /^250/);
      await c.command('DATA', /^354/);
      c.write('From: alice@example.test\r\n\r\nx\r\n.\r\n');
      return c.expect(pattern);
    };
    await once(/^451 4\.3\.0 /);
    fail = false;
    await once(/^250 2\.0\.0 Queued as /);
    expect(await h0.stored()).toHaveLength(1);
  });

  it('answers VRFY and EXPN for real to authenticated users only when enabled', async () => {
    const h = await start({ verifyForAuthenticated: true, expandForAuthenticated: true });
    const c = await tlsSession(h);
    await c.command('VRFY bob@example.test', /^252 2\.5\.0 /);
    await c.command('EXPN team@example.test', /^502 5\.5\.1 /);
    await c.command(`AUTH PLAIN ${plainAuth(...alice)}`, /^235/);
    await c.command('VRFY bob@example.test', /^250 2\.1\.5 <bob@example\.test>/);
    await c.command('VRFY nobody@example.test', /^550 5\.1\.1 /);
    await c.command(
      'EXPN team@example.test',
      /^250-2\.1\.5 <alice@example\.test>\n250 2\.1\.5 <bob@example\.test>$/,
    );
    const k = await start();
    const d = await tlsSession(k, alice);
    await d.command('VRFY bob@example.test', /^252 2\.5\.0 /);
    await d.command('EXPN team@example.test', /^502 5\.5\.1 /);
  });
});
