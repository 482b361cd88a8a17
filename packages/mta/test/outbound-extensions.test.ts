import { bufferBlob, type Envelope, type Recipient, SmtpError } from '@mailstack/core';
import { memorySpool, startQueueRunner } from '@mailstack/queue';
import { type DnsServer, startDnsServer } from '@mailstack/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTransferTarget, type TransferTargetOptions } from '../src/index.ts';
import {
  message,
  type PeerOptions,
  peerCertificate,
  startPeer,
  startWireTap,
  until,
} from './outbound-fixtures.ts';

let dns: DnsServer;
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  dns = await startDnsServer({
    zone: {
      'peer.test': { mx: [{ preference: 10, exchange: 'mx.peer.test' }] },
      'mx.peer.test': { a: ['127.0.0.2'] },
    },
  });
});
afterAll(() => dns.close());
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function setup(peer: Omit<PeerOptions, 'host'>, options: Partial<TransferTargetOptions> = {}) {
  const started = await startPeer({ host: '127.0.0.2', ...peer });
  open.push(started);
  const target = createTransferTarget({
    hostname: 'out.sender.test',
    port: started.port,
    dnsServers: [dns.address],
    ...options,
  });
  open.push(target);
  return { peer: started, target };
}

const envelope = (
  rcpt: Array<string | Recipient>,
  params: Envelope['params'] = {},
  from = 'me@sender.test',
) => ({
  mailFrom: from,
  rcptTo: rcpt.map((r) => (typeof r === 'string' ? { address: r } : r)),
  params,
});

describe('transfer target: TLS (RFC 3207)', () => {
  it('uses STARTTLS when the peer offers it (self-signed accepted)', async () => {
    const { peer, target } = await setup({ tls: true });
    const [result] = await target.deliver(envelope(['u@peer.test']), bufferBlob(message()));
    expect(result?.reply.code).toBe(250);
    expect(peer.messages[0]?.secure).toBe(true);
  });

  it('sends in cleartext to a peer without STARTTLS by default', async () => {
    const { peer, target } = await setup({});
    await target.deliver(envelope(['u@peer.test']), bufferBlob(message()));
    expect(peer.messages[0]?.secure).toBe(false);
  });

  it('defers with 4.7.10 when the destination requires TLS and the peer has none', async () => {
    const { peer, target } = await setup({}, { tlsPolicy: { 'peer.test': { required: true } } });
    const [result] = await target.deliver(envelope(['u@peer.test']), bufferBlob(message()));
    expect(result?.reply).toMatchObject({ code: 451, enhanced: '4.7.10' });
    expect(peer.messages).toEqual([]);
  });

  it('defers with 4.7.5 when verified TLS is required and the certificate is self-signed', async () => {
    const { peer, target } = await setup({ tls: true }, { tlsPolicy: { 'peer.test': { verify: true } } });
    const [result] = await target.deliver(envelope(['u@peer.test']), bufferBlob(message()));
    expect(result?.reply).toMatchObject({ code: 451, enhanced: '4.7.5' });
    expect(result?.reply.text).toMatch(/self-signed/);
    expect(peer.messages).toEqual([]);
  });
});

describe('transfer target: smarthost and verified TLS', () => {
  it('relays everything through a smarthost with STARTTLS and AUTH', async () => {
    const peer = await startPeer({ host: '127.0.0.3', tls: true, auth: { user: 'relay', pass: 's3cret' } });
    open.push(peer);
    const target = createTransferTarget({
      dnsServers: [dns.address],
      smarthost: {
        host: '[127.0.0.3]',
        port: peer.port,
        auth: { user: 'relay', pass: 's3cret' },
        tls: { required: true },
      },
    });
    open.push(target);
    const results = await target.deliver(envelope(['x@anywhere.test', 'y@peer.test']), bufferBlob(message()));
    expect(results.map((r) => r.reply.code)).toEqual([250, 250]);
    expect(peer.messages.map((m) => [m.secure, m.envelope.receivedFrom?.authUser])).toEqual([
      [true, 'relay'],
      [true, 'relay'],
    ]);
  });

  it('defers with 4.7.0 when the smarthost refuses our credentials', async () => {
    const peer = await startPeer({ host: '127.0.0.3', tls: true, auth: { user: 'relay', pass: 's3cret' } });
    open.push(peer);
    const target = createTransferTarget({
      smarthost: { host: '127.0.0.3', port: peer.port, auth: { user: 'relay', pass: 'wrong' } },
    });
    open.push(target);
    const [result] = await target.deliver(envelope(['x@anywhere.test']), bufferBlob(message()));
    expect(result?.reply).toMatchObject({ code: 451, enhanced: '4.7.0' });
    expect(peer.messages).toEqual([]);
  });

  it('delivers over verified TLS when the MX name and a trusted CA match the certificate', async () => {
    // the peer's certificate is for mx.example.test, self-signed: trusted here as its own CA
    dns.set('verified.test', { mx: [{ preference: 10, exchange: 'mx.example.test' }] });
    dns.set('mx.example.test', { a: ['127.0.0.2'] });
    const { cert } = await peerCertificate();
    const { peer, target } = await setup(
      { tls: true },
      { tlsPolicy: { 'verified.test': { verify: true, ca: cert } } },
    );
    const [result] = await target.deliver(envelope(['u@verified.test']), bufferBlob(message()));
    expect(result?.reply.code).toBe(250);
    expect(peer.messages[0]?.secure).toBe(true);
  });
});

describe('transfer target: SMTPUTF8, 8BITMIME, SIZE', () => {
  it('fails a UTF-8 address with 5.6.7 when the peer lacks SMTPUTF8 (RFC 6531 3.2)', async () => {
    const { peer, target } = await setup({ hide: ['SMTPUTF8'] });
    const results = await target.deliver(envelope(['jörg@peer.test']), bufferBlob(message()));
    expect(results[0]?.reply).toMatchObject({ code: 553, enhanced: '5.6.7' });
    const flagged = await target.deliver(
      envelope(['u@peer.test'], { smtpUtf8: true }),
      bufferBlob(message()),
    );
    expect(flagged[0]?.reply).toMatchObject({ code: 553, enhanced: '5.6.7' });
    expect(peer.messages).toEqual([]);
  });

  it('sends SMTPUTF8 to a peer that has it, also for a flagged message with ASCII addresses', async () => {
    const { peer, target } = await setup({});
    await target.deliver(envelope(['jörg@peer.test']), bufferBlob(message()));
    await target.deliver(envelope(['u@peer.test'], { smtpUtf8: true }), bufferBlob(message()));
    expect(peer.messages.map((m) => [m.envelope.rcptTo[0]?.address, m.envelope.params.smtpUtf8])).toEqual([
      ['jörg@peer.test', true],
      ['u@peer.test', true],
    ]);
  });

  it('fails an 8-bit message with 5.6.3 when the peer lacks 8BITMIME, else sends BODY=8BITMIME', async () => {
    const plain = await setup({ hide: ['8BITMIME'] });
    const [refused] = await plain.target.deliver(
      envelope(['u@peer.test'], { body: '8BITMIME' }),
      bufferBlob(message('Grüße')),
    );
    expect(refused?.reply).toMatchObject({ code: 554, enhanced: '5.6.3' });
    await Promise.all(open.splice(0).map((o) => o.close()));
    const capable = await setup({});
    await capable.target.deliver(
      envelope(['u@peer.test'], { body: '8BITMIME' }),
      bufferBlob(message('Grüße')),
    );
    expect(capable.peer.messages[0]?.envelope.params.body).toBe('8BITMIME');
  });

  it("fails a message over the peer's SIZE with 552 5.3.4 before sending it", async () => {
    const { peer, target } = await setup({ maxMessageSize: 100 });
    const [result] = await target.deliver(envelope(['u@peer.test']), bufferBlob(message('x'.repeat(200))));
    expect(result?.reply).toMatchObject({ code: 552, enhanced: '5.3.4' });
    expect(peer.connections()).toBe(1);
    expect(peer.messages).toEqual([]);
  });
});

describe('transfer target: DSN parameters (RFC 3461)', () => {
  it('passes NOTIFY, ORCPT, ENVID and RET per recipient, xtext-encoded on the wire', async () => {
    const peer = await startPeer({ host: '127.0.0.2' });
    open.push(peer);
    const tap = await startWireTap('127.0.0.3', 0, { host: '127.0.0.2', port: peer.port });
    open.push(tap);
    dns.set('tapped.test', { a: ['127.0.0.3'] });
    const target = createTransferTarget({ hostname: 'out.test', port: tap.port, dnsServers: [dns.address] });
    open.push(target);
    const results = await target.deliver(
      envelope(
        [
          { address: 'a@tapped.test', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;a+b@x.test' },
          { address: 'c@tapped.test', notify: ['NEVER'], orcpt: 'rfc822;c=d@x.test' },
        ],
        { envId: 'id+1=2', ret: 'HDRS' },
      ),
      bufferBlob(message()),
    );
    expect(results.map((r) => r.reply.code)).toEqual([250, 250]);
    const wire = tap.clientText();
    expect(wire).toMatch(/MAIL FROM:<me@sender\.test> .*RET=HDRS ENVID=id\+2B1\+3D2\r\n/);
    expect(wire).toContain('RCPT TO:<a@tapped.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bb@x.test\r\n');
    expect(wire).toContain('RCPT TO:<c@tapped.test> NOTIFY=NEVER ORCPT=rfc822;c+3Dd@x.test\r\n');
    // and the peer decodes them back to what we were given
    expect(peer.messages[0]?.envelope.rcptTo).toEqual([
      { address: 'a@tapped.test', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;a+b@x.test' },
      { address: 'c@tapped.test', notify: ['NEVER'], orcpt: 'rfc822;c=d@x.test' },
    ]);
    expect(peer.messages[0]?.envelope.params).toMatchObject({ envId: 'id+1=2', ret: 'HDRS' });
    // PIPELINING (RFC 2920): MAIL, both RCPTs and DATA left in one write
    expect(tap.clientReads().find((r) => r.startsWith('MAIL FROM'))).toMatch(
      /^MAIL FROM:.*\r\nRCPT TO:.*\r\nRCPT TO:.*\r\nDATA\r\n$/,
    );
  });

  it('leaves DSN parameters off for a peer without DSN', async () => {
    const { peer, target } = await setup({ dsn: false });
    const results = await target.deliver(
      envelope([{ address: 'a@peer.test', notify: ['FAILURE'], orcpt: 'rfc822;a@x.test' }], { envId: 'e1' }),
      bufferBlob(message()),
    );
    expect(results[0]?.reply.code).toBe(250);
    expect(peer.messages[0]?.envelope.rcptTo).toEqual([{ address: 'a@peer.test' }]);
  });
});

describe('transfer target under the queue runner', () => {
  it('defers on 450 and a later attempt of the runner delivers', async () => {
    let refusals = 0;
    const { peer, target } = await setup({
      onRcpt() {
        if (refusals++ === 0) throw new SmtpError(450, '4.2.0', 'Greylisted, come back later');
      },
    });
    const spool = memorySpool({ retry: { delaysMs: [1] } });
    const replies: string[] = [];
    const recording = {
      async deliver(env: Envelope, blob: Parameters<typeof target.deliver>[1]) {
        const results = await target.deliver(env, blob);
        replies.push(...results.map((r) => `${r.reply.code} ${r.reply.enhanced}`));
        return results;
      },
    };
    await spool.enqueue(envelope(['u@peer.test']), bufferBlob(message()));
    const runner = startQueueRunner({ spool, target: recording, pollMs: 20 });
    open.push({ close: () => runner.stop() });
    await until(() => peer.messages.length === 1);
    await until(() => replies.length === 2);
    expect(replies).toEqual(['450 4.2.0', '250 2.0.0']);
    await runner.stop();
    expect(await spool.list()).toEqual([]);
  });
});
