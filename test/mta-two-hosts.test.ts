import {
  type DnsRecords,
  type DnsServer,
  runPython,
  smtpTranscript,
  startDnsServer,
} from '@mailstack/testkit';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MailHost, startMailHost, startMailHosts } from './helpers/mail-host.ts';
import { canConnect, waitFor } from './helpers/net.ts';

// Two complete hosts of ours, a.test on 127.0.0.2 and b.test on 127.0.0.3, one inbound port
// number for both, and a DNS server whose zone each test sets for b.test.
const A_IP = '127.0.0.2';
const B_IP = '127.0.0.3';
const DEAD_IP = '127.0.0.9';

let dns: DnsServer;
let a: MailHost;
let b: MailHost;

const BASE_ZONE = {
  'a.test': { mx: [{ preference: 10, exchange: 'mx.a.test' }] },
  'mx.a.test': { a: [A_IP] },
  'mx.b.test': { a: [B_IP] },
};
const B_BY_MX: DnsRecords = { mx: [{ preference: 10, exchange: 'mx.b.test' }] };

beforeAll(async () => {
  // TTL 0: each test changes the zone, so no cache on the way may keep an earlier answer
  dns = await startDnsServer({ ttl: 0, zone: { ...BASE_ZONE, 'b.test': B_BY_MX } });
  [a, b] = (await startMailHosts([
    {
      ip: A_IP,
      port: 0,
      domain: 'a.test',
      users: { 'alice@a.test': 'alice-pw' },
      dnsServer: dns.address,
      msa: true,
    },
    { ip: B_IP, port: 0, domain: 'b.test', users: { 'bob@b.test': 'bob-pw' }, dnsServer: dns.address },
  ])) as [MailHost, MailHost];
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await dns?.close();
});
beforeEach(() => {
  dns.replace({ ...BASE_ZONE, 'b.test': B_BY_MX });
});

let serial = 0;
const uniqueSubject = (what: string) => `${what} ${process.pid}-${++serial}`;

/** Alice submits through host A's MSA: STARTTLS, AUTH PLAIN, like a mail client. */
async function submit(to: string, subject: string): Promise<void> {
  const transport = nodemailer.createTransport({
    host: A_IP,
    port: a.msaPort,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'alice@a.test', pass: 'alice-pw' },
    name: 'laptop.a.test',
  });
  try {
    await transport.sendMail({ from: 'Alice <alice@a.test>', to, subject, text: `About ${subject}.` });
  } finally {
    transport.close();
  }
}

// The store keeps messages with LF line ends, as Dovecot does; compare line by line.
const lf = (text: string) => text.replace(/\r\n/g, '\n');
/** The header section, unfolded, one field per line. */
const headerBlock = (text: string) => {
  const plain = lf(text);
  return plain.slice(0, plain.indexOf('\n\n')).replace(/\n[ \t]+/g, ' ');
};
/** The message itself has this Subject (not a DSN that quotes it). */
const hasSubject = (subject: string) => (text: string) =>
  `\n${headerBlock(text)}\n`.includes(`\nSubject: ${subject}\n`);
/** A DSN about the message with this Subject: the returned original quotes it. */
const bounceOf = (subject: string) => (text: string) =>
  hasSubject('Undelivered Mail Returned to Sender')(text) && lf(text).includes(`\nSubject: ${subject}\n`);
const receivedFields = (text: string) =>
  headerBlock(text)
    .split('\n')
    .filter((l) => /^Received:/i.test(l));

async function spoolDrained(host: MailHost): Promise<void> {
  await waitFor(
    `${host.hostname}'s spool to empty`,
    async () => (await host.spool.list()).length === 0,
    15_000,
  );
}

// Python's email package reads a DSN as a mail reader would.
const PY_DSN = `
import sys, json, email
from email import policy
msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
out = {'type': msg.get_content_type(), 'report': msg.get_param('report-type'), 'parts': [], 'blocks': [], 'subject': None}
for part in msg.iter_parts():
    ct = part.get_content_type()
    out['parts'].append(ct)
    if ct == 'message/delivery-status':
        out['blocks'] = [{k: str(v) for k, v in block.items()} for block in part.get_payload()]
    elif ct == 'message/rfc822':
        out['subject'] = str(part.get_payload()[0]['subject'])
print(json.dumps(out))
`;

async function pythonView(bytes: string) {
  const result = await runPython(PY_DSN, [], { input: Buffer.from(bytes, 'utf8') });
  if (result.code !== 0) throw new Error(`python: ${result.stderr}`);
  return JSON.parse(result.stdout) as {
    type: string;
    report: string | null;
    parts: string[];
    blocks: Record<string, string>[];
    subject: string | null;
  };
}

describe('two hosts of ours: a.test → b.test over SMTP by MX', () => {
  it('delivers alice@a.test → bob@b.test into bob’s Maildir on host B, traced by both hops', async () => {
    const subject = uniqueSubject('Lunch');
    await submit('Bob <bob@b.test>', subject);
    const text = await b.waitForMessage('bob@b.test', hasSubject(subject));

    const head = headerBlock(text);
    expect(head).toMatch(/^Return-Path: <alice@a\.test>\n/);
    expect(head).toContain('Delivered-To: bob@b.test');
    const received = receivedFields(text);
    // newest first: B's MTA (from A's outbound worker), A's MSA (from the client)
    expect(received[0]).toMatch(/^Received: from mx\.a\.test \(.*\[127\.0\.0\.\d+\]\).* by mx\.b\.test /);
    expect(received[0]).toContain('for <bob@b.test>');
    expect(received.some((r) => /from laptop\.a\.test .* by mx\.a\.test /.test(r))).toBe(true);
    expect(await a.messages('bob@b.test')).toEqual([]);
    await spoolDrained(a);
    await spoolDrained(b);
    expect(dns.queries).toContain('MX b.test');
  });

  it('gives the message to the MX with the lowest preference, and to the next when that one is down', async () => {
    // a backup MX for b.test on 127.0.0.4: a full host of its own, own Maildirs
    const backup = await startMailHost({
      ip: '127.0.0.4',
      port: b.port,
      domain: 'b.test',
      hostname: 'mx2.b.test',
      users: { 'bob@b.test': 'bob-pw' },
      dnsServer: dns.address,
    });
    try {
      dns.set('mx2.b.test', { a: ['127.0.0.4'] });
      dns.set('b.test', {
        mx: [
          { preference: 20, exchange: 'mx2.b.test' },
          { preference: 10, exchange: 'mx.b.test' },
        ],
      });
      const first = uniqueSubject('Primary');
      await submit('bob@b.test', first);
      await b.waitForMessage('bob@b.test', hasSubject(first));
      await spoolDrained(a);
      expect((await backup.messages('bob@b.test')).filter(hasSubject(first))).toEqual([]);

      // MX 10 now names an address where nothing listens: the worker moves on to MX 20
      expect(await canConnect(b.port, DEAD_IP)).toBe(false);
      dns.set('mx.b.test', { a: [DEAD_IP] });
      const second = uniqueSubject('Failover');
      await submit('bob@b.test', second);
      const text = await backup.waitForMessage('bob@b.test', hasSubject(second));
      expect(receivedFields(text)[0]).toMatch(/ by mx2\.b\.test /);
      expect((await b.messages('bob@b.test')).filter(hasSubject(second))).toEqual([]);
      await spoolDrained(a);
    } finally {
      await backup.close();
    }
  });

  it('uses the domain’s own address when it has no MX (implicit MX, RFC 5321 5.1)', async () => {
    dns.set('b.test', { a: [B_IP] });
    const before = dns.queries.length;
    const subject = uniqueSubject('Implicit');
    await submit('bob@b.test', subject);
    await b.waitForMessage('bob@b.test', hasSubject(subject));
    const asked = dns.queries.slice(before);
    expect(asked).toContain('MX b.test');
    expect(asked).toContain('A b.test');
    await spoolDrained(a);
  });

  it('bounces at once for a null MX domain (RFC 7505): a 556 5.1.10 DSN in alice’s Maildir', async () => {
    dns.set('b.test', { nullMx: true });
    const subject = uniqueSubject('NullMx');
    await submit('bob@b.test', subject);
    // the spool's first retry would come minutes later: a DSN within seconds means no retry
    const dsn = await a.waitForMessage('alice@a.test', bounceOf(subject), 10_000);
    const mail = await simpleParser(dsn);
    const type = mail.headers.get('content-type') as { value: string; params: Record<string, string> };
    expect(type.value).toBe('multipart/report');
    expect(type.params['report-type']).toBe('delivery-status');
    expect(mail.from?.value[0]?.address).toBe('MAILER-DAEMON@mx.a.test');
    expect(mail.subject).toBe('Undelivered Mail Returned to Sender');
    expect(mail.text).toContain('Final-Recipient: rfc822; bob@b.test');
    expect(mail.text).toContain('Status: 5.1.10');
    expect(mail.text).toMatch(/Diagnostic-Code: smtp; 556 5\.1\.10 /);
    expect(headerBlock(dsn)).toMatch(/^Return-Path: <>\n/);
    expect((await b.messages('bob@b.test')).filter(hasSubject(subject))).toEqual([]);
    await spoolDrained(a);
  });

  it('turns B’s 550 5.1.1 for an unknown user into a DSN that mailparser and Python read as a bounce', async () => {
    const subject = uniqueSubject('Unknown');
    await submit('nobody@b.test', subject);
    const dsn = await a.waitForMessage('alice@a.test', bounceOf(subject));
    expect(lf(dsn)).toContain('Final-Recipient: rfc822; nobody@b.test');

    const mail = await simpleParser(dsn);
    expect((mail.headers.get('content-type') as { value: string }).value).toBe('multipart/report');
    expect(mail.text).toContain('Action: failed');
    expect(mail.text).toContain('Status: 5.1.1');
    expect(mail.text).toMatch(/Diagnostic-Code: smtp; 550 5\.1\.1 /);
    const returned = mail.attachments.find((x) => x.contentType === 'message/rfc822');
    expect(returned?.content.toString('utf8')).toContain(`Subject: ${subject}`);

    const view = await pythonView(dsn);
    expect(view.type).toBe('multipart/report');
    expect(view.report).toBe('delivery-status');
    expect(view.parts).toEqual(['text/plain', 'message/delivery-status', 'message/rfc822']);
    expect(view.blocks[0]?.['Reporting-MTA']).toBe('dns; mx.a.test');
    expect(view.blocks[1]).toMatchObject({
      'Final-Recipient': 'rfc822; nobody@b.test',
      Action: 'failed',
      Status: '5.1.1',
    });
    expect(view.subject).toBe(subject);
    await spoolDrained(a);
  });

  it('splits one submission by recipient: local copy over LMTP, remote over SMTP, a DSN for the one refused', async () => {
    const subject = uniqueSubject('Mixed');
    await submit('alice@a.test, bob@b.test, nobody@b.test', subject);
    await b.waitForMessage('bob@b.test', hasSubject(subject));
    const own = await a.waitForMessage('alice@a.test', hasSubject(subject));
    expect(headerBlock(own)).toContain('Delivered-To: alice@a.test');
    const dsn = await a.waitForMessage('alice@a.test', bounceOf(subject));
    expect(lf(dsn)).toContain('Final-Recipient: rfc822; nobody@b.test');
    // the report names only the recipient that failed
    expect(lf(dsn)).not.toContain('Final-Recipient: rfc822; bob@b.test');
    expect(lf(dsn)).not.toContain('Final-Recipient: rfc822; alice@a.test');
    await spoolDrained(a);
    await spoolDrained(b);
  });

  it('refuses to relay for an unauthenticated client on host A’s port 25 (554 5.7.1), queueing nothing', async () => {
    await spoolDrained(a);
    const t = await smtpTranscript(a.port, A_IP, [
      { expect: /^220 / },
      { send: 'EHLO spammer.example', expect: /^250/ },
      { send: 'MAIL FROM:<spammer@c.test>', expect: /^250 / },
      { send: 'RCPT TO:<victim@c.test>', expect: /^554 5\.7\.1 Relay access denied/ },
      { send: 'RCPT TO:<bob@b.test>', expect: /^554 5\.7\.1 Relay access denied/ },
      { send: 'DATA', expect: /^5\d\d / },
      { send: 'QUIT', expect: /^221/ },
    ]);
    expect(t.replies).toHaveLength(7);
    expect(await a.spool.list()).toEqual([]);
  });
});
