import { type AddressInfo, createServer, type Socket } from 'node:net';
import { bufferBlob, type Envelope, type Recipient, readAll, SmtpError } from '@mailstack/core';
import { type DnsServer, startDnsServer } from '@mailstack/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTransferTarget, type TransferTarget, type TransferTargetOptions } from '../src/index.ts';
import { message, type Peer, type PeerOptions, startPeers, until } from './outbound-fixtures.ts';

let dns: DnsServer;
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  dns = await startDnsServer({
    zone: {
      'mx-a.test': { a: ['127.0.0.2'] },
      'mx-b.test': { a: ['127.0.0.3'] },
      'down.test': { a: ['127.0.0.4'] },
    },
  });
});
afterAll(() => dns.close());
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

/** Peers on their loopback addresses (one shared port) and a transfer target aimed at them. */
async function setup(
  peers: PeerOptions[],
  options: Partial<TransferTargetOptions> = {},
): Promise<{ peers: Peer[]; target: TransferTarget }> {
  const started = await startPeers(peers);
  open.push(...started);
  const target = createTransferTarget({
    hostname: 'out.sender.test',
    port: started[0]?.port ?? 25,
    dnsServers: [dns.address],
    dnsTimeoutMs: 500,
    ...options,
  });
  open.push(target);
  return { peers: started, target };
}

const envelope = (rcpt: Array<string | Recipient>, params: Envelope['params'] = {}): Envelope => ({
  mailFrom: 'sender@sender.test',
  rcptTo: rcpt.map((r) => (typeof r === 'string' ? { address: r } : r)),
  params,
});

const codes = (results: Array<{ reply: { code: number; enhanced: string } }>) =>
  results.map((r) => `${r.reply.code} ${r.reply.enhanced}`);

describe('transfer target: MX delivery', () => {
  it('delivers to the most preferred MX', async () => {
    dns.set('pref.test', {
      mx: [
        { preference: 20, exchange: 'mx-b.test' },
        { preference: 10, exchange: 'mx-a.test' },
      ],
    });
    const { peers, target } = await setup([{ host: '127.0.0.2' }, { host: '127.0.0.3' }]);
    const results = await target.deliver(envelope(['u@pref.test']), bufferBlob(message()));
    expect(codes(results)).toEqual(['250 2.0.0']);
    expect(peers[0]?.messages.map((m) => m.envelope.rcptTo[0]?.address)).toEqual(['u@pref.test']);
    expect(peers[0]?.messages[0]?.helo).toBe('out.sender.test');
    expect(peers[1]?.messages).toEqual([]);
  });

  it('sends a bounce with the null sender as MAIL FROM:<>', async () => {
    dns.set('bounce.test', { mx: [{ preference: 10, exchange: 'mx-a.test' }] });
    const { peers, target } = await setup([{ host: '127.0.0.2' }]);
    const results = await target.deliver(
      { ...envelope(['u@bounce.test']), mailFrom: '' },
      bufferBlob(message()),
    );
    expect(codes(results)).toEqual(['250 2.0.0']);
    expect(peers[0]?.messages[0]?.envelope.mailFrom).toBe('');
  });

  it('fails over to the next MX when the primary refuses connections', async () => {
    dns.set('failover.test', {
      mx: [
        { preference: 10, exchange: 'down.test' },
        { preference: 20, exchange: 'mx-b.test' },
      ],
    });
    const { peers, target } = await setup([{ host: '127.0.0.3' }]);
    const results = await target.deliver(envelope(['u@failover.test']), bufferBlob(message()));
    expect(codes(results)).toEqual(['250 2.0.0']);
    expect(peers[0]?.messages).toHaveLength(1);
  });

  it('moves on to the next MX when the first answers 4xx, and defers with the last reply', async () => {
    dns.set('busy.test', {
      mx: [
        { preference: 10, exchange: 'mx-a.test' },
        { preference: 20, exchange: 'mx-b.test' },
      ],
    });
    let busyB = false;
    const { peers, target } = await setup([
      {
        host: '127.0.0.2',
        onRcpt: () => {
          throw new SmtpError(451, '4.3.2', 'A is busy');
        },
      },
      {
        host: '127.0.0.3',
        onRcpt: () => {
          if (busyB) throw new SmtpError(452, '4.3.1', 'B is full');
        },
      },
    ]);
    expect(codes(await target.deliver(envelope(['u@busy.test']), bufferBlob(message())))).toEqual([
      '250 2.0.0',
    ]);
    expect(peers.map((p) => p.messages.length)).toEqual([0, 1]);
    busyB = true;
    const [deferred] = await target.deliver(envelope(['u@busy.test']), bufferBlob(message()));
    expect(deferred?.reply).toMatchObject({ code: 452, enhanced: '4.3.1', text: 'B is full' });
  });

  it('defers with 4.4.1 when no MX answers', async () => {
    dns.set('alldown.test', { mx: [{ preference: 10, exchange: 'down.test' }] });
    const { target } = await setup([{ host: '127.0.0.3' }]);
    const [result] = await target.deliver(envelope(['u@alldown.test']), bufferBlob(message()));
    expect(result?.reply).toMatchObject({ code: 451, enhanced: '4.4.1' });
    expect(result?.reply.text).toMatch(/down\.test\[127\.0\.0\.4\]/);
  });

  it('uses both hosts of equal preference', async () => {
    dns.set('equal.test', {
      mx: [
        { preference: 10, exchange: 'mx-a.test' },
        { preference: 10, exchange: 'mx-b.test' },
      ],
    });
    const order = [0.1, 0.9, 0.9, 0.1];
    let k = 0;
    const { peers, target } = await setup([{ host: '127.0.0.2' }, { host: '127.0.0.3' }], {
      random: () => order[k++ % order.length] as number,
    });
    await target.deliver(envelope(['u@equal.test']), bufferBlob(message('one')));
    await target.deliver(envelope(['u@equal.test']), bufferBlob(message('two')));
    expect(peers.map((p) => p.messages.length)).toEqual([1, 1]);
  });

  it('delivers to the domain itself without MX (implicit MX)', async () => {
    dns.set('implicit.test', { a: ['127.0.0.3'] });
    const { peers, target } = await setup([{ host: '127.0.0.3' }]);
    expect(codes(await target.deliver(envelope(['u@implicit.test']), bufferBlob(message())))).toEqual([
      '250 2.0.0',
    ]);
    expect(peers[0]?.messages).toHaveLength(1);
  });

  it('fails a null MX domain with 556 5.1.10 and an unknown domain with 5.1.2', async () => {
    dns.set('null.test', { nullMx: true });
    const { target } = await setup([{ host: '127.0.0.2' }]);
    const results = await target.deliver(envelope(['u@null.test', 'v@nowhere.test']), bufferBlob(message()));
    expect(codes(results)).toEqual(['556 5.1.10', '550 5.1.2']);
  });

  it('defers on SERVFAIL with 4.4.3', async () => {
    dns.set('servfail.test', { servfail: true });
    const { target } = await setup([{ host: '127.0.0.2' }]);
    expect(codes(await target.deliver(envelope(['u@servfail.test']), bufferBlob(message())))).toEqual([
      '451 4.4.3',
    ]);
  });
});

describe('transfer target: per-recipient results and transactions', () => {
  it('keeps recipient order with mixed results across domains', async () => {
    dns.set('one.test', { mx: [{ preference: 10, exchange: 'mx-a.test' }] });
    dns.set('two.test', { mx: [{ preference: 10, exchange: 'mx-b.test' }] });
    const refuse = (address: string) => {
      if (address.startsWith('nobody@')) throw new SmtpError(550, '5.1.1', 'No such user');
    };
    const { peers, target } = await setup([
      { host: '127.0.0.2', onRcpt: refuse },
      { host: '127.0.0.3', onRcpt: refuse },
    ]);
    const results = await target.deliver(
      envelope(['a@one.test', 'nobody@two.test', 'nobody@one.test', 'b@two.test']),
      bufferBlob(message()),
    );
    expect(results.map((r) => r.recipient)).toEqual([
      'a@one.test',
      'nobody@two.test',
      'nobody@one.test',
      'b@two.test',
    ]);
    expect(codes(results)).toEqual(['250 2.0.0', '550 5.1.1', '550 5.1.1', '250 2.0.0']);
    expect(results[1]?.reply.text).toBe('No such user');
    // one transaction per domain, carrying only the accepted recipient
    expect(peers.map((p) => p.messages.map((m) => m.envelope.rcptTo.map((r) => r.address)))).toEqual([
      [['a@one.test']],
      [['b@two.test']],
    ]);
  });

  it('splits recipients beyond the per-transaction limit into further transactions', async () => {
    dns.set('many.test', { mx: [{ preference: 10, exchange: 'mx-a.test' }] });
    const { peers, target } = await setup([{ host: '127.0.0.2' }], { maxRecipientsPerTransaction: 2 });
    const rcpts = ['r1', 'r2', 'r3', 'r4', 'r5'].map((l) => `${l}@many.test`);
    const results = await target.deliver(envelope(rcpts), bufferBlob(message()));
    expect(codes(results)).toEqual(new Array(5).fill('250 2.0.0'));
    expect(peers[0]?.messages.map((m) => m.envelope.rcptTo.length)).toEqual([2, 2, 1]);
    expect(peers[0]?.connections()).toBe(1);
  });

  it('fails every recipient of a transaction refused at MAIL with the peer reply', async () => {
    dns.set('badsender.test', { mx: [{ preference: 10, exchange: 'mx-a.test' }] });
    const { peers, target } = await setup([
      {
        host: '127.0.0.2',
        onMail: () => {
          throw new SmtpError(550, '5.7.1', 'Sender blocked');
        },
      },
    ]);
    const results = await target.deliver(
      envelope(['a@badsender.test', 'b@badsender.test']),
      bufferBlob(message()),
    );
    expect(codes(results)).toEqual(['550 5.7.1', '550 5.7.1']);
    expect(results[1]?.reply.text).toBe('Sender blocked');
    expect(peers[0]?.messages).toEqual([]);
  });

  it('fails every recipient of a transaction refused after DATA with the peer reply', async () => {
    dns.set('nomail.test', { mx: [{ preference: 10, exchange: 'mx-a.test' }] });
    const { target } = await setup([
      {
        host: '127.0.0.2',
        onData: () => ({ code: 554, enhanced: '5.7.1', text: 'Content rejected' }),
      },
    ]);
    const results = await target.deliver(envelope(['a@nomail.test', 'b@nomail.test']), bufferBlob(message()));
    expect(codes(results)).toEqual(['554 5.7.1', '554 5.7.1']);
    expect(results[0]?.reply.text).toBe('Content rejected');
  });

  it('reuses the connection for the next message to the same host', async () => {
    dns.set('reuse.test', { mx: [{ preference: 10, exchange: 'mx-a.test' }] });
    const { peers, target } = await setup([{ host: '127.0.0.2' }], { dnsCacheMs: 30_000 });
    await target.deliver(envelope(['a@reuse.test']), bufferBlob(message('one')));
    await target.deliver(envelope(['b@reuse.test']), bufferBlob(message('two')));
    expect(peers[0]?.messages).toHaveLength(2);
    expect(peers[0]?.connections()).toBe(1);
    // and with dnsCacheMs the second message did not ask DNS again
    expect(dns.queries.filter((q) => q === 'MX reuse.test')).toHaveLength(1);
  });

  it('sends local-domain recipients to the local target and runs prepare for remote ones', async () => {
    dns.set('remote.test', { mx: [{ preference: 10, exchange: 'mx-a.test' }] });
    const localSeen: string[] = [];
    const { peers, target } = await setup([{ host: '127.0.0.2' }], {
      isLocal: (d) => d === 'home.test',
      local: {
        async deliver(env) {
          localSeen.push(...env.rcptTo.map((r) => r.address));
          return env.rcptTo.map((r) => ({
            recipient: r.address,
            reply: { code: 250, enhanced: '2.1.5', text: 'Stored' },
          }));
        },
      },
      prepare: async (_env, blob) =>
        bufferBlob(Buffer.concat([Buffer.from('X-Signed: yes\r\n'), await readAll(blob.open())])),
    });
    const results = await target.deliver(
      envelope(['me@home.test', 'you@remote.test']),
      bufferBlob(message()),
    );
    expect(codes(results)).toEqual(['250 2.1.5', '250 2.0.0']);
    expect(localSeen).toEqual(['me@home.test']);
    expect(peers[0]?.messages[0]?.body.startsWith('X-Signed: yes\r\n')).toBe(true);
  });
});

describe('transfer target: connections', () => {
  it('keeps to the per-destination limit, reusing the connection for queued messages', async () => {
    dns.set('limited.test', { mx: [{ preference: 10, exchange: 'mx-a.test' }] });
    const { peers, target } = await setup([{ host: '127.0.0.2' }], { maxConnectionsPerDestination: 1 });
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((l) =>
        target.deliver(envelope([`${l}@limited.test`]), bufferBlob(message(l))),
      ),
    );
    expect(results.flat().map((r) => r.reply.code)).toEqual([250, 250, 250, 250]);
    expect(peers[0]?.peakSessions()).toBe(1);
    expect(peers[0]?.connections()).toBe(1);
  });

  it('keeps to the overall limit across destinations', async () => {
    for (const d of ['d1.test', 'd2.test', 'd3.test']) dns.set(d, { a: ['127.0.0.2'] });
    const { peers, target } = await setup([{ host: '127.0.0.2' }], { maxConnections: 1 });
    const results = await Promise.all(
      ['d1.test', 'd2.test', 'd3.test'].map((d) =>
        target.deliver(envelope([`u@${d}`]), bufferBlob(message(d))),
      ),
    );
    expect(results.flat().map((r) => r.reply.code)).toEqual([250, 250, 250]);
    // one transaction at a time (each domain has its own connection: SNI names differ)
    expect(peers[0]?.peakTransactions()).toBe(1);
    expect(peers[0]?.connections()).toBe(3);
  });

  it('opens parallel connections up to the limit', async () => {
    dns.set('parallel.test', { mx: [{ preference: 10, exchange: 'mx-a.test' }] });
    const { peers, target } = await setup([{ host: '127.0.0.2' }], { maxConnectionsPerDestination: 2 });
    const results = await Promise.all(
      ['a', 'b', 'c'].map((l) => target.deliver(envelope([`${l}@parallel.test`]), bufferBlob(message(l)))),
    );
    expect(results.flat().map((r) => r.reply.code)).toEqual([250, 250, 250]);
    // the pool was empty when the first two started, the third waited and took an idle one
    expect(peers[0]?.connections()).toBe(2);
    expect(peers[0]?.peakSessions()).toBe(2);
  });

  it('closes idle connections after idleMs and opens a new one for the next message', async () => {
    dns.set('idle.test', { mx: [{ preference: 10, exchange: 'mx-a.test' }] });
    const { peers, target } = await setup([{ host: '127.0.0.2' }], { idleMs: 50 });
    await target.deliver(envelope(['a@idle.test']), bufferBlob(message('one')));
    await until(() => peers[0]?.openSessions() === 0);
    await target.deliver(envelope(['b@idle.test']), bufferBlob(message('two')));
    expect(peers[0]?.connections()).toBe(2);
  });

  it('notices a pooled connection the peer timed out and connects again', async () => {
    dns.set('hangup.test', { mx: [{ preference: 10, exchange: 'mx-a.test' }] });
    const { peers, target } = await setup([{ host: '127.0.0.2', idleTimeoutMs: 100 }], { idleMs: 60_000 });
    await target.deliver(envelope(['a@hangup.test']), bufferBlob(message('one')));
    await until(() => peers[0]?.openSessions() === 0);
    const [result] = await target.deliver(envelope(['b@hangup.test']), bufferBlob(message('two')));
    expect(result?.reply.code).toBe(250);
    expect(peers[0]?.connections()).toBe(2);
  });

  it('defers with 4.4.1 when the greeting does not come in time', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.2', resolve));
    open.push({
      close: () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    });
    dns.set('silent.test', { a: ['127.0.0.2'] });
    const port = (silent.address() as AddressInfo).port;
    const target = createTransferTarget({
      port,
      dnsServers: [dns.address],
      timeouts: { greetingMs: 100 },
    });
    open.push(target);
    const [result] = await target.deliver(envelope(['u@silent.test']), bufferBlob(message()));
    expect(result?.reply).toMatchObject({ code: 451, enhanced: '4.4.1' });
  });
});
