/**
 * Our outbound transfer agent (packages/mta, createTransferTarget) finds Debian's Postfix as
 * the MX of a domain through our test DNS server and hands it mail over SMTP; Postfix
 * delivers it over LMTP into a recording LMTP listener of ours. Shows the message and the DSN
 * parameters arriving, one SMTP connection for two messages, and Postfix's missing SMTPUTF8
 * turning a UTF-8 recipient into our 553 5.6.7.
 */
import { bufferBlob, type Envelope, ok, readAll } from '@mailstack/core';
import { createTransferTarget, type TransferTarget } from '@mailstack/mta';
import { createSmtpListener, type SmtpListener } from '@mailstack/smtp';
import { type DnsServer, startDnsServer } from '@mailstack/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/net.ts';
import { type PostfixInstance, startPostfix } from '../helpers/postfix.ts';
import { requirePrograms } from '../helpers/programs.ts';

const DOMAIN = 'remote.test';

interface Landed {
  envelope: Envelope;
  body: string;
}

let dns: DnsServer | undefined;
let lmtp: SmtpListener | undefined;
let postfix: PostfixInstance | undefined;
let target: TransferTarget | undefined;
const landed: Landed[] = [];

beforeAll(async () => {
  requirePrograms('postfix');
  lmtp = createSmtpListener({
    protocol: 'lmtp',
    dsn: true,
    closeTimeoutMs: 500,
    handlers: {
      async onData(message) {
        landed.push({ envelope: message.envelope, body: (await readAll(message.stream)).toString('utf8') });
        return ok('Stored');
      },
    },
  });
  const address = await lmtp.listen(0, '127.0.0.1');
  if (!('port' in address)) throw new Error('expected TCP');
  postfix = await startPostfix({ domains: [DOMAIN], lmtp: { host: '127.0.0.1', port: address.port } });
  dns = await startDnsServer({
    zone: {
      [DOMAIN]: { mx: [{ preference: 10, exchange: `mx.${DOMAIN}` }] },
      [`mx.${DOMAIN}`]: { a: ['127.0.0.1'] },
    },
  });
  target = createTransferTarget({
    hostname: 'out.mailstack.test',
    port: postfix.smtpPort,
    dnsServers: [dns.address],
    idleMs: 30_000,
  });
});

afterAll(async () => {
  await target?.close();
  await postfix?.stop();
  await lmtp?.close();
  await dns?.close();
});

const send = (rcptTo: Envelope['rcptTo'], subject: string, params: Envelope['params'] = {}) =>
  (target as TransferTarget).deliver(
    { mailFrom: 'sender@mailstack.test', rcptTo, params },
    bufferBlob(
      `From: sender@mailstack.test\r\nTo: bob@${DOMAIN}\r\nSubject: ${subject}\r\n` +
        `Message-ID: <${subject}@mailstack.test>\r\n\r\nbody of ${subject}\r\n`,
    ),
  );

const landedWith = (subject: string) =>
  waitFor(
    `Postfix to deliver "${subject}"\n${postfix?.log() ?? ''}`,
    async () => landed.find((m) => m.body.includes(`Subject: ${subject}`)),
    30_000,
    50,
  );

describe('@mailstack/mta outbound → Postfix (MX from our DNS) → LMTP', () => {
  it('delivers with per-recipient DSN parameters, reusing one SMTP connection', async () => {
    const first = await send(
      [
        { address: `bob@${DOMAIN}`, notify: ['SUCCESS', 'FAILURE'], orcpt: `rfc822;bob+tag@${DOMAIN}` },
        { address: `carol@${DOMAIN}` },
      ],
      'mta-postfix-1',
      { envId: 'env+1', ret: 'HDRS' },
    );
    expect(first.map((r) => [r.recipient, r.reply.code])).toEqual([
      [`bob@${DOMAIN}`, 250],
      [`carol@${DOMAIN}`, 250],
    ]);
    expect(first[0]?.reply.text).toMatch(/queued as [0-9A-F]+/);

    const second = await send([{ address: `dave@${DOMAIN}` }], 'mta-postfix-2');
    expect(second[0]?.reply.code).toBe(250);

    const one = await landedWith('mta-postfix-1');
    expect(one.envelope.mailFrom).toBe('sender@mailstack.test');
    // Postfix kept the ORCPT we sent (xtext on both wires) and passed NOTIFY on
    const bob = one.envelope.rcptTo.find((r) => r.address === `bob@${DOMAIN}`);
    expect(bob).toMatchObject({ notify: ['SUCCESS', 'FAILURE'], orcpt: `rfc822;bob+tag@${DOMAIN}` });
    expect(one.body).toMatch(/^Received: from out\.mailstack\.test \(/m);
    expect(one.body).toContain('body of mta-postfix-1');
    await landedWith('mta-postfix-2');

    const log = postfix as PostfixInstance;
    await log.waitForLog(/to=<dave@remote\.test>.*status=sent/);
    // both messages came over one connection: besides the helper's start-up probe (connect,
    // then nothing), smtpd saw a single client connection
    const text = log.log();
    const connects = text.match(/smtpd\[\d+\]: connect from /g)?.length ?? 0;
    const probes = text.match(/smtpd\[\d+\]: lost connection after CONNECT /g)?.length ?? 0;
    expect(connects - probes).toBe(1);
  });

  it('fails a UTF-8 recipient with 553 5.6.7: this Postfix has smtputf8_enable = no', async () => {
    const [result] = await send([{ address: `jörg@${DOMAIN}` }], 'mta-postfix-utf8');
    expect(result?.reply).toMatchObject({ code: 553, enhanced: '5.6.7' });
  });
});
