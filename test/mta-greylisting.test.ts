import type { InboundCheck } from '@mailstack/mta';
import { type DnsServer, startDnsServer } from '@mailstack/testkit';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailHost, startMailHosts } from './helpers/mail-host.ts';
import { waitFor } from './helpers/net.ts';

/**
 * A greylisting peer: the first attempt of each (client IP, sender, recipient) triplet gets
 * 450 4.7.1 at RCPT, later ones pass. Every verdict is recorded.
 */
function greylist(): InboundCheck & { verdicts: string[] } {
  const seen = new Set<string>();
  const verdicts: string[] = [];
  return {
    name: 'greylist',
    verdicts,
    rcpt(ctx) {
      const triplet = `${ctx.remoteAddress}/${ctx.mailFrom}/${ctx.recipient}`;
      if (seen.has(triplet)) {
        verdicts.push(`accept ${ctx.recipient}`);
        return { action: 'accept' };
      }
      seen.add(triplet);
      verdicts.push(`tempfail ${ctx.recipient}`);
      return {
        action: 'tempfail',
        reply: { code: 450, enhanced: '4.7.1', text: 'Greylisted, try again later' },
      };
    },
  };
}

let dns: DnsServer;
let a: MailHost;
let b: MailHost;
const check = greylist();

beforeAll(async () => {
  dns = await startDnsServer({
    ttl: 0,
    zone: {
      'b.test': { mx: [{ preference: 10, exchange: 'mx.b.test' }] },
      'mx.b.test': { a: ['127.0.0.3'] },
    },
  });
  [a, b] = (await startMailHosts([
    {
      ip: '127.0.0.2',
      port: 0,
      domain: 'a.test',
      users: { 'alice@a.test': 'alice-pw' },
      dnsServer: dns.address,
      msa: true,
      // minutes in production; a second here
      retry: { delaysMs: [1000] },
    },
    {
      ip: '127.0.0.3',
      port: 0,
      domain: 'b.test',
      users: { 'bob@b.test': 'bob-pw' },
      dnsServer: dns.address,
      checks: [check],
      // the file-backed directory (packages/directory) here, the memory one elsewhere
      directory: 'file',
    },
  ])) as [MailHost, MailHost];
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await dns?.close();
});

describe('a greylisting peer', () => {
  it('answers 450 to the first attempt; host A retries from its spool and the message arrives once', async () => {
    const transport = nodemailer.createTransport({
      host: a.ip,
      port: a.msaPort,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: 'alice@a.test', pass: 'alice-pw' },
    });
    try {
      await transport.sendMail({
        from: 'alice@a.test',
        to: 'bob@b.test',
        subject: 'Greylisted',
        text: 'Hi.',
      });
    } finally {
      transport.close();
    }

    // the deferral is on record in A's spool before the retry takes it
    const deferred = await waitFor('the 450 in host A’s spool', async () => {
      const [entry] = await a.spool.list();
      const state = entry?.recipients[0];
      return state?.status === 'deferred' ? state : undefined;
    });
    expect(deferred.lastReply).toMatchObject({ code: 450, enhanced: '4.7.1' });
    expect(deferred.attempts).toBe(1);

    await b.waitForMessage('bob@b.test', (t) => t.includes('Subject: Greylisted'));
    expect(check.verdicts).toEqual(['tempfail bob@b.test', 'accept bob@b.test']);
    await waitFor('host A’s spool to empty', async () => (await a.spool.list()).length === 0);
    expect(await b.messages('bob@b.test')).toHaveLength(1);
    // a deferral is no failure: no DSN for alice
    expect(await a.messages('alice@a.test')).toEqual([]);
  });
});
