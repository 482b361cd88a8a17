import { type DnsServer, smtpTranscript, startDnsServer } from '@mailstack/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailHost, startMailHosts } from '../helpers/mail-host.ts';
import { waitFor } from '../helpers/net.ts';

// A NUL in DATA (RFC 5321 2.3.8; no 8BITMIME body may carry one) is refused by the inbound
// MTA whatever its bare line end setting: a strict host and one that lets bare CR/LF through.
let dns: DnsServer;
let strict: MailHost;
let lenient: MailHost;

beforeAll(async () => {
  dns = await startDnsServer({ ttl: 0, zone: {} });
  const common = { port: 0, dnsServer: dns.address, pregreetMs: 0 };
  [strict, lenient] = (await startMailHosts([
    {
      ...common,
      ip: '127.0.0.6',
      domain: 's.test',
      users: { 'bob@s.test': 'pw', 'postmaster@s.test': 'pw' },
    },
    {
      ...common,
      ip: '127.0.0.7',
      domain: 'l.test',
      users: { 'bob@l.test': 'pw' },
      rejectBareLineEnds: false,
    },
  ])) as [MailHost, MailHost];
});
afterAll(async () => {
  for (const host of [strict, lenient]) await host?.close();
  await dns?.close();
});

const session = (to: string, tag: string) => [
  { expect: /^220 / },
  { send: 'EHLO client.remote.test', expect: /^250/ },
  { send: 'MAIL FROM:<mallory@remote.test>', expect: /^250 / },
  { send: `RCPT TO:<${to}>`, expect: /^250 / },
  { send: 'DATA', expect: /^354 / },
  {
    send: `From: mallory@remote.test\r\nSubject: ${tag}-nul\r\n\r\nhello\0world\r\n.`,
    expect: /^550 5\.6\.0 .*NUL/,
  },
  { send: 'MAIL FROM:<mallory@remote.test>', expect: /^250 / },
  { send: `RCPT TO:<${to}>`, expect: /^250 / },
  { send: 'DATA', expect: /^354 / },
  { send: `From: mallory@remote.test\r\nSubject: ${tag}-clean\r\n\r\nhello world\r\n.`, expect: /^250 / },
  { send: 'QUIT', expect: /^221 / },
];

describe('a NUL in DATA at the inbound MTA', () => {
  it.each([
    ['strict', () => strict, 'bob@s.test'],
    ['lenient', () => lenient, 'bob@l.test'],
  ])(
    '%s host: 550 5.6.0, the session goes on, only the clean message reaches the Maildir',
    async (tag, get, to) => {
      const host = get();
      await smtpTranscript(host.port, host.ip, session(to, tag));
      await host.waitForMessage(to, (m) => m.includes(`Subject: ${tag}-clean`));
      await waitFor('the spool to empty', async () => (await host.spool.list()).length === 0);
      const inbox = await host.messages(to);
      expect(inbox).toHaveLength(1);
      expect(inbox.join('')).not.toContain(`${tag}-nul`);
    },
  );

  it('RCPT TO:<postmaster> without a domain reaches the postmaster of the host’s domain', async () => {
    await smtpTranscript(strict.port, strict.ip, [
      { expect: /^220 / },
      { send: 'EHLO client.remote.test', expect: /^250/ },
      { send: 'MAIL FROM:<someone@remote.test>', expect: /^250 / },
      { send: 'RCPT TO:<postmaster>', expect: /^250 / },
      { send: 'DATA', expect: /^354 / },
      { send: 'From: someone@remote.test\r\nSubject: abuse report\r\n\r\nhello\r\n.', expect: /^250 / },
      { send: 'QUIT', expect: /^221 / },
    ]);
    const text = await strict.waitForMessage('postmaster@s.test', (m) => m.includes('Subject: abuse report'));
    expect(text).toContain('hello');
  });
});
