import { lineClient, smtpTranscript } from '@mailstack/testkit';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { trustedNetworks } from '../src/index.ts';
import { headerLines, type InboundHarness, startInbound } from './inbound-fixtures.ts';

let h: InboundHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Greeting, EHLO, MAIL FROM, then one RCPT: returns that RCPT's reply. */
async function rcptReply(port: number, mailFrom: string, rcpt: string): Promise<string> {
  const r = await smtpTranscript(port, '127.0.0.1', [
    { expect: /^220 / },
    { send: 'EHLO client.remote.test', expect: '250' },
    { send: `MAIL FROM:<${mailFrom}>`, expect: /^250 / },
    { send: `RCPT TO:${rcpt}`, expectLines: 1 },
    { send: 'QUIT', expect: /^221/ },
  ]);
  return r.replies[3] ?? '';
}

describe('inbound: never an open relay', () => {
  it('refuses remote recipients for an unauthenticated client, also from loopback', async () => {
    h = await startInbound();
    for (const [from, rcpt] of [
      ['sender@remote.test', '<victim@elsewhere.test>'],
      ['', '<victim@elsewhere.test>'],
      ['sender@example.test', '<VICTIM@ELSEWHERE.TEST>'],
      ['sender@remote.test', '<victim@[192.0.2.1]>'],
      ['sender@remote.test', '<alice%elsewhere.test@[127.0.0.1]>'],
    ] as const) {
      expect(await rcptReply(h.port, from, rcpt), `${from} → ${rcpt}`).toMatch(
        /^554 5\.7\.1 Relay access denied/,
      );
    }
  });

  it('neither relays nor delivers tricks aimed at a local domain', async () => {
    h = await startInbound();
    // the percent hack and quoted local parts reach the directory, which knows nobody by that name
    expect(await rcptReply(h.port, '', '<victim%elsewhere.test@example.test>')).toMatch(/^550 5\.1\.1 /);
    expect(await rcptReply(h.port, '', '<"victim"@example.test>')).toMatch(/^550 5\.1\.1 /);
    // smtp-server itself refuses an '@' inside a quoted local part, towards us or elsewhere
    expect(await rcptReply(h.port, '', '<"victim@elsewhere.test"@example.test>')).toMatch(/^501 5\.1\.3 /);
    expect(await rcptReply(h.port, '', '<"alice@example.test"@elsewhere.test>')).toMatch(/^501 5\.1\.3 /);
    expect(await rcptReply(h.port, '', '<victim!elsewhere.test@example.test>')).toMatch(/^550 5\.1\.1 /);
    // source routes are ignored (RFC 5321 3.6.1, C): the last hop decides, so a route through
    // us to elsewhere is a relay attempt, one through elsewhere to us is local mail
    expect(await rcptReply(h.port, '', '<@example.test:victim@elsewhere.test>')).toMatch(
      /^554 5\.7\.1 Relay access denied: <victim@elsewhere\.test>/,
    );
    expect(await rcptReply(h.port, '', '<@elsewhere.test:alice@example.test>')).toMatch(/^250 2\.1\.5/);
    expect(await h.stored()).toHaveLength(0);
  });

  it('relays for a trusted network', async () => {
    h = await startInbound({ trustedNetworks: ['127.0.0.0/8'] });
    await nodemailer
      .createTransport({ host: '127.0.0.1', port: h.port, ignoreTLS: true, name: 'relay.client.test' })
      .sendMail({ from: 'app@example.test', to: 'someone@elsewhere.test', subject: 'relayed', text: 'x' });
    const [stored] = await h.stored();
    expect(stored?.envelope.rcptTo).toEqual([{ address: 'someone@elsewhere.test' }]);
  });

  it('relays for an authenticated client, AUTH offered only after STARTTLS', async () => {
    h = await startInbound({ auth: {} });
    const plain = await smtpTranscript(h.port, '127.0.0.1', [
      { expect: /^220 / },
      { send: 'EHLO client.remote.test', expect: '250' },
      { send: 'AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1wdw==', expect: /^538 5\.7\.11/ },
    ]);
    expect(plain.replies[1]).not.toContain('AUTH');
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: h.port,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: 'alice@example.test', pass: 'alice-pw' },
    });
    await transport.sendMail({
      from: 'alice@example.test',
      to: 'friend@elsewhere.test',
      subject: 'a',
      text: 'b',
    });
    await expect(
      nodemailer
        .createTransport({
          host: '127.0.0.1',
          port: h.port,
          requireTLS: true,
          tls: { rejectUnauthorized: false },
          auth: { user: 'alice@example.test', pass: 'wrong' },
        })
        .sendMail({ from: 'alice@example.test', to: 'friend@elsewhere.test', subject: 'a', text: 'b' }),
    ).rejects.toMatchObject({ responseCode: 535 });
    const [stored, ...rest] = await h.stored();
    expect(rest).toHaveLength(0);
    expect(stored?.envelope.receivedFrom).toMatchObject({ authUser: 'alice@example.test', tls: true });
    expect(headerLines(stored?.text ?? '')[0]).toMatch(
      / with ESMTPSA \(TLS\S+ cipher \S+\) \(authenticated sender: alice@example\.test\) id /,
    );
  });

  it('parses trusted networks strictly', () => {
    const trusted = trustedNetworks(['192.0.2.0/24', '2001:db8::/32', '198.51.100.7']);
    expect(trusted('192.0.2.200')).toBe(true);
    expect(trusted('::ffff:192.0.2.1')).toBe(true);
    expect(trusted('192.0.3.1')).toBe(false);
    expect(trusted('2001:db8:1::1')).toBe(true);
    expect(trusted('198.51.100.7')).toBe(true);
    expect(trusted('198.51.100.8')).toBe(false);
    expect(trusted('127.0.0.1')).toBe(false);
    expect(() => trustedNetworks(['10.0.0.0/33'])).toThrow(/prefix/);
    expect(() => trustedNetworks(['example.test/8'])).toThrow(/not an address/);
  });
});

describe('inbound: early talkers', () => {
  it('refuses a client that talks before the greeting (default pregreet on)', async () => {
    h = await startInbound({ pregreetMs: undefined });
    const c = await lineClient(h.port);
    await c.write('EHLO spambot.test\r\n');
    const lines = await c.readUntil(/^\d{3} /);
    expect(lines.at(-1)).toMatch(/^421 /);
    expect(lines.some((l) => l.startsWith('220'))).toBe(false);
    await c.closed;
  });

  it('greets a patient client after the wait', async () => {
    h = await startInbound({ pregreetMs: undefined });
    await smtpTranscript(h.port, '127.0.0.1', [
      { expect: /^220 / },
      { send: 'EHLO patient.test', expect: '250' },
    ]);
  });
});
