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
import { Pop3Session } from './session.ts';

/** `limits`: per-client cap (`-ERR [IN-USE]` beyond), login/command deadlines, input bound, close grace. */
export interface Pop3ServerOptions extends ConnectionLimits {
  directory: Directory;
  store: MailboxStore;
  /** Name in the greeting. */
  hostname: string;
  /** PEM key and certificate: enables STLS (RFC 2595), or implicit TLS with `implicitTls`. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** TLS from the first byte (port 995) instead of STLS. Needs `tls`. */
  implicitTls?: boolean;
  /** Development only: USER/PASS and AUTH without TLS when the client is on loopback. */
  allowCleartextAuthOnLoopback?: boolean;
  /** Login-failure throttle; default 10 failures per IP in 15 minutes. Share one across agents. */
  authThrottle?: AuthThrottle;
  /** Concurrent connections; more are turned away with -ERR [SYS/TEMP]. Default 500. */
  maxConnections?: number;
  /** Idle time before autologout; RFC 1939 asks for at least 10 minutes. Default 600000. */
  idleTimeoutMs?: number;
  logger?: Logger;
  /** Logins and failed logins are counted here (the web agent's /metrics). */
  metrics?: MetricsSink;
}

/** listen/close/connections; close() drops every session without UPDATE: nothing is deleted. */
export type Pop3Server = SessionListener;

export function createPop3Server(options: Pop3ServerOptions): Pop3Server {
  if (options.implicitTls && !options.tls) throw new TypeError('createPop3Server: implicitTls needs tls');
  const logger = (options.logger ?? silentLogger).child({ agent: 'pop3' });
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
    idleTimeoutMs: options.idleTimeoutMs ?? 600_000,
    implementation: 'Mailstack',
    metrics: options.metrics ?? noMetrics,
    logger,
  };
  return createSessionListener({
    name: 'pop3',
    ...(options.implicitTls && secureContext ? { implicitTls: secureContext } : {}),
    maxConnections: options.maxConnections ?? 500,
    maxConnectionsPerClient: limits.maxConnectionsPerClient,
    busyReply: '-ERR [SYS/TEMP] too many connections; try again later\r\n',
    clientBusyReply: '-ERR [IN-USE] too many connections from your address\r\n',
    closeTimeoutMs: limits.closeTimeoutMs,
    handshakeTimeoutMs: Math.min(config.idleTimeoutMs, 60_000),
    logger,
    // A renewed certificate: STARTTLS from the next session on uses it too.
    ...(secureContext
      ? { onSecureContext: (context: SecureContext) => (config.secureContext = context) }
      : {}),
    createSession: (socket, tlsActive) => new Pop3Session(socket, config, tlsActive),
  });
}
