/**
 * What an agent reports for the host's metrics, without knowing how they are kept: the
 * metrics package (prom-client) implements it, agents only call it. A closed set of names,
 * each with its labels, so a typo or a missing label does not type-check and every series is
 * defined in one place.
 */
export interface Counters {
  /** A message taken responsibility for (2xx at the end of DATA). */
  messages_accepted: { agent: 'msa' | 'mta' };
  /** One recipient delivered to the next hop (queue) or into a mailbox (mda). */
  messages_delivered: { agent: 'queue' | 'mda' };
  /** One recipient got a temporary failure and is retried later. */
  messages_deferred: { agent: 'queue' | 'mda' };
  /** One recipient failed for good (5xx, or the queue gave up). */
  messages_bounced: { agent: 'queue' | 'mda' };
  /** A wrong user name or password. */
  auth_failures: { protocol: 'submission' | 'smtp' | 'imap' | 'pop3' };
  /** A successful login to an access agent. */
  sessions: { protocol: 'imap' | 'pop3' };
}

export interface Histograms {
  /** Seconds from arrival in the queue to the delivery of one recipient. */
  delivery_latency_seconds: { agent: 'queue' };
}

export type CounterName = keyof Counters;
export type HistogramName = keyof Histograms;

export interface MetricsSink {
  /** Adds `by` (default 1) to a counter. */
  count<N extends CounterName>(name: N, labels: Counters[N], by?: number): void;
  /** Records one sample in a histogram. */
  observe<N extends HistogramName>(name: N, value: number, labels: Histograms[N]): void;
}

/** Records nothing: the default when no metrics are wired (library use, tests). */
export const noMetrics: MetricsSink = {
  count() {},
  observe() {},
};
