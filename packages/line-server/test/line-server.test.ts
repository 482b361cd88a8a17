import { connect, type Socket } from 'node:net';
import { silentLogger } from '@mailstack/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSessionListener, LineConnection, type SessionListener } from '../src/index.ts';

/** Splits on LF; good enough for a test protocol. */
function lines(): (chunk: Buffer) => string[] {
  let rest = '';
  return (chunk) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    return parts;
  };
}

/** An echo protocol: greets, echoes each line, QUIT ends; used to drive the plumbing. */
function echoListener(
  options: { maxConnections?: number; maxConnectionsPerClient?: number; idleTimeoutMs?: number } = {},
): SessionListener {
  return createSessionListener({
    name: 'echo',
    maxConnections: options.maxConnections ?? 10,
    ...(options.maxConnectionsPerClient ? { maxConnectionsPerClient: options.maxConnectionsPerClient } : {}),
    busyReply: 'BUSY\n',
    clientBusyReply: 'BUSY YOU\n',
    handshakeTimeoutMs: 1000,
    logger: silentLogger,
    createSession(socket) {
      const conn = new LineConnection(socket, {
        decode: lines(),
        idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
        goodbye: 'BYE idle\n',
        logger: silentLogger,
      });
      return {
        async run() {
          await conn.write('HELLO\n');
          for (let line = await conn.next(); line !== null; line = await conn.next()) {
            if (line === 'QUIT') {
              await conn.write('BYE\n');
              conn.end();
            } else await conn.write(`ECHO ${line}\n`);
          }
        },
        destroy: () => conn.destroy(),
        shutdown: () => {
          void conn.write('BYE shutdown\n');
          conn.end();
        },
      };
    },
  });
}

function client(port: number, localAddress = '127.0.0.1'): { socket: Socket; received: Promise<string> } {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  let text = '';
  socket.on('data', (d) => {
    text += d.toString();
  });
  const received = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
  return { socket, received };
}

let listener: SessionListener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

describe('line-server', () => {
  it('serves pipelined lines in order and drops what follows QUIT', async () => {
    listener = echoListener();
    const { port } = await listener.listen(0);
    const c = client(port);
    c.socket.write('a\nb\nQUIT\nnever\n');
    expect(await c.received).toBe('HELLO\nECHO a\nECHO b\nBYE\n');
  });

  it('turns away connections over the cap and keeps serving the others', async () => {
    listener = echoListener({ maxConnections: 1 });
    const { port } = await listener.listen(0);
    const first = client(port);
    await new Promise<void>((resolve) => first.socket.once('data', () => resolve()));
    const second = client(port);
    expect(await second.received).toBe('BUSY\n');
    first.socket.write('still here\nQUIT\n');
    expect(await first.received).toBe('HELLO\nECHO still here\nBYE\n');
  });

  it('logs an idle client out with the goodbye line', async () => {
    listener = echoListener({ idleTimeoutMs: 50 });
    const { port } = await listener.listen(0);
    expect(await client(port).received).toBe('HELLO\nBYE idle\n');
  });

  it('close() asks open sessions to say goodbye and resolves', async () => {
    listener = echoListener();
    const { port } = await listener.listen(0);
    const c = client(port);
    await new Promise<void>((resolve) => c.socket.once('data', () => resolve()));
    expect(listener.connections).toBe(1);
    await listener.close();
    listener = undefined;
    expect(await c.received).toBe('HELLO\nBYE shutdown\n');
  });

  it('turns away connections over the per-client cap; other addresses get in', async () => {
    listener = echoListener({ maxConnectionsPerClient: 1 });
    const { port } = await listener.listen(0);
    const first = client(port, '127.0.0.2');
    await new Promise<void>((resolve) => first.socket.once('data', () => resolve()));
    expect(await client(port, '127.0.0.2').received).toBe('BUSY YOU\n');
    const other = client(port, '127.0.0.3');
    other.socket.write('QUIT\n');
    expect(await other.received).toBe('HELLO\nBYE\n');
  });
});
