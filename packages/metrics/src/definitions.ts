import type { CounterName, Counters, HistogramName, Histograms } from '@mailstack/core';

/** Every series name starts with this, so the host's metrics sort together. */
export const PREFIX = 'mailstack_';

interface CounterDefinition<N extends CounterName> {
  help: string;
  /** Label sets exported at 0 before anything happens, so `rate()` has a start. */
  initial: Array<Counters[N]>;
}

const QUEUE_AND_MDA = [{ agent: 'queue' }, { agent: 'mda' }] as const;

/** The counters agents feed through core's MetricsSink; `_total` is added by the name. */
export const COUNTERS: { [N in CounterName]: CounterDefinition<N> } = {
  messages_accepted: {
    help: 'Messages accepted (2xx at the end of DATA) by the submission and transfer agents',
    initial: [{ agent: 'msa' }, { agent: 'mta' }],
  },
  messages_delivered: {
    help: 'Recipients delivered: to the next hop (queue) or into a mailbox (mda)',
    initial: [...QUEUE_AND_MDA],
  },
  messages_deferred: {
    help: 'Recipients that got a temporary failure and wait for a retry',
    initial: [...QUEUE_AND_MDA],
  },
  messages_bounced: {
    help: 'Recipients that failed for good (5xx, or the queue gave up)',
    initial: [...QUEUE_AND_MDA],
  },
  auth_failures: {
    help: 'Logins refused for a wrong user name or password, by protocol',
    initial: [{ protocol: 'submission' }, { protocol: 'smtp' }, { protocol: 'imap' }, { protocol: 'pop3' }],
  },
  sessions: {
    help: 'Successful logins to the IMAP and POP3 agents, by protocol',
    initial: [{ protocol: 'imap' }, { protocol: 'pop3' }],
  },
};

interface HistogramDefinition<N extends HistogramName> {
  help: string;
  labelNames: Array<keyof Histograms[N] & string>;
  buckets: number[];
}

export const HISTOGRAMS: { [N in HistogramName]: HistogramDefinition<N> } = {
  delivery_latency_seconds: {
    help: 'Seconds from arrival in the queue to the delivery of one recipient',
    labelNames: ['agent'],
    // From a local hop (well under a second) to the retry schedule's later steps (hours, days).
    buckets: [0.05, 0.25, 1, 5, 30, 120, 600, 1800, 3600, 4 * 3600, 24 * 3600, 5 * 24 * 3600],
  },
};

/** The label names of a counter, read off its first initial label set. */
export function labelNamesOf(name: CounterName): string[] {
  const first = COUNTERS[name].initial[0];
  return first ? Object.keys(first) : [];
}

/**
 * What each process counts for the host, summed across processes: the counters, the
 * histograms and the listeners' connections. Not Node's process metrics (they describe one
 * process) nor the queue gauges (every reader of the shared spool sees the same queue).
 */
export const COUNTED_SERIES: ReadonlySet<string> = new Set([
  ...Object.keys(COUNTERS).map((name) => `${PREFIX}${name}_total`),
  ...Object.keys(HISTOGRAMS).map((name) => `${PREFIX}${name}`),
  `${PREFIX}connections`,
]);
