import type { Logger, Spool } from '@mailstack/core';
import { startQueueRunner } from '@mailstack/queue';
import { createDsnNotifier } from './dsn/index.ts';
import {
  createLmtpTarget,
  createTransferTarget,
  type LmtpTargetOptions,
  type TransferTarget,
  type TransferTargetOptions,
} from './outbound/index.ts';

export interface DeliveryWorkerOptions {
  /** The spool the inbound MTA and the MSA write into. */
  spool: Spool & { onWake?(listener: () => void): () => void };
  /** Our name in EHLO/LHLO and the DSNs' Reporting-MTA. */
  hostname: string;
  /** Where recipients in local domains go: the MDA's LMTP listener (ours or Dovecot's). */
  lmtp: LmtpTargetOptions;
  /** Everything else of the outbound worker: routing, DNS, TLS, limits, the DKIM `prepare` hook. */
  transfer?: Omit<TransferTargetOptions, 'hostname' | 'local' | 'logger'>;
  /** Messages in delivery at once, and how often the spool is polled (queue runner defaults). */
  concurrency?: number;
  pollMs?: number;
  logger?: Logger;
}

export interface DeliveryWorker {
  readonly transfer: TransferTarget;
  /** Stops leasing, waits for deliveries in progress, then closes the pooled connections. */
  stop(): Promise<void>;
}

/**
 * The transfer agent's outbound half as one piece: a queue runner draining the spool through
 * the transfer target (local domains over LMTP, others by MX), and the DSN notifier turning
 * the spool's failed/delayed/delivered events into reports back through the same spool.
 * `npm start`, `main.ts --deliver` and the test hosts all run exactly this.
 */
export function startDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { spool, hostname } = options;
  const log = options.logger ? { logger: options.logger } : {};
  const local = createLmtpTarget({ hostname, ...options.lmtp, ...log });
  const transfer = createTransferTarget({ ...options.transfer, hostname, local, ...log });
  const stopDsn = spool.onEvent(createDsnNotifier({ spool, reportingMta: hostname, ...log }));
  const runner = startQueueRunner({
    spool,
    target: transfer,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    ...log,
  });
  return {
    transfer,
    async stop() {
      await runner.stop();
      stopDsn();
      await transfer.close();
      await local.close();
    },
  };
}
