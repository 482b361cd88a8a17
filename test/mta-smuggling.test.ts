import { type DnsServer, smtpTranscript, startDnsServer } from '@mailstack/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailHost, startMailHosts } from './helpers/mail-host.ts';
import { waitFor } from './helpers/net.ts';

// SMTP smuggling (CVE-2023-51764 and kin): a sender hides a second message behind a fake end
// of data (`<LF>.<CRLF>`) that one hop reads as content and another as the end. Against our
// hosts the hidden commands must never become a message of their own.
//   b.test (127.0.0.3): default inbound, bare CR/LF refused (550 5.6.0)
//   c.test (127.0.0.4): rejectBareLineEnds: false
//   a.test (127.0.0.2): relays for 127.0.0.1, bare line ends allowed, so it passes them on to c.test
let dns: DnsServer;
let a: MailHost;
let b: MailHost;
let c: MailHost;

beforeAll(async () => {
  dns = await startDnsServer({
    ttl: 0,
    zone: {
      'b.test': { mx: [{ preference: 10, exchange: 'mx.b.test' }] },
      'mx.b.test': { a: ['127.0.0.3'] },
      'c.test': { mx: [{ preference: 10, exchange: 'mx.c.test' }] },
      'mx.c.test': { a: ['127.0.0.4'] },
    },
  });
  const common = { port: 0, dnsServer: dns.address, pregreetMs: 0 };
  [a, b, c] = (await startMailHosts([
    {
      ...common,
      ip: '127.0.0.2',
      domain: 'a.test',
      users: { 'alice@a.test': 'pw' },
      trustedNetworks: ['127.0.0.1'],
      rejectBareLineEnds: false,
    },
    { ...common, ip: '127.0.0.3', domain: 'b.test', users: { 'bob@b.test': 'pw' } },
    {
      ...common,
      ip: '127.0.0.4',
      domain: 'c.test',
      users: { 'bob@c.test': 'pw' },
      rejectBareLineEnds: false,
    },
  ])) as [MailHost, MailHost, MailHost];
});
afterAll(async () => {
  for (const host of [a, b, c]) await host?.close();
  await dns?.close();
});

/** A message whose body hides `MAIL/RCPT/DATA` for a second one behind `<LF>.<CRLF>`. */
const smuggling = (tag: string, to: string) =>
  `From: mallory@evil.test\r\nTo: ${to}\r\nSubject: ${tag}-real\r\n\r\nhello\n.\r\n` +
  `MAIL FROM:<ceo@evil.test>\r\nRCPT TO:<${to}>\r\nDATA\r\nFrom: ceo@evil.test\r\nSubject: ${tag}-smuggled\r\n\r\nwire the money\r\n.\r\n`;

/** MAIL, RCPT, DATA, then the payload and QUIT in one write: a fooled server would answer the hidden commands before 221. */
async function inject(host: MailHost, to: string, payload: string) {
  const t = await smtpTranscript(host.port, host.ip, [
    { expect: /^220 / },
    { send: 'EHLO mallory.evil.test', expect: /^250/ },
    { send: 'MAIL FROM:<mallory@evil.test>', expect: /^250 / },
    { send: `RCPT TO:<${to}>`, expect: /^250 / },
    { send: 'DATA', expect: /^354 / },
    { send: `${payload}QUIT\r\n`, expectLines: 2 },
  ]);
  return t.replies.slice(-2);
}

const subjects = (texts: string[]) =>
  texts.flatMap((t) => t.split(/\r?\n\r?\n/)[0]?.match(/^Subject: .*$/gm) ?? []);

describe('SMTP smuggling against our hosts', () => {
  it('host B refuses the bare LF with 550 5.6.0 and keeps serving: only the clean message reaches bob', async () => {
    const t = await smtpTranscript(b.port, b.ip, [
      { expect: /^220 / },
      { send: 'EHLO mallory.evil.test', expect: /^250/ },
      { send: 'MAIL FROM:<mallory@evil.test>', expect: /^250 / },
      { send: 'RCPT TO:<bob@b.test>', expect: /^250 / },
      { send: 'DATA', expect: /^354 / },
      { send: smuggling('strict', 'bob@b.test'), expect: /^550 5\.6\.0 / },
      // the same session goes on with an honest message
      { send: 'MAIL FROM:<mallory@evil.test>', expect: /^250 / },
      { send: 'RCPT TO:<bob@b.test>', expect: /^250 / },
      { send: 'DATA', expect: /^354 / },
      { send: 'Subject: strict-clean\r\n\r\nnothing hidden\r\n.\r\n', expect: /^250 / },
      { send: 'QUIT', expect: /^221 / },
    ]);
    expect(t.replies).toHaveLength(11);
    await b.waitForMessage('bob@b.test', (m) => m.includes('Subject: strict-clean'));
    await waitFor('host B’s spool to empty', async () => (await b.spool.list()).length === 0);
    const inbox = await b.messages('bob@b.test');
    expect(subjects(inbox)).toEqual(['Subject: strict-clean']);
  });

  it('host C, bare line ends allowed, takes the whole thing as one message (rejectBareLineEnds: false)', async () => {
    const replies = await inject(c, 'bob@c.test', smuggling('direct', 'bob@c.test'));
    expect(replies[0]).toMatch(/^250 /);
    expect(replies[1]).toMatch(/^221 /);
    const text = await c.waitForMessage('bob@c.test', (m) => m.includes('Subject: direct-real'));
    await waitFor('host C’s spool to empty', async () => (await c.spool.list()).length === 0);
    // the hidden commands are body text of the one message
    expect(text).toContain('MAIL FROM:<ceo@evil.test>');
    expect(subjects(await c.messages('bob@c.test')).filter((s) => s.startsWith('Subject: direct'))).toEqual([
      'Subject: direct-real',
    ]);
  });

  it('relayed A → C (both lenient), it is still one message in bob’s Maildir', async () => {
    const replies = await inject(a, 'bob@c.test', smuggling('relayed', 'bob@c.test'));
    expect(replies[0]).toMatch(/^250 /);
    const text = await c.waitForMessage('bob@c.test', (m) => m.includes('Subject: relayed-real'));
    await waitFor(
      'both spools to empty',
      async () => (await a.spool.list()).length + (await c.spool.list()).length === 0,
    );
    expect(text).toMatch(/\sby mx\.c\.test /);
    expect(text).toMatch(/\sby mx\.a\.test /);
    expect(text).toContain('wire the money');
    expect(subjects(await c.messages('bob@c.test')).filter((s) => s.startsWith('Subject: relayed'))).toEqual([
      'Subject: relayed-real',
    ]);
    // and no bounce came back to anybody on A
    expect(await a.messages('alice@a.test')).toEqual([]);
  });
});
