export { COUNTERS, HISTOGRAMS, PREFIX } from './definitions.ts';
export {
  createHostMetrics,
  type HostMetrics,
  type HostMetricsOptions,
  type ListenerLabels,
  type ListenerSource,
  type QueueSource,
} from './host-metrics.ts';
export { parseExposition, type Sample, sampleValue } from './parse-exposition.ts';
