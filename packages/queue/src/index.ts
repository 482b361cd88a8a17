export { EXIT as QUEUE_CLI_EXIT, runCli as runQueueCli, USAGE as QUEUE_CLI_USAGE } from './cli-run.ts';
export { FileSpool, type FileSpoolOptions, openFileSpool } from './file-spool.ts';
export { formatQueueEntry, formatQueueList } from './format.ts';
export { leaseOwnerGone, processOwnerName } from './lease-owner.ts';
export { isQueueId, queueIdGenerator, queueIdTime } from './queue-id.ts';
export {
  DEFAULT_RETRY_POLICY,
  nextAttemptTime,
  type RetryPolicy,
  retryDelay,
  retryPolicy,
} from './retry-policy.ts';
export { type QueueRunner, type QueueRunnerOptions, startQueueRunner } from './runner.ts';
