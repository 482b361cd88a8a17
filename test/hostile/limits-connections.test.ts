/**
 * Issue 11 item 6: one client address must not take every connection slot, and a slow client
 * must not hold a connection past total deadlines (login, one command line, one literal, one
 * DATA) by trickling a byte now and then (each byte used to reset the idle timer).
 * Small limits and deadlines via options; the clients drip on a timer, nothing waits on one.
 */
import type { MailboxStore } from '@mailstack/core';
import { createImapServer, type ImapServerOptions } from '@mailstack/imap';
import { createPop3Server, type Pop3ServerOptions } from '@mailstack/pop3';
import { createSmtpListener, type SmtpListenerOptions } from '@mailstack/smtp';
import { memoryDirectory } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type RawClient, rawClient } from './limits-helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const directory = memoryDirectory({ users: { 'a@example.test': 'pw' } });
const store = {} as MailboxStore;

type Limits = Partial<ImapServerOptions & Pop3ServerOptions & SmtpListenerOptions>;

interface Target {
  name: string;
  greeting: RegExp;
  refusal: RegExp;
  start(limits: Limits): Promise<number>;
}

async function listen(server: { listen(port: number): Promise<object>; close(): Promise<void> }) {
  cleanups.push(() => server.close());
  return ((await server.listen(0)) as { port: number }).port;
}

const smtpHandlers = {
  onData: async (message: { stream: AsyncIterable<Buffer> }) => {
    for await (const _ of message.stream);
    return { code: 250, enhanced: '2.0.0', text: 'ok' };
  },
};

const TARGETS: Target[] = [
  {
    name: 'IMAP',
    greeting: /^\* OK/,
    refusal: /^\* BYE \[UNAVAILABLE\] too many connections from your address\r\n$/,
    start: (limits) =>
      listen(
        createImapServer({
          directory,
          store,
          hostname: 'mx.test',
          allowCleartextAuthOnLoopback: true,
          ...limits,
        }),
      ),
  },
  {
    name: 'POP3',
    greeting: /^\+OK/,
    refusal: /^-ERR \[IN-USE\] too many connections from your address\r\n$/,
    start: (limits) =>
      listen(
        createPop3Server({
          directory,
          store,
          hostname: 'mx.test',
          allowCleartextAuthOnLoopback: true,
          ...limits,
        }),
      ),
  },
  {
    name: 'SMTP',
    greeting: /^220 /,
    refusal: /^421 4\.7\.0 .*Too many connections from your address/,
    start: (limits) => listen(createSmtpListener({ handlers: smtpHandlers, ...limits })),
  },
  {
    name: 'LMTP',
    greeting: /^220 /,
    refusal: /^421 4\.7\.0 .*Too many connections from your address/,
    start: (limits) => listen(createSmtpListener({ protocol: 'lmtp', handlers: smtpHandlers, ...limits })),
  },
];

async function open(port: number, from: string): Promise<RawClient> {
  const c = await rawClient(port, from);
  cleanups.push(() => void c.socket.destroy());
  return c;
}

/** Sends one byte of `text` every 50 ms until the connection closes. */
function drip(c: RawClient, text: string): void {
  let i = 0;
  const timer = setInterval(() => c.send(text[i++ % text.length] as string), 50);
  c.socket.once('close', () => clearInterval(timer));
  cleanups.push(() => clearInterval(timer));
}

describe.each(TARGETS)('$name', (target) => {
  it('caps connections per client address with a clear refusal; other addresses still get in', async () => {
    const port = await target.start({ maxConnectionsPerClient: 2 });
    for (const c of [await open(port, '127.0.0.2'), await open(port, '127.0.0.2')])
      await c.waitFor(target.greeting);
    const third = await open(port, '127.0.0.2');
    expect(await third.closed).toMatch(target.refusal);
    for (const c of [await open(port, '127.0.0.3'), await open(port, '127.0.0.3')])
      await c.waitFor(target.greeting);
  });
});

describe('deadlines a trickling client cannot stretch', () => {
  it('IMAP: not logged in within loginTimeoutMs', async () => {
    const port = await TARGETS[0]!.start({ loginTimeoutMs: 100 });
    const c = await open(port, '127.0.0.4');
    expect(await c.closed).toMatch(/\r\n\* BYE login took too long\r\n$/);
  });

  it('POP3: not logged in within loginTimeoutMs', async () => {
    const port = await TARGETS[1]!.start({ loginTimeoutMs: 100 });
    const c = await open(port, '127.0.0.4');
    expect(await c.closed).toMatch(/\r\n-ERR login took too long\r\n$/);
  });

  it('IMAP: a command line dripped a byte at a time, each byte within the idle timeout', async () => {
    const port = await TARGETS[0]!.start({ idleTimeoutMs: 2000, commandTimeoutMs: 300 });
    const c = await open(port, '127.0.0.5');
    await c.waitFor(/^\* OK/);
    c.send('a1 NOOP');
    drip(c, 'x');
    expect(await c.closed).toMatch(/\r\n\* BYE command line took too long\r\n$/);
  });

  it('IMAP: a literal dripped a byte at a time', async () => {
    const port = await TARGETS[0]!.start({ idleTimeoutMs: 2000, literalTimeoutMs: 300, minDataRate: 1e9 });
    const c = await open(port, '127.0.0.5');
    await c.waitFor(/^\* OK/);
    c.send('a1 LOGIN {1000}\r\n');
    await c.waitFor(/\r\n\+ /);
    drip(c, 'x');
    expect(await c.closed).toMatch(/\r\n\* BYE literal took too long\r\n$/);
  });

  it('POP3: a command line dripped a byte at a time', async () => {
    const port = await TARGETS[1]!.start({ idleTimeoutMs: 2000, commandTimeoutMs: 300 });
    const c = await open(port, '127.0.0.5');
    await c.waitFor(/^\+OK/);
    c.send('USER a');
    drip(c, 'x');
    expect(await c.closed).toMatch(/\r\n-ERR command line took too long\r\n$/);
  });

  it('SMTP: a command line dripped a byte at a time', async () => {
    const port = await TARGETS[2]!.start({ idleTimeoutMs: 2000, commandTimeoutMs: 300 });
    const c = await open(port, '127.0.0.5');
    await c.waitFor(/^220 /);
    c.send('EHLO ');
    drip(c, 'x');
    expect(await c.closed).toMatch(/\r\n421 4\.4\.2 .*Command line took too long, closing connection\r\n$/);
  });

  it('SMTP: DATA dripped a byte at a time', async () => {
    const port = await TARGETS[2]!.start({ idleTimeoutMs: 2000, dataTimeoutMs: 300, minDataRate: 1e9 });
    const c = await open(port, '127.0.0.5');
    await c.waitFor(/^220 /);
    c.send('EHLO client.test\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n');
    await c.waitFor(/\r\n354 /);
    drip(c, 'Subject: slow\r\n');
    expect(await c.closed).toMatch(/\r\n421 4\.4\.2 .*DATA took too long, closing connection\r\n$/);
  });
});
