import {
  AggregatorRegistry,
  type Metric,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from 'prom-client';
import { COUNTED_SERIES } from './definitions.ts';

/** One metric family as `registry.getMetricsAsJSON()` gives it. */
export type MetricJson = MetricObjectWithValues<MetricValue<string>>;

/**
 * `own` with other processes' counted series added in: counters and histogram buckets, sums
 * and counts summed per label set (prom-client's `sum` aggregator), and the connections gauge
 * summed too, its labels (agent, protocol, port) keeping each listener apart. Node's process
 * metrics and the queue gauges stay this process's own.
 */
export async function mergedRegistry(
  own: Registry,
  peers: MetricJson[][],
): Promise<Pick<Registry, 'metrics'>> {
  const mine = (await own.getMetricsAsJSON()) as MetricJson[];
  const counted = mine.filter((m) => COUNTED_SERIES.has(m.name));
  // A peer of another version may type a series otherwise: only what matches ours is added.
  const types = new Map(counted.map((m) => [m.name, m.type]));
  const matching = (series: MetricJson[]) =>
    series.filter((m) => types.get(m.name) === m.type && m.aggregator === 'sum');
  const merged = AggregatorRegistry.aggregate([counted, ...peers.map(matching)]);
  // The rest as it is: through aggregate() the process start time would be dropped ('omit').
  for (const metric of mine.filter((m) => !COUNTED_SERIES.has(m.name))) {
    merged.registerMetric({ ...metric, get: () => metric } as unknown as Metric);
  }
  return merged;
}
