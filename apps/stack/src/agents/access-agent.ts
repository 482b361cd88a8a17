import { durationMs } from '@mailstack/config';
import type { Directory, Logger, MailboxStore, MetricsSink } from '@mailstack/core';
import type { AuthThrottle } from '@mailstack/directory';
import type { SharedState } from '../shared.ts';
import type { TlsPair } from '../tls-source.ts';
import { type AgentListener, listenAll, type RunningAgent } from './listen.ts';

/** What IMAP and POP3 servers both take from the host config. */
export interface AccessServerOptions {
  directory: Directory;
  store: MailboxStore;
  hostname: string;
  tls?: TlsPair;
  implicitTls: boolean;
  allowCleartextAuthOnLoopback: boolean;
  authThrottle: AuthThrottle;
  logger: Logger;
  metrics: MetricsSink;
  maxConnections: number;
  maxConnectionsPerClient: number;
  loginTimeoutMs: number;
  commandTimeoutMs: number;
  idleTimeoutMs: number;
}

/** IMAP or POP3 over the store: the plain port with STARTTLS/STLS, the other with implicit TLS. */
export async function startAccessAgent(
  shared: SharedState,
  agent: 'imap' | 'pop3',
  protocols: { none: string; starttls: string; implicit: string },
  create: (options: AccessServerOptions) => AgentListener,
): Promise<RunningAgent> {
  const { config, logger } = shared;
  const [directory, store, authThrottle] = await Promise.all([
    shared.directory(),
    shared.store(),
    shared.authThrottle(),
  ]);
  const l = config.limits[agent];
  return listenAll(
    shared,
    agent,
    (tls) => protocols[tls],
    (listener, tls) =>
      create({
        directory,
        store,
        hostname: config.hostname,
        ...(tls ? { tls } : {}),
        implicitTls: listener.tls === 'implicit',
        allowCleartextAuthOnLoopback: config.dev.cleartextAuthOnLoopback,
        authThrottle,
        logger,
        metrics: shared.metrics,
        maxConnections: l.connections,
        maxConnectionsPerClient: l.connectionsPerClient,
        loginTimeoutMs: durationMs(l.loginTimeout),
        commandTimeoutMs: durationMs(l.commandTimeout),
        idleTimeoutMs: durationMs(l.idleTimeout),
      }),
  );
}
