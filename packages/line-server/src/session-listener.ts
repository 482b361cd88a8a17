import { createServer, type Server, type Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import type { Logger } from '@mailstack/core';

/** What the listener runs per connection. */
export interface ListenedSession {
  /** Serves until the connection ends; never rejects. */
  run(): Promise<void>;
  /** Stops the session from outside (server close). */
  destroy(): void;
}

export interface SessionListenerOptions {
  /** Protocol name for errors, e.g. 'imap'. */
  name: string;
  /** TLS from the first byte (993, 995) when set. */
  implicitTls?: SecureContext;
  /** Concurrent connections, counted by socket so TLS handshakes in progress count too. */
  maxConnections: number;
  /** Written to a cleartext connection over the cap before it is closed. */
  busyReply: string;
  /** Longest implicit-TLS handshake before the socket is dropped. */
  handshakeTimeoutMs: number;
  logger: Logger;
  /** Makes the session for an accepted (and, for implicit TLS, secured) socket. */
  createSession(socket: Socket, tlsActive: boolean): ListenedSession;
}

export interface SessionListener {
  /** Starts listening; port 0 picks a free one. Resolves with the bound address. */
  listen(port: number, host?: string): Promise<{ port: number; host: string }>;
  /** Stops listening, drops every session and waits for their cleanup. */
  close(): Promise<void>;
  /** Sessions open right now. */
  readonly connections: number;
}

/** A TCP listener for line-protocol sessions: connection cap, implicit TLS, graceful close. */
export function createSessionListener(options: SessionListenerOptions): SessionListener {
  const { logger } = options;
  const sessions = new Set<ListenedSession>();
  const running = new Set<Promise<void>>();
  const sockets = new Set<Socket>();

  const secure = async (raw: Socket, context: SecureContext): Promise<Socket | null> => {
    const tls = new TLSSocket(raw, { isServer: true, secureContext: context });
    tls.on('error', (err) => logger.debug({ event: 'tls-error', err: err.message }));
    raw.setTimeout(options.handshakeTimeoutMs, () => raw.destroy());
    const ok = await new Promise<boolean>((resolve) => {
      tls.once('secure', () => resolve(true));
      tls.once('close', () => resolve(false));
    });
    raw.setTimeout(0);
    return ok ? tls : null;
  };

  const accept = async (raw: Socket): Promise<void> => {
    sockets.add(raw);
    raw.once('close', () => sockets.delete(raw));
    raw.on('error', () => {});
    if (sockets.size > options.maxConnections) {
      logger.warn({ event: 'too-many-connections', remote: raw.remoteAddress });
      if (options.implicitTls) raw.destroy();
      else raw.end(options.busyReply);
      return;
    }
    const socket = options.implicitTls ? await secure(raw, options.implicitTls) : raw;
    if (!socket) return;
    const session = options.createSession(socket, !!options.implicitTls);
    sessions.add(session);
    logger.debug({ event: 'connect', remote: raw.remoteAddress });
    const run = session.run();
    running.add(run);
    await run;
    running.delete(run);
    sessions.delete(session);
  };

  let server: Server | null = null;
  return {
    get connections() {
      return sessions.size;
    },
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const s = createServer((socket) => {
          accept(socket).catch((err: unknown) => {
            logger.error({ event: 'accept-failed', err: String(err) });
            socket.destroy();
          });
        });
        server = s;
        s.once('error', reject);
        s.listen(port, host, () => {
          s.off('error', reject);
          const addr = s.address();
          if (addr && typeof addr === 'object') resolve({ port: addr.port, host: addr.address });
          else reject(new Error(`${options.name}: no bound address`));
        });
      });
    },
    async close() {
      const s = server;
      server = null;
      const closed = s ? new Promise<void>((resolve) => s.close(() => resolve())) : Promise.resolve();
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await closed;
      // Sessions release locks and close folders in their own cleanup; wait for it.
      await Promise.all([...running]);
    },
  };
}
