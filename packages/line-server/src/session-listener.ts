import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import type { Logger } from '@mailstack/core';
import { ClientCounter } from './client-counter.ts';
import { LIMIT_DEFAULTS } from './limits.ts';

/** What the listener runs per connection. */
export interface ListenedSession {
  /** Serves until the connection ends; never rejects. */
  run(): Promise<void>;
  /**
   * Server shutdown: says goodbye (`* BYE`, `-ERR`) at once when the session waits for the
   * client, or as soon as the command in progress is done. Without it, shutdown destroys.
   */
  shutdown?(): void;
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
  /** Concurrent connections from one client address. Default 50 (Postfix's default). */
  maxConnectionsPerClient?: number;
  /** Written to a cleartext connection over the cap before it is closed. */
  busyReply: string;
  /** Written to a cleartext connection over the per-client cap. Default `busyReply`. */
  clientBusyReply?: string;
  /** Longest implicit-TLS handshake before the socket is dropped. */
  handshakeTimeoutMs: number;
  /** How long close() lets commands in progress finish before it drops them. Default 10 000. */
  closeTimeoutMs?: number;
  logger: Logger;
  /**
   * Told the new context when `setTls` replaces the certificate, for what the listener does not
   * hold itself (the STARTTLS context its sessions use).
   */
  onSecureContext?(context: SecureContext): void;
  /** Makes the session for an accepted (and, for implicit TLS, secured) socket. */
  createSession(socket: Socket, tlsActive: boolean): ListenedSession;
}

export interface SessionListener {
  /** Starts listening; port 0 picks a free one. Resolves with the bound address. */
  listen(port: number, host?: string): Promise<{ port: number; host: string }>;
  /**
   * Stops accepting, says goodbye to every session (at once when idle, else after its
   * command, up to closeTimeoutMs), drops what is left and waits for the sessions' cleanup.
   */
  close(): Promise<void>;
  /** Sessions open right now. */
  readonly connections: number;
  /**
   * A new certificate and key (a renewal): connections from now on get them, those open keep
   * theirs. A listener without TLS ignores it.
   */
  setTls(tls: { key: string | Buffer; cert: string | Buffer }): void;
}

/** A TCP listener for line-protocol sessions: connection caps, implicit TLS, graceful close. */
export function createSessionListener(options: SessionListenerOptions): SessionListener {
  const { logger } = options;
  const sessions = new Set<ListenedSession>();
  const running = new Set<Promise<void>>();
  const sockets = new Set<Socket>();
  /** Raw sockets still in the implicit-TLS handshake: no session yet. */
  const handshaking = new Set<Socket>();
  const perClient = new ClientCounter();
  const perClientCap = options.maxConnectionsPerClient ?? LIMIT_DEFAULTS.maxConnectionsPerClient;
  /** The implicit-TLS context; replaced by setTls. */
  let implicitTls = options.implicitTls;

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

  const refuse = (raw: Socket, reply: string): void => {
    if (implicitTls) return void raw.destroy();
    raw.end(reply);
    // A refused client that never closes its side must not keep counting against the caps.
    raw.setTimeout(options.handshakeTimeoutMs, () => raw.destroy());
  };

  const accept = async (raw: Socket): Promise<void> => {
    sockets.add(raw);
    const remote = raw.remoteAddress;
    const fromClient = perClient.add(remote);
    raw.once('close', () => {
      sockets.delete(raw);
      perClient.remove(remote);
    });
    raw.on('error', () => {});
    if (sockets.size > options.maxConnections) {
      logger.warn({ event: 'too-many-connections', remote: raw.remoteAddress });
      return refuse(raw, options.busyReply);
    }
    if (fromClient > perClientCap) {
      logger.warn({ event: 'too-many-connections-from-client', remote, limit: perClientCap });
      return refuse(raw, options.clientBusyReply ?? options.busyReply);
    }
    handshaking.add(raw);
    const context = implicitTls;
    const socket = context ? await secure(raw, context) : raw;
    handshaking.delete(raw);
    if (!socket || !server) {
      socket?.destroy();
      return;
    }
    const session = options.createSession(socket, !!context);
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
    setTls(tls) {
      if (!implicitTls && !options.onSecureContext) return;
      const context = createSecureContext({ key: tls.key, cert: tls.cert });
      if (implicitTls) implicitTls = context;
      options.onSecureContext?.(context);
    },
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const s = createServer((socket) => {
          if (!server) {
            socket.destroy();
            return;
          }
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
      // A TLS handshake has nothing to finish; a session says goodbye when it can.
      for (const socket of handshaking) socket.destroy();
      for (const session of sessions) {
        if (session.shutdown) session.shutdown();
        else session.destroy();
      }
      const grace = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.closeTimeoutMs ?? LIMIT_DEFAULTS.closeTimeoutMs);
        timer.unref();
        Promise.all([...running]).then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await grace;
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await closed;
      // Sessions release locks and close folders in their own cleanup; wait for it.
      await Promise.all([...running]);
    },
  };
}
