import { spawnSync } from 'node:child_process';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Envelope, ok, readAll, SmtpError } from '@mailstack/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSmtpListener, type SmtpListener, type SmtpListenerOptions } from '../src/index.ts';
import { RawClient } from './raw-client.ts';

const listeners: SmtpListener[] = [];
const clients: RawClient[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

interface Received {
  envelope: Envelope;
  body: string;
}

/** A listener whose DATA handler records what it got and accepts it. */
async function start(options: Partial<SmtpListenerOptions> = {}) {
  const received: Received[] = [];
  const listener = createSmtpListener({
    protocol: 'lmtp',
    closeTimeoutMs: 500,
    handlers: {
      async onRcptTo(address) {
        if (address.address.startsWith('nobody@')) throw new SmtpError(550, '5.1.1', 'No such user');
        if (address.address.startsWith('crash@')) throw new Error('boom');
      },
      async onData(message) {
        const body = (await readAll(message.stream)).toString('utf8');
        received.push({ envelope: message.envelope, body });
        return message.envelope.rcptTo.map((r) =>
          r.address.startsWith('full@')
            ? new SmtpError(452, '4.2.2', 'Mailbox full').reply
            : ok(`stored ${r.address}`),
        );
      },
    },
    ...options,
  });
  listeners.push(listener);
  const address = await listener.listen(0, '127.0.0.1');
  if (!('port' in address)) throw new Error('expected TCP');
  const connect = async () => {
    const client = await RawClient.connect({ port: address.port });
    clients.push(client);
    expect((await client.reply()).code).toBe(220);
    return client;
  };
  return { listener, address, received, connect };
}

describe('createSmtpListener', () => {
  it('advertises the extensions every listener needs, including SIZE', async () => {
    const { connect } = await start({ maxMessageSize: 1000 });
    const client = await connect();
    const lhlo = await client.command('LHLO client.test');
    expect(lhlo.code).toBe(250);
    expect(lhlo.lines).toEqual(
      expect.arrayContaining(['PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES', 'SIZE 1000']),
    );
    expect(lhlo.lines.join(' ')).not.toMatch(/STARTTLS|AUTH/);
  });

  it('keeps the enhanced codes handlers give, and answers one reply per accepted RCPT in order', async () => {
    const { connect, received } = await start();
    const client = await connect();
    await client.command('LHLO client.test');
    expect((await client.command('MAIL FROM:<s@x.test> SIZE=10')).raw).toBe('250 2.1.0 Accepted');
    expect((await client.command('RCPT TO:<a@x.test>')).code).toBe(250);
    expect((await client.command('RCPT TO:<nobody@x.test>')).raw).toBe('550 5.1.1 No such user');
    expect((await client.command('RCPT TO:<crash@x.test>')).raw).toBe('451 4.3.0 Local error in processing');
    expect((await client.command('RCPT TO:<full@x.test>')).code).toBe(250);
    expect((await client.command('RCPT TO:<A@x.test>')).code).toBe(250); // repeated: still owed a reply
    expect((await client.command('DATA')).code).toBe(354);
    client.write('Subject: hi\r\n\r\n..dot\r\n.\r\n');
    const replies = await client.replies(3);
    expect(replies.map((r) => r.raw)).toEqual([
      '250 2.0.0 stored a@x.test',
      '452 4.2.2 Mailbox full',
      '250 2.0.0 stored A@x.test',
    ]);
    expect(received[0]?.body).toBe('Subject: hi\r\n\r\n.dot\r\n');
    expect(received[0]?.envelope.mailFrom).toBe('s@x.test');
    expect(received[0]?.envelope.params.size).toBe(10);
    expect(received[0]?.envelope.rcptTo.map((r) => r.address)).toEqual([
      'a@x.test',
      'full@x.test',
      'A@x.test',
    ]);
  });

  it('refuses an over-size message with 552 5.3.4 for every recipient and never hands it over whole', async () => {
    const { connect, received } = await start({ maxMessageSize: 100 });
    const client = await connect();
    await client.command('LHLO client.test');
    expect((await client.command('MAIL FROM:<s@x.test> SIZE=101')).raw).toMatch(/^552 5\.3\.4 /);
    await client.command('MAIL FROM:<s@x.test>');
    await client.command('RCPT TO:<a@x.test>');
    await client.command('RCPT TO:<b@x.test>');
    await client.command('DATA');
    client.write(`${'x'.repeat(80)}\r\n${'y'.repeat(80)}\r\n.\r\n`);
    const replies = await client.replies(2);
    expect(replies.map((r) => r.raw.slice(0, 9))).toEqual(['552 5.3.4', '552 5.3.4']);
    expect(received).toHaveLength(0);
    expect((await client.command('NOOP')).code).toBe(250); // the session goes on
  });

  it('refuses a NUL in DATA with 550 5.6.0 for every recipient, bare line ends only when asked', async () => {
    const { connect, received } = await start();
    const client = await connect();
    await client.command('LHLO client.test');
    const send = async (body: string) => {
      await client.command('MAIL FROM:<s@x.test>');
      await client.command('RCPT TO:<a@x.test>');
      await client.command('RCPT TO:<b@x.test>');
      await client.command('DATA');
      client.write(`${body}.\r\n`);
      return (await client.replies(2)).map((r) => r.raw);
    };
    const nul = await send('Subject: a\0b\r\n\r\nx\r\n');
    expect(nul).toEqual(Array(2).fill('550 5.6.0 Message contains a NUL byte'));
    // LMTP between our agents: bare line ends pass unless the listener refuses them
    expect((await send('Subject: bare\r\n\r\nx\ry\r\n')).map((r) => r.slice(0, 4))).toEqual(['250 ', '250 ']);
    expect(received.map((r) => r.body)).toEqual(['Subject: bare\r\n\r\nx\ry\r\n']);

    const strict = await start({ refuseBareLineEnds: true });
    const other = await strict.connect();
    await other.command('LHLO client.test');
    await other.command('MAIL FROM:<s@x.test>');
    await other.command('RCPT TO:<a@x.test>');
    await other.command('DATA');
    other.write('Subject: bare\r\n\r\nx\ny\r\n.\r\n');
    expect((await other.reply()).raw).toMatch(/^550 5\.6\.0 Message contains a bare CR or LF/);
    expect(strict.received).toHaveLength(0);
  });

  it('turns a bare RCPT TO:<postmaster> into postmaster@ the configured domain', async () => {
    const { connect, received } = await start({ postmasterDomain: () => 'x.test' });
    const client = await connect();
    await client.command('LHLO client.test');
    await client.command('MAIL FROM:<s@x.test>');
    expect((await client.command('RCPT TO:<PostMaster>')).code).toBe(250);
    await client.command('DATA');
    client.write('Subject: hi\r\n\r\nx\r\n.\r\n');
    expect((await client.reply()).raw).toBe('250 2.0.0 stored postmaster@x.test');
    expect(received[0]?.envelope.rcptTo).toEqual([{ address: 'postmaster@x.test' }]);
  });

  it('closes the connection beyond the cap with 421 4.7.0 and serves the next one after', async () => {
    const { connect, address, listener } = await start({ maxConnections: 1 });
    const first = await connect();
    const second = await RawClient.connect({ port: address.port });
    clients.push(second);
    const refused = await second.reply();
    expect(refused.raw).toMatch(/^421 4\.7\.0 /);
    await second.waitClosed();
    expect((await first.command('QUIT')).code).toBe(221);
    await first.waitClosed();
    while (listener.connections > 0) await new Promise((r) => setImmediate(r));
    const third = await connect();
    expect((await third.command('NOOP')).code).toBe(250);
  });

  it('counts protocol errors and closes with 421 4.7.0 once the budget is spent', async () => {
    const { connect } = await start({ maxProtocolErrors: 3 });
    const client = await connect();
    expect((await client.command('MAIL FROM:<s@x.test>')).code).toBe(503); // no LHLO yet
    expect((await client.command('LHLO')).code).toBe(501);
    expect((await client.command('BOGUS')).code).toBe(500);
    const last = await client.reply();
    expect(last.raw).toMatch(/^421 4\.7\.0 .*Too many errors/);
    await client.waitClosed();
  });

  it('ends a session whose command line is longer than the limit', async () => {
    const { connect } = await start({ maxLineLength: 100 });
    const client = await connect();
    client.write(`NOOP ${'a'.repeat(200)}\r\n`);
    expect((await client.reply()).raw).toBe('500 5.5.2 Line too long');
    expect((await client.reply()).raw).toMatch(/^421 4\.7\.0 /);
    await client.waitClosed();
  });

  it('closes an idle session with 421', async () => {
    const { connect } = await start({ idleTimeoutMs: 50 });
    const client = await connect();
    expect((await client.reply()).code).toBe(421);
    await client.waitClosed();
  });

  it('answers malformed addresses with 501 5.1.3 and goes on', async () => {
    const { connect } = await start();
    const client = await connect();
    await client.command('LHLO client.test');
    await client.command('MAIL FROM:<s@x.test>');
    expect((await client.command('RCPT TO:<not an address>')).raw).toMatch(/^501 5\.1\.3 /);
    expect((await client.command('RCPT TO:a@x.test')).raw).toMatch(/^501 5\.1\.3 /);
    expect((await client.command('RCPT TO:<a@x.test>')).code).toBe(250);
  });

  it('listens on a unix socket, replacing a stale socket file but never a live one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'smtp-listener-'));
    dirs.push(dir);
    const path = join(dir, 'lmtp.sock');
    // a socket file whose owner died without unlinking it
    const made = spawnSync('python3', [
      '-c',
      'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
      path,
    ]);
    expect(made.status).toBe(0);
    expect((await lstat(path)).isSocket()).toBe(true);
    const listener = createSmtpListener({
      protocol: 'lmtp',
      closeTimeoutMs: 500,
      handlers: { onData: async () => ok() },
    });
    listeners.push(listener);
    expect(await listener.listen(path)).toEqual({ path });
    const client = await RawClient.connect({ path });
    clients.push(client);
    expect((await client.reply()).code).toBe(220);
    const rival = createSmtpListener({ handlers: { onData: async () => ok() } });
    await expect(rival.listen(path)).rejects.toThrow(/EADDRINUSE/);
  });

  it('survives a handler that starts reading only after the size limit was crossed', async () => {
    let failure: unknown;
    const listener = createSmtpListener({
      maxMessageSize: 100,
      closeTimeoutMs: 500,
      handlers: {
        async onData(message) {
          // e.g. a spool opening its file first: wait until the limit has failed the stream
          await new Promise((resolve) => message.stream.once('close', resolve));
          failure = await readAll(message.stream).catch((err: unknown) => err);
          throw failure;
        },
      },
    });
    listeners.push(listener);
    const address = await listener.listen(0, '127.0.0.1');
    if (!('port' in address)) throw new Error('expected TCP');
    const client = await RawClient.connect({ port: address.port });
    clients.push(client);
    expect((await client.reply()).code).toBe(220);
    expect((await client.command('EHLO client.test')).code).toBe(250);
    expect((await client.command('MAIL FROM:<a@x.test>')).code).toBe(250);
    expect((await client.command('RCPT TO:<b@x.test>')).code).toBe(250);
    expect((await client.command('DATA')).code).toBe(354);
    client.write(`${'x'.repeat(500)}\r\n.\r\n`);
    expect((await client.reply()).raw).toMatch(/^552 5\.3\.4 /);
    expect(failure).toBeInstanceOf(SmtpError);
    expect((await client.command('NOOP')).code).toBe(250);
  });
});
