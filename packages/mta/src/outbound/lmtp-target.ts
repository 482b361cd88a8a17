import { hostname as osHostname } from 'node:os';
import {
  type DeliveryTarget,
  type Logger,
  type Recipient,
  type RecipientResult,
  silentLogger,
} from '@mailstack/core';
import type { ClientTimeouts } from './client-connection.ts';
import { ConnectionPool } from './connection-pool.ts';
import { deliverViaHosts, type HopContext } from './hop-delivery.ts';
import { KeyedLimiter, Limiter } from './limiter.ts';

export type LmtpTargetOptions = ({ host: string; port: number } | { socketPath: string }) & {
  /** Our LHLO name. Default os.hostname(). */
  hostname?: string;
  /** Transactions at once. Default 4. */
  maxConnections?: number;
  /** RCPTs per transaction. Default 100. */
  maxRecipientsPerTransaction?: number;
  /** How long an idle connection stays open for the next message. Default 5000. */
  idleMs?: number;
  timeouts?: ClientTimeouts;
  logger?: Logger;
};

/**
 * Delivery into an LMTP server (our MDA, Dovecot): one transaction per message (or per
 * `maxRecipientsPerTransaction`), one reply per recipient after DATA (RFC 2033 4.2).
 */
export function createLmtpTarget(options: LmtpTargetOptions): DeliveryTarget & { close(): Promise<void> } {
  const logger = (options.logger ?? silentLogger).child({ agent: 'lmtp-client' });
  const pool = new ConnectionPool({
    idleMs: options.idleMs ?? 5000,
    maxIdlePerPeer: options.maxConnections ?? 4,
  });
  const ctx: HopContext = {
    pool,
    overall: new Limiter(options.maxConnections ?? 4),
    perDestination: new KeyedLimiter(options.maxConnections ?? 4),
    logger,
  };
  const socketPath = 'socketPath' in options ? options.socketPath : undefined;
  const host = 'host' in options ? options.host : 'localhost';
  const settings = {
    port: 'port' in options ? options.port : 24,
    lmtp: true,
    // between our own agents on one host: plain, no STARTTLS round trip
    tls: { disabled: true },
    name: options.hostname ?? osHostname(),
    maxRecipients: options.maxRecipientsPerTransaction ?? 100,
    destination: socketPath ?? host,
    ...(socketPath ? { socketPath } : {}),
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
  };
  return {
    async deliver(envelope, blob): Promise<RecipientResult[]> {
      const hosts = [{ name: socketPath ?? host, addresses: [socketPath ?? host] }];
      const replies = await deliverViaHosts(
        ctx,
        hosts,
        settings,
        envelope,
        blob,
        envelope.rcptTo as Recipient[],
      );
      return envelope.rcptTo.map((r, i) => ({
        recipient: r.address,
        reply: replies[i] as RecipientResult['reply'],
      }));
    },
    async close() {
      pool.close();
    },
  };
}
