import { createSecureContext, type SecureContext } from 'node:tls';
import type { Directory, Logger, MailboxStore, MetricsSink } from '@mailstack/core';
import { noMetrics, silentLogger } from '@mailstack/core';
import { type AuthThrottle, createAuthThrottle } from '@mailstack/directory';
import {
  type ConnectionLimits,
  connectionLimits,
  createSessionListener,
  type SessionListener,
} from '@mailstack/line-server';
import { ImapSession } from './session.ts';

/** `limits`: per-client cap (`* BYE` beyond), login/command/literal deadlines, input bound, close grace. */
export interface ImapServerOptions extends ConnectionLimits {
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
  /** Logins and failed logins are counted here (the web agent's /metrics). */
  metrics?: MetricsSink;
}

/** listen/close/connections; close() drops every session. */
export type ImapServer = SessionListener;

export function createImapServer(options: ImapServerOptions): ImapServer {
  if (options.implicitTls && !options.tls) throw new TypeError('createImapServer: implicitTls needs tls');
  const logger = (options.logger ?? silentLogger).child({ agent: 'imap' });
  const secureContext = options.tls
    ? createSecureContext({ key: options.tls.key, cert: options.tls.cert })
    : undefined;
  const limits = connectionLimits(options);
  const config = {
    limits,
    directory: options.directory,
    store: options.store,
    hostname: options.hostname,
    ...(secureContext ? { secureContext } : {}),
    allowCleartextAuthOnLoopback: options.allowCleartextAuthOnLoopback === true,
    throttle: options.authThrottle ?? createAuthThrottle({ maxFailures: 10, windowMs: 15 * 60_000 }),
    idleTimeoutMs: options.idleTimeoutMs ?? 1_800_000,
    maxAppendSize: options.maxAppendSize ?? 50 * 1024 * 1024,
    metrics: options.metrics ?? noMetrics,
    logger,
  };
  return createSessionListener({
    name: 'imap',
    ...(options.implicitTls && secureContext ? { implicitTls: secureContext } : {}),
    maxConnections: options.maxConnections ?? 500,
    maxConnectionsPerClient: limits.maxConnectionsPerClient,
    busyReply: '* BYE [UNAVAILABLE] too many connections; try again later\r\n',
    clientBusyReply: '* BYE [UNAVAILABLE] too many connections from your address\r\n',
    closeTimeoutMs: limits.closeTimeoutMs,
    handshakeTimeoutMs: Math.min(config.idleTimeoutMs, 60_000),
    logger,
    // A renewed certificate: STARTTLS from the next session on uses it too.
    ...(secureContext
      ? { onSecureContext: (context: SecureContext) => (config.secureContext = context) }
      : {}),
    createSession: (socket, tlsActive) => new ImapSession(socket, config, tlsActive),
  });
}
