import {
  type DeliveryTarget,
  deliveryEnvelope,
  isUnsettled,
  type Logger,
  type QueuedMessage,
  type RecipientResult,
  replyFromError,
  type Spool,
  silentLogger,
} from '@mailstack/core';
import { processOwnerName } from './lease-owner.ts';

export interface QueueRunnerOptions {
  spool: Spool;
  /** Where messages go: the LMTP client to the MDA, the outbound SMTP worker, a test fake. */
  target: DeliveryTarget;
  /**
   * Lease owner name; default `<host>:<pid>:<random>:<boot>:<start>` (lease-owner.ts), unique per
   * runner and telling which process holds a lease, so its leases are taken back once it is gone.
   */
  owner?: string;
  /** Messages in delivery at once (default 4). */
  concurrency?: number;
  /** Lease length; renewed at half-time while a delivery runs (default 5 minutes). */
  leaseMs?: number;
  /** Look for due messages at least this often, for retries and other processes' changes (default 1 s). */
  pollMs?: number;
  clock?: () => number;
  logger?: Logger;
}

export interface QueueRunner {
  readonly owner: string;
  /** Look for due messages now (another process flushed, say). */
  kick(): void;
  /** Stops leasing; resolves when the deliveries in progress have settled. */
  stop(): Promise<void>;
}

/**
 * The scheduler loop: lease due messages, hand each to the delivery target with only its open
 * recipients, settle the per-recipient results. A target that throws defers every open recipient
 * with the error's reply (451 unless it is an SmtpError).
 */
export function startQueueRunner(options: QueueRunnerOptions): QueueRunner {
  const { spool, target } = options;
  const owner = options.owner ?? processOwnerName();
  const concurrency = options.concurrency ?? 4;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const pollMs = options.pollMs ?? 1000;
  const clock = options.clock ?? Date.now;
  const log = (options.logger ?? silentLogger).child({ agent: 'queue-runner', owner });
  const active = new Set<Promise<void>>();
  let running = true;
  let wakeUp: (() => void) | null = null;
  let kicked = false;

  const kick = () => {
    kicked = true;
    wakeUp?.();
  };
  const unsubscribe = spool.onWake(kick);

  async function deliver(message: QueuedMessage): Promise<void> {
    const renewal = setInterval(() => {
      spool.renew(message.id, { owner, leaseMs }).catch(() => {});
    }, leaseMs / 2);
    let results: RecipientResult[];
    try {
      results = await target.deliver(deliveryEnvelope(message), message.blob);
    } catch (err) {
      const reply = replyFromError(err);
      log.warn({ event: 'attempt-failed', queueId: message.id, err: String(err) }, 'delivery attempt failed');
      results = message.recipients
        .filter(isUnsettled)
        .map((r) => ({ recipient: r.recipient.address, reply }));
    } finally {
      clearInterval(renewal);
    }
    await spool.settle(message.id, results, { owner });
  }

  const loop = (async () => {
    while (running) {
      kicked = false;
      const room = concurrency - active.size;
      let leased: QueuedMessage[] = [];
      if (room > 0) {
        try {
          leased = await spool.lease(new Date(clock()), { owner, max: room, leaseMs });
        } catch (err) {
          log.error({ event: 'lease-failed', err: String(err) }, 'lease failed');
        }
      }
      for (const message of leased) {
        const job = deliver(message)
          .catch((err) =>
            log.error({ event: 'settle-failed', queueId: message.id, err: String(err) }, 'settle failed'),
          )
          .finally(() => {
            active.delete(job);
            kick();
          });
        active.add(job);
      }
      if (!running) break;
      // A full batch may mean more are due: look again at once while there is room.
      if (leased.length > 0 && active.size < concurrency) continue;
      if (kicked) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = null;
    }
  })();

  return {
    owner,
    kick,
    async stop() {
      running = false;
      wakeUp?.();
      unsubscribe?.();
      await loop;
      await Promise.all(active);
    },
  };
}
