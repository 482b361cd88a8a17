import type { CounterName, HistogramName, MetricsSink } from '@mailstack/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { COUNTED_SERIES, COUNTERS, HISTOGRAMS, labelNamesOf, PREFIX } from './definitions.ts';
import { type MetricJson, mergedRegistry } from './merge.ts';

/** A listener whose open connections are read at scrape time (our SMTP and line listeners). */
export interface ListenerSource {
  readonly connections: number;
}

export interface ListenerLabels {
  agent: string;
  protocol: string;
  /** The TCP port, or `unix:<path>` for a unix socket listener. */
  port: number | string;
}

/** What the queue gauges read at scrape time: FileSpool's `list()` fits. */
export interface QueueSource {
  list(): Promise<ReadonlyArray<{ arrivedAt: Date }>>;
}

export interface HostMetricsOptions {
  /** Node's process metrics (CPU, memory, event loop lag) beside ours. Default true. */
  processMetrics?: boolean;
  /** Milliseconds since the epoch, for the age of the oldest queue entry (tests). */
  clock?: () => number;
}

/**
 * The host's metrics in one registry. Agents count through the MetricsSink half; the web
 * agent serves `scrape()`. Gauges (connections, queue) are read from their sources when
 * scraped, so nothing has to keep them up to date.
 */
export interface HostMetrics extends MetricsSink {
  readonly registry: Registry;
  /** Reports this listener's open connections under its labels; returns the way to stop. */
  trackListener(labels: ListenerLabels, source: ListenerSource): () => void;
  /** Reports the queue's size and the age of its oldest entry from this spool. */
  trackQueue(source: QueueSource): void;
  /**
   * The Prometheus text exposition and its content type; with `peers` (other processes'
   * `countedSeries()`), their counts added to this process's (see mergedRegistry).
   */
  scrape(peers?: MetricJson[][]): Promise<{ contentType: string; body: string }>;
  /**
   * The series this process counts for the host (counters, histograms, its listeners'
   * connections) as prom-client JSON: what other processes add to theirs. Not Node's process
   * metrics (they describe one process) nor the queue gauges (read from the shared spool).
   */
  countedSeries(): Promise<MetricJson[]>;
}

export function createHostMetrics(options: HostMetricsOptions = {}): HostMetrics {
  const registry = new Registry();
  const clock = options.clock ?? Date.now;
  if (options.processMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: PREFIX });
    // prom-client names three gauges `*_total` (active handles, requests, resources), which
    // promtool's lint refuses; the same numbers stay as the per-type gauges without `_total`.
    for (const metric of registry.getMetricsAsArray()) {
      const { name, type } = metric as unknown as { name: string; type: string };
      if (type === 'gauge' && name.endsWith('_total')) registry.removeSingleMetric(name);
    }
  }

  const counters = new Map<CounterName, Counter>();
  for (const name of Object.keys(COUNTERS) as CounterName[]) {
    const counter = new Counter({
      name: `${PREFIX}${name}_total`,
      help: COUNTERS[name].help,
      labelNames: labelNamesOf(name),
      registers: [registry],
    });
    for (const labels of COUNTERS[name].initial) counter.inc(labels, 0);
    counters.set(name, counter);
  }
  const histograms = new Map<HistogramName, Histogram>();
  for (const name of Object.keys(HISTOGRAMS) as HistogramName[]) {
    const { help, labelNames, buckets } = HISTOGRAMS[name];
    histograms.set(
      name,
      new Histogram({ name: `${PREFIX}${name}`, help, labelNames, buckets, registers: [registry] }),
    );
  }

  const listeners = new Map<ListenerSource, ListenerLabels>();
  new Gauge({
    name: `${PREFIX}connections`,
    help: 'Open connections per listener',
    labelNames: ['agent', 'protocol', 'port'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [source, { agent, protocol, port }] of listeners) {
        this.set({ agent, protocol, port: String(port) }, source.connections);
      }
    },
  });

  let queue: QueueSource | undefined;
  // One spool read per scrape feeds both queue gauges.
  let snapshot: Promise<{ size: number; oldestAgeSeconds: number }> | undefined;
  const readQueue = () => {
    snapshot ??= (async () => {
      const entries = queue ? await queue.list() : [];
      const oldest = Math.min(...entries.map((e) => e.arrivedAt.getTime()));
      return {
        size: entries.length,
        oldestAgeSeconds: entries.length ? Math.max(0, (clock() - oldest) / 1000) : 0,
      };
    })();
    return snapshot;
  };
  const queueGauges = [
    ['queue_messages', 'Messages in the queue (waiting, deferred, held or being delivered)', 'size'],
    [
      'queue_oldest_age_seconds',
      'Age of the oldest message in the queue; 0 when the queue is empty',
      'oldestAgeSeconds',
    ],
  ] as const;
  for (const [name, help, field] of queueGauges) {
    new Gauge({
      name: `${PREFIX}${name}`,
      help,
      registers: [registry],
      async collect() {
        this.set((await readQueue())[field]);
      },
    });
  }

  return {
    registry,
    count(name, labels, by = 1) {
      counters.get(name)?.inc(labels, by);
    },
    observe(name, value, labels) {
      histograms.get(name)?.observe(labels, value);
    },
    trackListener(labels, source) {
      listeners.set(source, labels);
      return () => listeners.delete(source);
    },
    trackQueue(source) {
      queue = source;
    },
    async countedSeries() {
      // Each metric's own get(), not the registry's JSON, so the queue gauges' spool read is skipped.
      const metrics = [...COUNTED_SERIES].flatMap((name) => registry.getSingleMetric(name) ?? []);
      return Promise.all(metrics.map(async (metric) => (await metric.get()) as MetricJson));
    },
    async scrape(peers = []) {
      try {
        const merged = peers.length ? await mergedRegistry(registry, peers) : registry;
        return { contentType: registry.contentType, body: await merged.metrics() };
      } finally {
        snapshot = undefined;
      }
    },
  };
}
