import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import type { Directory, Logger, MailboxStore } from '@mailstack/core';
import { silentLogger } from '@mailstack/core';
import { type AuthThrottle, createAuthThrottle } from '@mailstack/directory';
import { ImapSession } from './session.ts';

export interface ImapServerOptions {
  directory: Directory;
  store: MailboxStore;
  /** Name in the greeting. */
  hostname: string;
  /** PEM key and certificate: enables STARTTLS (RFC 3501 6.2.1), or implicit TLS with `implicitTls`. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** TLS from the first byte (port 993, RFC 8314) instead of STARTTLS. Needs `tls`. */
  implicitTls?: boolean;
  /** Development only: LOGIN and AUTHENTICATE without TLS when the client is on loopback. */
  allowCleartextAuthOnLoopback?: boolean;
  /** Login-failure throttle; default 10 failures per IP in 15 minutes. Share one across agents. */
  authThrottle?: AuthThrottle;
  /** Concurrent connections; more are turned away with `* BYE`. Default 500. */
  maxConnections?: number;
  /** Idle time before autologout; RFC 3501 5.4 asks for at least 30 minutes. Default 1800000. */
  idleTimeoutMs?: number;
  /** Largest APPEND (APPENDLIMIT). Default 50 MiB. */
  maxAppendSize?: number;
  logger?: Logger;
}

export interface ImapServer {
  /** Starts listening; port 0 picks a free one. Resolves with the bound address. */
  listen(port: number, host?: string): Promise<{ port: number; host: string }>;
  /** Stops listening and drops every session . */
  close(): Promise<void>;
  /** Sessions open right now. */
  readonly connections: number;
}

export function createImapServer(options: ImapServerOptions): ImapServer {
  if (options.implicitTls && !options.tls) throw new TypeError('createImapServer: implicitTls needs tls');
  const logger = (options.logger ?? silentLogger).child({ agent: 'imap' });
  const secureContext = options.tls
    ? createSecureContext({ key: options.tls.key, cert: options.tls.cert })
    : undefined;
  const config = {
    directory: options.directory,
    store: options.store,
    hostname: options.hostname,
    ...(secureContext ? { secureContext } : {}),
    allowCleartextAuthOnLoopback: options.allowCleartextAuthOnLoopback === true,
    throttle: options.authThrottle ?? createAuthThrottle({ maxFailures: 10, windowMs: 15 * 60_000 }),
    idleTimeoutMs: options.idleTimeoutMs ?? 1_800_000,
    maxAppendSize: options.maxAppendSize ?? 50 * 1024 * 1024,
    logger,
  };
  const maxConnections = options.maxConnections ?? 500;
  const sessions = new Set<ImapSession>();
  const running = new Set<Promise<void>>();
  const sockets = new Set<Socket>();

  const accept = async (raw: Socket): Promise<void> => {
    sockets.add(raw);
    raw.once('close', () => sockets.delete(raw));
    raw.on('error', () => {});
    // Counted by socket, so connections still in a TLS handshake count too.
    if (sockets.size > maxConnections) {
      logger.warn({ event: 'too-many-connections', remote: raw.remoteAddress });
      if (options.implicitTls) raw.destroy();
      else raw.end('* BYE [UNAVAILABLE] too many connections; try again later\r\n');
      return;
    }
    let socket: Socket = raw;
    if (options.implicitTls && secureContext) {
      const secure = new TLSSocket(raw, { isServer: true, secureContext });
      secure.on('error', (err) => logger.debug({ event: 'tls-error', err: err.message }));
      raw.setTimeout(Math.min(config.idleTimeoutMs, 60_000), () => raw.destroy());
      const ok = await new Promise<boolean>((resolve) => {
        secure.once('secure', () => resolve(true));
        secure.once('close', () => resolve(false));
      });
      raw.setTimeout(0);
      if (!ok) return;
      socket = secure;
    }
    const session = new ImapSession(socket, config, !!options.implicitTls);
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
          else reject(new Error('imap: no bound address'));
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
      // Sessions close their folders in their own cleanup; wait for it.
      await Promise.all([...running]);
    },
  };
}
