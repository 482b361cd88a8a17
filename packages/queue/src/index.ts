export { EXIT as QUEUE_CLI_EXIT, runCli as runQueueCli, USAGE as QUEUE_CLI_USAGE } from './cli-run.ts';
export { copyBody } from './durable-fs.ts';
export { FileSpool, type FileSpoolOptions, openFileSpool } from './file-spool.ts';
export { formatQueueEntry, formatQueueList } from './format.ts';
export { leaseOwnerGone, processOwnerName } from './lease-owner.ts';
export { isQueueId, queueIdGenerator, queueIdTime } from './queue-id.ts';
// The spool record and its pure transitions, for other spool backends (@mailstack/spool-postgres):
// one settle rule, one retry schedule, one event back-off for every spool.
export { queuedMessage, spoolEvent } from './queued-message.ts';
export {
  type EventType,
  newRecord,
  type PendingEvent,
  type RecipientRecord,
  type SpoolRecord,
} from './record.ts';
export {
  DEFAULT_RETRY_POLICY,
  nextAttemptTime,
  type RetryPolicy,
  retryDelay,
  retryPolicy,
  type SpoolOptions,
} from './retry-policy.ts';
export { type QueueRunner, type QueueRunnerOptions, startQueueRunner } from './runner.ts';
export { reportSettle } from './settle-report.ts';
export { applyResults, eventRetryAt, isOpen, requeueRecord, type SettleOutcome } from './transitions.ts';
