import type { Logger, MetricsSink } from '@mailstack/core';
import type { SpoolRecord } from './record.ts';
import type { SettleOutcome } from './transitions.ts';

/**
 * What a settle tells the log and the metrics, the same for every spool backend: results that
 * matched no open recipient, each recipient attempted (and its count: delivered with its
 * arrival-to-delivery latency, deferred, bounced), a settle after the lease passed on, and the
 * events raised. `log` already names the queue id; `rec` is the record after the settle at `now`.
 */
export function reportSettle(
  log: Logger,
  metrics: MetricsSink,
  settled: {
    rec: SpoolRecord;
    outcome: SettleOutcome;
    now: number;
    stale: boolean;
    owner?: string | undefined;
  },
): void {
  const { rec, outcome, now } = settled;
  for (const r of outcome.unmatched)
    log.warn({ event: 'settle-unknown-recipient', recipient: r.recipient }, 'result for no open recipient');
  const labels = { agent: 'queue' } as const;
  for (const r of rec.recipients) {
    if (r.lastAttemptAt !== now) continue;
    log.info(
      { event: 'settled', recipient: r.address, status: r.status, reply: r.lastReply, failure: r.failure },
      'settled',
    );
    if (r.status === 'delivered') {
      metrics.count('messages_delivered', labels);
      metrics.observe('delivery_latency_seconds', (now - rec.arrivedAt) / 1000, labels);
    } else if (r.status === 'deferred') metrics.count('messages_deferred', labels);
    else if (r.status === 'failed') metrics.count('messages_bounced', labels);
  }
  if (settled.stale)
    log.warn(
      { event: 'settle-after-lease-lost', owner: settled.owner, holder: rec.lease?.owner },
      'settle after lease passed on',
    );
  for (const e of outcome.events)
    log.info({ event: 'spool-event', kind: e.type, recipients: e.recipients.length }, 'event');
}
