import { generateKeyPairSync } from 'node:crypto';
import { readAll } from '@mailstack/core';
import { lineClient, smtpTranscript } from '@mailstack/testkit';
import { dkimSign } from 'mailauth';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundCheck, InboundCheckContext } from '../src/index.ts';
import { fakeResolver, headerLines, type InboundHarness, startInbound } from './inbound-fixtures.ts';

let h: InboundHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const opening = [
  { expect: /^220 / },
  { send: 'EHLO client.remote.test', expect: '250' },
  { send: 'MAIL FROM:<sender@remote.test>', expect: /^250 / },
  { send: 'RCPT TO:<alice@example.test>', expect: /^250 / },
  { send: 'DATA', expect: /^354/ },
];

/** Sends one DATA payload (ending in CRLF.CRLF) and returns every reply up to QUIT's 221. */
async function sendData(port: number, payload: string): Promise<string[]> {
  const c = await lineClient(port);
  try {
    await c.readUntil(/^220 /);
    await c.writeLine('EHLO client.remote.test');
    await c.readUntil(/^250 /);
    await c.writeLine('MAIL FROM:<sender@remote.test>');
    await c.readUntil(/^\d{3} /);
    await c.writeLine('RCPT TO:<alice@example.test>');
    await c.readUntil(/^\d{3} /);
    await c.writeLine('DATA');
    await c.readUntil(/^354 /);
    // the payload and QUIT in one write: a server fooled by a smuggled end of data answers
    // the injected commands before QUIT's 221
    await c.write(`${payload}QUIT\r\n`);
    return await c.readUntil(/^221 /);
  } finally {
    await c.close();
  }
}

const SMUGGLED =
  'MAIL FROM:<ceo@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n';
const FAKE_ENDS = ['\n.\r\n', '\r\n.\n', '\r.\r\n', '\n.\n', '\r\n.\r'];

describe('inbound: SMTP smuggling', () => {
  for (const fake of FAKE_ENDS) {
    it(`takes ${JSON.stringify(fake)} for content, never end of data (bare line ends allowed)`, async () => {
      h = await startInbound({ rejectBareLineEnds: false });
      const replies = await sendData(h.port, `Subject: real\r\n\r\nhello${fake}${SMUGGLED}.\r\n`);
      expect(replies).toHaveLength(2);
      expect(replies[0]).toMatch(/^250 2\.0\.0 Queued as /);
      const stored = await h.stored();
      expect(stored).toHaveLength(1);
      expect(stored[0]?.envelope.rcptTo).toEqual([{ address: 'alice@example.test' }]);
      expect(stored[0]?.text).toContain('Subject: smuggled');
      expect(stored[0]?.text).toContain('MAIL FROM:<ceo@example.test>');
    });

    it(`refuses a message with ${JSON.stringify(fake)} by default (550 5.6.0), queueing nothing`, async () => {
      h = await startInbound();
      const replies = await sendData(h.port, `Subject: real\r\n\r\nhello${fake}${SMUGGLED}.\r\n`);
      expect(replies).toHaveLength(2);
      expect(replies[0]).toMatch(/^550 5\.6\.0 /);
      expect(await h.stored()).toHaveLength(0);
    });
  }

  it('still unstuffs a dot-stuffed line and keeps a lone dot line inside the body', async () => {
    h = await startInbound();
    const replies = await sendData(h.port, 'Subject: dots\r\n\r\n..\r\n..leading\r\n.\r\n');
    expect(replies[0]).toMatch(/^250 /);
    const [stored] = await h.stored();
    expect(stored?.text.endsWith('\r\n\r\n.\r\n.leading\r\n')).toBe(true);
  });
});

describe('inbound: loops and sizes', () => {
  const withReceived = (n: number) =>
    `${Array.from({ length: n }, (_, i) => `Received: from hop${i}.test by hop${i + 1}.test; Mon, 23 Nov 2026 08:00:00 +0000\r\n`).join('')}Subject: loop\r\n\r\nbody\r\n.\r\n`;

  it('bounces a message with 31 Received fields as a loop (554 5.4.6)', async () => {
    h = await startInbound();
    expect((await sendData(h.port, withReceived(31)))[0]).toMatch(/^554 5\.4\.6 /);
    expect(await h.stored()).toHaveLength(0);
  });

  it('takes one with 30 (the default limit)', async () => {
    h = await startInbound();
    expect((await sendData(h.port, withReceived(30)))[0]).toMatch(/^250 /);
    const [stored] = await h.stored();
    expect(headerLines(stored?.text ?? '').filter((l) => l.startsWith('Received:'))).toHaveLength(31);
  });

  it('refuses a declared SIZE over the limit at MAIL and an oversized DATA at the end', async () => {
    h = await startInbound({ maxMessageSize: 1000 });
    await smtpTranscript(h.port, '127.0.0.1', [
      { expect: /^220 / },
      { send: 'EHLO client.remote.test', expect: /SIZE 1000/ },
      { send: 'MAIL FROM:<sender@remote.test> SIZE=5000', expect: /^552 5\.3\.4 / },
      { send: 'MAIL FROM:<sender@remote.test> SIZE=500', expect: /^250 / },
      { send: 'RCPT TO:<alice@example.test>', expect: /^250 / },
      { send: 'DATA', expect: /^354/ },
      { send: `Subject: big\r\n\r\n${'x'.repeat(2000)}\r\n.`, expect: /^552 5\.3\.4 / },
    ]);
    expect(await h.stored()).toHaveLength(0);
  });
});

describe('inbound: SPF/DKIM/DMARC', () => {
  const zone = {
    'bank.test/TXT': [['v=spf1 ip4:192.0.2.10 -all']],
    '_dmarc.bank.test/TXT': [['v=DMARC1; p=reject']],
    'evil.test/TXT': [['v=spf1 +all']],
  };
  const forged = 'From: ceo@bank.test\r\nTo: alice@example.test\r\nSubject: wire money\r\n\r\nnow\r\n.\r\n';

  async function sendForged(port: number): Promise<string> {
    const r = await smtpTranscript(port, '127.0.0.1', [
      ...opening.slice(0, 2),
      { send: 'MAIL FROM:<spoofer@evil.test>', expect: /^250 / },
      ...opening.slice(3),
      { send: forged, expectLines: 1 },
    ]);
    return r.replies.at(-1) ?? '';
  }

  it("refuses an unsigned message failing DMARC under the From domain's p=reject (dmarcPolicy reject)", async () => {
    const resolver = fakeResolver(zone);
    h = await startInbound({ authentication: { dmarcPolicy: 'reject', dnsResolver: resolver } });
    expect(await sendForged(h.port)).toMatch(/^550 5\.7\.1 .*DMARC.*bank\.test/);
    expect(await h.stored()).toHaveLength(0);
    expect(resolver.queries).toContain('_dmarc.bank.test/TXT');
  });

  it('only tags it with dmarcPolicy tag', async () => {
    h = await startInbound({ authentication: { dmarcPolicy: 'tag', dnsResolver: fakeResolver(zone) } });
    expect(await sendForged(h.port)).toMatch(/^250 /);
    const [stored] = await h.stored();
    const ar = headerLines(stored?.text ?? '')[0] ?? '';
    expect(ar).toMatch(
      /^Authentication-Results: mx\.example\.test; dkim=none .*; spf=pass .*smtp\.mailfrom=spoofer@evil\.test/,
    );
    expect(ar).toMatch(/dmarc=fail .*header\.from=bank\.test/);
  });

  it('passes DKIM and DMARC for a message signed by the From domain', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const resolver = fakeResolver({ ...zone, 'sel._domainkey.bank.test/TXT': [[`v=DKIM1; k=rsa; p=${p}`]] });
    h = await startInbound({ authentication: { dmarcPolicy: 'reject', dnsResolver: resolver } });
    const message = 'From: ceo@bank.test\r\nTo: alice@example.test\r\nSubject: signed\r\n\r\nreal\r\n';
    const key = {
      signingDomain: 'bank.test',
      selector: 'sel',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    };
    // mailauth signs with the `signatureData` entries; the top-level fields are their defaults
    const signed = await dkimSign(message, { ...key, signatureData: [key] });
    expect(signed.signatures).toMatch(/^DKIM-Signature: /);
    expect(signed.errors).toEqual([]);
    const r = await smtpTranscript(h.port, '127.0.0.1', [
      ...opening.slice(0, 2),
      { send: 'MAIL FROM:<bounces@evil.test>', expect: /^250 / },
      ...opening.slice(3),
      { send: `${signed.signatures}${message}.`, expect: /^250 / },
    ]);
    expect(r.replies.at(-1)).toMatch(/^250 2\.0\.0 Queued as/);
    const [stored] = await h.stored();
    const ar = headerLines(stored?.text ?? '')[0] ?? '';
    expect(ar).toMatch(/dkim=pass .*header\.d=bank\.test/);
    expect(ar).toMatch(/dmarc=pass .*header\.from=bank\.test/);
    // the signature still verifies over what we stored: our fields only went on top
    expect(stored?.text).toContain(`${signed.signatures}${message}`);
  });

  it('drops an Authentication-Results field that claims to be ours, keeps others', async () => {
    h = await startInbound();
    const replies = await sendData(
      h.port,
      'Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=ceo@bank.test\r\n' +
        'Authentication-Results: mx.other.test; spf=none\r\n' +
        'Subject: forged results\r\n\r\nbody\r\n.\r\n',
    );
    expect(replies[0]).toMatch(/^250 /);
    const [stored] = await h.stored();
    expect(stored?.text).not.toContain('mx.example.test; spf=pass');
    expect(stored?.text).toContain('Authentication-Results: mx.other.test; spf=none\r\n');
  });
});

describe('inbound: check hooks (DNSBL, greylisting seam)', () => {
  it('runs the checks at connect, RCPT and DATA and answers their verdicts', async () => {
    const seen: InboundCheckContext[] = [];
    let blockConnect = true;
    const check: InboundCheck = {
      name: 'fake',
      connect: (ctx) => {
        seen.push(ctx);
        return blockConnect
          ? { action: 'reject', reply: { text: 'Listed at dnsbl.test' } }
          : { action: 'accept' };
      },
      rcpt: (ctx) => {
        seen.push(ctx);
        return ctx.recipient === 'bob@example.test'
          ? {
              action: 'tempfail',
              reply: { code: 450, enhanced: '4.2.0', text: 'Greylisted, come back later' },
            }
          : { action: 'accept' };
      },
      data: async (ctx) => {
        seen.push(ctx);
        const whole = ctx.message ? await readAll(ctx.message.open()) : Buffer.alloc(0);
        const spam = whole.includes('SPAM') && ctx.head?.includes('SPAM');
        return spam ? { action: 'reject' } : { action: 'accept' };
      },
    };
    h = await startInbound({ checks: [check] });
    await smtpTranscript(h.port, '127.0.0.1', [
      { expect: /^554 5\.7\.1 Listed at dnsbl\.test/, expectClose: true },
    ]);
    blockConnect = false;
    await smtpTranscript(h.port, '127.0.0.1', [
      { expect: /^220 / },
      { send: 'EHLO client.remote.test', expect: '250' },
      { send: 'MAIL FROM:<sender@remote.test>', expect: /^250 / },
      { send: 'RCPT TO:<bob@example.test>', expect: /^450 4\.2\.0 Greylisted/ },
      { send: 'RCPT TO:<alice@example.test>', expect: /^250 / },
      { send: 'DATA', expect: /^354/ },
      { send: 'Subject: SPAM\r\n\r\nbuy\r\n.', expect: /^550 5\.7\.1 Refused by policy/ },
      { send: 'MAIL FROM:<sender@remote.test>', expect: /^250 / },
      { send: 'RCPT TO:<alice@example.test>', expect: /^250 / },
      { send: 'DATA', expect: /^354/ },
      { send: 'Subject: fine\r\n\r\nhello\r\n.', expect: /^250 / },
    ]);
    expect(await h.stored()).toHaveLength(1);
    expect(seen.map((c) => c.stage)).toEqual(['connect', 'connect', 'rcpt', 'rcpt', 'data', 'rcpt', 'data']);
    expect(seen[2]).toMatchObject({
      remoteAddress: '127.0.0.1',
      helo: 'client.remote.test',
      mailFrom: 'sender@remote.test',
      recipient: 'bob@example.test',
      authenticated: false,
    });
    expect(seen[4]?.envelope?.rcptTo).toEqual([{ address: 'alice@example.test' }]);
  });

  it('a check that throws is a temporary failure, not a rejection', async () => {
    h = await startInbound({
      checks: [
        {
          name: 'broken',
          rcpt: () => {
            throw new Error('dnsbl timeout');
          },
        },
      ],
    });
    await smtpTranscript(h.port, '127.0.0.1', [
      ...opening.slice(0, 3),
      { send: 'RCPT TO:<alice@example.test>', expect: /^451 4\.3\.0/ },
    ]);
  });
});
