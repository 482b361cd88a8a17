import { durationMs, type MailstackConfig, sizeBytes } from '@mailstack/config';

/** `limits.smtp` and `limits.messageSize` as the MSA's and the inbound MTA's listener options. */
export function smtpListenerLimits(config: MailstackConfig) {
  const l = config.limits.smtp;
  return {
    maxConnections: l.connections,
    maxConnectionsPerClient: l.connectionsPerClient,
    commandTimeoutMs: durationMs(l.commandTimeout),
    dataTimeoutMs: durationMs(l.dataTimeout),
    minDataRate: l.minDataRate,
    idleTimeoutMs: durationMs(l.idleTimeout),
    maxRecipients: l.recipientsPerMessage,
    maxMessageSize: sizeBytes(config.limits.messageSize),
  };
}
