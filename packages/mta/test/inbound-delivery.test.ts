import type { Envelope, Spool } from '@mailstack/core';
import { runPython, smtpTranscript } from '@mailstack/testkit';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeResolver, headerLines, type InboundHarness, startInbound } from './inbound-fixtures.ts';

let h: InboundHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const transport = (port: number, extra: object = {}) =>
  nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    name: 'client.remote.test',
    tls: { rejectUnauthorized: false },
    ...extra,
  });

describe('inbound: mail for local users', () => {
  it('takes a message over STARTTLS (nodemailer) and queues it with Received and Authentication-Results', async () => {
    const resolver = fakeResolver({ 'remote.test/TXT': [['v=spf1 ip4:127.0.0.1 -all']] });
    h = await startInbound({ authentication: { dnsResolver: resolver } });
    const info = await transport(h.port).sendMail({
      envelope: { from: 'sender@remote.test', to: ['alice@example.test'] },
      from: 'sender@remote.test',
      to: 'alice@example.test',
      subject: 'hello from afar',
      text: 'hi alice',
    });
    expect(info.response).toMatch(/^250 2\.0\.0 Queued as (\S+)/);
    const [stored, ...rest] = await h.stored();
    expect(rest).toHaveLength(0);
    expect(info.response).toContain(stored?.id);
    expect(stored?.envelope).toMatchObject({
      mailFrom: 'sender@remote.test',
      rcptTo: [{ address: 'alice@example.test' }],
      receivedFrom: { helo: 'client.remote.test', address: '127.0.0.1', tls: true },
    });
    const lines = headerLines(stored?.text ?? '');
    // newest trace on top: Authentication-Results, Received-SPF, then our Received
    expect(lines[0]).toMatch(
      /^Authentication-Results: mx\.example\.test; dkim=none \(message not signed\); spf=pass .*smtp\.mailfrom=sender@remote\.test.*; dmarc=none/,
    );
    expect(lines[1]).toMatch(/^Received-SPF: pass /);
    expect(lines[2]).toMatch(
      /^Received: from client\.remote\.test \(\[127\.0\.0\.1\]\) by mx\.example\.test \(Mailstack MTA\) with ESMTPS \(TLSv1\.3 cipher \S+\) id \S+ for <alice@example\.test>; \w{3}, \d+ \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/,
    );
    expect(stored?.text).toContain('Subject: hello from afar\r\n');
    expect(stored?.text).toContain('hi alice');
    expect(resolver.queries).toContain('remote.test/TXT');
  });

  it('does no DNS at all with the checks off, and says ESMTP without TLS', async () => {
    h = await startInbound();
    await transport(h.port, { ignoreTLS: true }).sendMail({
      from: 'sender@remote.test',
      to: 'bob@example.test',
      subject: 'plain',
      text: 'x',
    });
    const [stored] = await h.stored();
    const lines = headerLines(stored?.text ?? '');
    expect(lines[0]).toMatch(
      /^Received: from client\.remote\.test \(\[127\.0\.0\.1\]\) by mx\.example\.test \(Mailstack MTA\) with ESMTP id /,
    );
    expect(stored?.text).not.toContain('Authentication-Results');
  });

  it('names the client by its reverse DNS name when a lookup is configured', async () => {
    const asked: string[] = [];
    h = await startInbound({
      reverseLookup: async (ip) => {
        asked.push(ip);
        return ['host-1.rdns.test'];
      },
    });
    await transport(h.port, { ignoreTLS: true }).sendMail({
      from: 'sender@remote.test',
      to: 'bob@example.test',
      subject: 'rdns',
      text: 'x',
    });
    const [stored] = await h.stored();
    expect(asked).toEqual(['127.0.0.1']);
    expect(headerLines(stored?.text ?? '')[0]).toMatch(
      /^Received: from client\.remote\.test \(host-1\.rdns\.test \[127\.0\.0\.1\]\) by mx\.example\.test /,
    );
    expect(stored?.envelope.receivedFrom?.hostname).toBe('host-1.rdns.test');
  });

  it('refuses an unknown local user with 550 5.1.1 and keeps the good recipients', async () => {
    h = await startInbound();
    const r = await smtpTranscript(h.port, '127.0.0.1', [
      { expect: /^220 / },
      { send: 'EHLO client.remote.test', expect: '250' },
      { send: 'MAIL FROM:<sender@remote.test>', expect: /^250 2\.1\.0/ },
      { send: 'RCPT TO:<nobody@example.test>', expect: /^550 5\.1\.1 / },
      { send: 'RCPT TO:<alice@example.test>', expect: /^250 2\.1\.5/ },
      { send: 'DATA', expect: /^354/ },
      { send: 'Subject: one\r\n\r\nbody\r\n.', expect: /^250 2\.0\.0 Queued as/ },
      { send: 'QUIT', expect: /^221/ },
    ]);
    expect(r.replies).toHaveLength(8);
    const [stored] = await h.stored();
    expect(stored?.envelope.rcptTo).toEqual([{ address: 'alice@example.test' }]);
  });

  it('advertises the extensions of a port 25 listener, STARTTLS but no AUTH', async () => {
    h = await startInbound();
    const r = await smtpTranscript(h.port, '127.0.0.1', [
      { expect: /^220 mx\.example\.test / },
      { send: 'EHLO client.remote.test', expect: /^250-mx\.example\.test/ },
      { send: 'QUIT', expect: /^221/ },
    ]);
    const ehlo = r.replies[1] ?? '';
    for (const ext of ['STARTTLS', 'PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'DSN']) {
      expect(ehlo).toContain(`250-${ext}`);
    }
    expect(ehlo).toMatch(/250[- ]SIZE 26214400/);
    expect(ehlo).not.toContain('AUTH');
  });

  it('stores the DSN parameters xtext-decoded, and a pipelined transaction works', async () => {
    h = await startInbound();
    await smtpTranscript(h.port, '127.0.0.1', [
      { expect: /^220 / },
      { send: 'EHLO client.remote.test', expect: '250' },
      {
        send:
          'MAIL FROM:<sender@remote.test> RET=HDRS ENVID=env+2Bid-1\r\n' +
          'RCPT TO:<alice@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice+2Bx@example.test\r\n' +
          'RCPT TO:<bob@example.test> NOTIFY=NEVER\r\n' +
          'DATA\r\n',
        expectLines: 4,
        expect: /^250 2\.1\.0.*\n250 2\.1\.5.*\n250 2\.1\.5.*\n354/,
      },
      { send: 'Subject: dsn\r\n\r\nbody\r\n.', expect: /^250 2\.0\.0/ },
    ]);
    const [stored] = await h.stored();
    expect(stored?.envelope).toMatchObject({
      mailFrom: 'sender@remote.test',
      rcptTo: [
        {
          address: 'alice@example.test',
          notify: ['SUCCESS', 'FAILURE'],
          orcpt: 'rfc822;alice+x@example.test',
        },
        { address: 'bob@example.test', notify: ['NEVER'] },
      ],
      params: { ret: 'HDRS', envId: 'env+id-1' },
    });
    // two recipients: the Received field names neither
    expect(headerLines(stored?.text ?? '')[0]).not.toContain(' for <');
  });

  it('stores a UTF-8 address sent with SMTPUTF8 by Python smtplib', async () => {
    h = await startInbound();
    const script = `
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='client.remote.test')
msg = 'From: ü@remote.test\\r\\nTo: jöran@exämple.test\\r\\nSubject: utf8\\r\\n\\r\\nhej\\r\\n'.encode('utf-8')
s.sendmail('ü@remote.test', ['jöran@exämple.test'], msg, mail_options=['SMTPUTF8', 'BODY=8BITMIME'])
s.quit()
print('sent')
`;
    const r = await runPython(script, [h.port]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('sent');
    const [stored] = await h.stored();
    expect(stored?.envelope).toMatchObject({
      mailFrom: 'ü@remote.test',
      rcptTo: [{ address: 'jöran@exämple.test' }],
      params: { smtpUtf8: true, body: '8BITMIME' },
    });
    expect(headerLines(stored?.text ?? '')[0]).toMatch(/ with UTF8SMTP id .* for <jöran@exämple\.test>;/);
    expect(stored?.text).toContain('To: jöran@exämple.test\r\n');
  });

  it('refuses a non-ASCII address without SMTPUTF8', async () => {
    h = await startInbound();
    await smtpTranscript(h.port, '127.0.0.1', [
      { expect: /^220 / },
      { send: 'EHLO client.remote.test', expect: '250' },
      { send: 'MAIL FROM:<ü@remote.test>', expect: /^553 5\.6\.7/ },
    ]);
  });

  it('answers 451 4.3.0 when the spool fails, and nothing is lost silently', async () => {
    const failing: Spool = {
      enqueue: async () => {
        throw new Error('disk on fire');
      },
      lease: async () => [],
      settle: async () => {},
      renew: async () => false,
      onEvent: () => () => {},
      onWake: () => () => {},
    };
    h = await startInbound({ spool: failing });
    await smtpTranscript(h.port, '127.0.0.1', [
      { expect: /^220 / },
      { send: 'EHLO client.remote.test', expect: '250' },
      { send: 'MAIL FROM:<sender@remote.test>', expect: /^250/ },
      { send: 'RCPT TO:<alice@example.test>', expect: /^250/ },
      { send: 'DATA', expect: /^354/ },
      { send: 'Subject: x\r\n\r\nbody\r\n.', expect: /^451 4\.3\.0 / },
      // the session goes on: the client may try again
      { send: 'RSET', expect: /^250/ },
    ]);
  });

  it('answers 250 only after the enqueue resolved', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const seen: Envelope[] = [];
    let enqueued = false;
    const slow: Spool = {
      enqueue: async (envelope) => {
        seen.push(envelope);
        await gate;
        enqueued = true;
        return 'Q1';
      },
      lease: async () => [],
      settle: async () => {},
      renew: async () => false,
      onEvent: () => () => {},
      onWake: () => () => {},
    };
    h = await startInbound({ spool: slow });
    const sending = smtpTranscript(h.port, '127.0.0.1', [
      { expect: /^220 / },
      { send: 'EHLO client.remote.test', expect: '250' },
      { send: 'MAIL FROM:<sender@remote.test>', expect: /^250/ },
      { send: 'RCPT TO:<alice@example.test>', expect: /^250/ },
      { send: 'DATA', expect: /^354/ },
      { send: 'Subject: x\r\n\r\nbody\r\n.', expect: /^250 2\.0\.0 Queued as Q1/ },
    ]);
    for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toHaveLength(1);
    expect(enqueued).toBe(false);
    release();
    await sending;
    expect(enqueued).toBe(true);
  });
});
