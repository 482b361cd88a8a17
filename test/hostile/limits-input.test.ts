/**
 * Issue 11 item 2: while a reply is delayed (a failed login) the server must not keep reading
 * whatever the client sends. The server side of the connection has to stop reading (TCP
 * backpressure) after a bounded amount; before the fix the IMAP parser held every byte
 * (1 GiB in 10 s, RSS 1.6 GB).
 */
import type { Socket } from 'node:net';
import type { Directory, MailboxStore } from '@mailstack/core';
import { createImapServer } from '@mailstack/imap';
import { createPop3Server } from '@mailstack/pop3';
import { createSmtpListener } from '@mailstack/smtp';
import { afterEach, describe, expect, it } from 'vitest';
import { gatedDirectory, pushUntilStopped, rawClient, serverSockets } from './limits-helpers.ts';

const PUSH = 64 * 1024 * 1024;
/** Input held (1 MiB) plus what the socket reads in one go. */
const BOUND = 4 * 1024 * 1024;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const noStore = {} as MailboxStore;

async function measureDuringDelay(
  port: number,
  start: (client: Awaited<ReturnType<typeof rawClient>>) => Promise<void>,
  called: Promise<void>,
): Promise<{ taken: number; server: Socket; client: Awaited<ReturnType<typeof rawClient>> }> {
  const sockets = serverSockets();
  cleanups.push(() => sockets.stop());
  const client = await rawClient(port);
  cleanups.push(() => void client.socket.destroy());
  const server = await sockets.of(client.socket);
  await start(client);
  await called;
  const taken = await pushUntilStopped(client.socket, server, PUSH);
  return { taken, server, client };
}

type AccessServerFactory = (options: {
  directory: Directory;
  store: MailboxStore;
  hostname: string;
  allowCleartextAuthOnLoopback: boolean;
}) => { listen(port: number): Promise<{ port: number }>; close(): Promise<void> };

/** An IMAP or POP3 server whose logins wait for `gate.release()`. */
async function startGated(create: AccessServerFactory) {
  const gate = gatedDirectory();
  const server = create({
    directory: gate.directory,
    store: noStore,
    hostname: 'mx.test',
    allowCleartextAuthOnLoopback: true,
  });
  cleanups.push(() => server.close());
  cleanups.push(() => gate.release());
  const { port } = await server.listen(0);
  return { gate, port };
}

describe('input held while a login reply is delayed', () => {
  it('IMAP stops reading after AUTHENTICATE instead of holding what follows', async () => {
    const { gate, port } = await startGated(createImapServer);
    const plain = Buffer.from('\0a@example.test\0wrong').toString('base64');
    const { taken, client } = await measureDuringDelay(
      port,
      async (c) => {
        await c.waitFor(/^\* OK/);
        c.send(`a1 AUTHENTICATE PLAIN ${plain}\r\n`);
      },
      gate.called,
    );
    expect(taken).toBeLessThan(BOUND);
    // The delay ends: the refusal comes, then the junk line is too long and the session ends.
    gate.release();
    const said = await client.closed;
    expect(said).toMatch(/\r\na1 NO \[AUTHENTICATIONFAILED\]/);
    expect(said).toMatch(/Line too long\r\n\* BYE protocol error; closing\r\n$/);
    // The server keeps serving.
    const next = await rawClient(port);
    cleanups.push(() => void next.socket.destroy());
    await next.waitFor(/^\* OK/);
  });

  it('POP3 stops reading pipelined lines after PASS', async () => {
    const { gate, port } = await startGated(createPop3Server);
    const { taken } = await measureDuringDelay(
      port,
      async (c) => {
        await c.waitFor(/^\+OK/);
        c.send('USER a@example.test\r\nPASS wrong\r\n');
      },
      gate.called,
    );
    expect(taken).toBeLessThan(BOUND);
  });

  it('SMTP stops reading after AUTH while the check runs', async () => {
    const gate = gatedDirectory();
    const listener = createSmtpListener({
      handlers: { onData: async () => ({ code: 250, enhanced: '2.0.0', text: 'ok' }) },
      auth: {
        allowCleartext: () => true,
        authenticate: async (c) => gate.directory.authenticate(c.username, c.password),
      },
    });
    cleanups.push(() => listener.close());
    cleanups.push(() => gate.release());
    const { port } = (await listener.listen(0)) as { port: number };
    const plain = Buffer.from('\0a@example.test\0wrong').toString('base64');
    const { taken } = await measureDuringDelay(
      port,
      async (c) => {
        await c.waitFor(/^220 /);
        c.send(`EHLO client.test\r\nAUTH PLAIN ${plain}\r\n`);
      },
      gate.called,
    );
    expect(taken).toBeLessThan(BOUND);
  });
});
