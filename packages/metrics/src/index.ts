export { COUNTED_SERIES, COUNTERS, HISTOGRAMS, PREFIX } from './definitions.ts';
export {
  createHostMetrics,
  type HostMetrics,
  type HostMetricsOptions,
  type ListenerLabels,
  type ListenerSource,
  type QueueSource,
} from './host-metrics.ts';
export { type MetricJson, mergedRegistry } from './merge.ts';
export { parseExposition, type Sample, sampleValue } from './parse-exposition.ts';
export {
  readPeerSnapshots,
  SNAPSHOT_INTERVAL_MS,
  SNAPSHOT_STALE_MS,
  type SnapshotWriter,
  startSnapshotWriter,
} from './peer-snapshots.ts';
