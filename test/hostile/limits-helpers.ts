/**
 * Raw clients for the hostile-client limit tests: bound to a chosen 127.0.0.x source address,
 * keeping everything the server said, and the server side of a connection (through the
 * `net.server.socket` diagnostics channel) to see when the server stops reading.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect, type Socket } from 'node:net';
import type { Account, Directory } from '@mailstack/core';

export interface RawClient {
  readonly socket: Socket;
  /** Everything received so far. */
  text(): string;
  /** Resolves with everything received once it matches `re`; rejects if the connection closes first. */
  waitFor(re: RegExp): Promise<string>;
  /** Resolves with everything received once the server closed the connection. */
  readonly closed: Promise<string>;
  send(data: string | Buffer): void;
}

export async function rawClient(port: number, localAddress = '127.0.0.1'): Promise<RawClient> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => {});
  let text = '';
  const waiters = new Set<() => void>();
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<string>((resolve) =>
    socket.once('close', () => {
      resolve(text);
      for (const w of [...waiters]) w();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    text: () => text,
    closed,
    send: (data) => void socket.write(data),
    waitFor(re) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (re.test(text)) {
            waiters.delete(check);
            resolve(text);
          } else if (socket.destroyed) {
            waiters.delete(check);
            reject(new Error(`closed before ${re}; got ${JSON.stringify(text)}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Captures the server side of connections accepted in this process, by the client's port. */
export function serverSockets(): { of(client: Socket): Promise<Socket>; stop(): void } {
  const seen = new Map<number, Socket>();
  const waiting = new Map<number, (s: Socket) => void>();
  const onSocket = (message: unknown) => {
    const socket = (message as { socket: Socket }).socket;
    const port = socket.remotePort ?? 0;
    seen.set(port, socket);
    waiting.get(port)?.(socket);
  };
  subscribe('net.server.socket', onSocket);
  return {
    of(client) {
      const port = client.localPort ?? 0;
      const known = seen.get(port);
      return known ? Promise.resolve(known) : new Promise((resolve) => waiting.set(port, resolve));
    },
    stop: () => unsubscribe('net.server.socket', onSocket),
  };
}

/**
 * Writes `bytes` of junk at once and waits until either the server stops reading the
 * connection (its socket pauses) or the client's data is all gone (the server took it all).
 * Resolves with what the server had read from the connection then.
 */
export async function pushUntilStopped(client: Socket, server: Socket, bytes: number): Promise<number> {
  const paused = new Promise<void>((resolve) => server.once('pause', () => resolve()));
  const drained = new Promise<void>((resolve) => {
    if (client.write(Buffer.alloc(bytes, 'A'))) resolve();
    else client.once('drain', () => resolve());
  });
  await Promise.race([paused, drained]);
  return server.bytesRead;
}

/** A directory whose authenticate() waits until `release()`, then refuses: a delayed reply. */
export function gatedDirectory(): { directory: Directory; called: Promise<void>; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let called!: () => void;
  const calledPromise = new Promise<void>((resolve) => {
    called = resolve;
  });
  const directory = {
    async authenticate(): Promise<Account | null> {
      called();
      await gate;
      return null;
    },
    async resolve() {
      return null;
    },
    isLocalDomain: () => false,
  } as unknown as Directory;
  return { directory, called: calledPromise, release };
}
