import { durationMs } from '@mailstack/config';

/** `limits.imap` / `limits.pop3` as the IMAP and POP3 servers' options. */
export function accessLimits(l: {
  connections: number;
  connectionsPerClient: number;
  loginTimeout: string;
  commandTimeout: string;
  idleTimeout: string;
}) {
  return {
    maxConnections: l.connections,
    maxConnectionsPerClient: l.connectionsPerClient,
    loginTimeoutMs: durationMs(l.loginTimeout),
    commandTimeoutMs: durationMs(l.commandTimeout),
    idleTimeoutMs: durationMs(l.idleTimeout),
  };
}
