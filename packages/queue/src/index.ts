export { EXIT as QUEUE_CLI_EXIT, runCli as runQueueCli } from './cli-run.ts';
export { copyBody } from './durable-fs.ts';
export { FileSpool, type FileSpoolOptions, openFileSpool } from './file-spool.ts';
export { formatQueueEntry, formatQueueList } from './format.ts';
export { leaseOwnerGone, processOwnerName } from './lease-owner.ts';
export { type MemorySpool, type MemorySpoolOptions, memorySpool } from './memory-spool.ts';
export { isQueueId, queueIdGenerator, queueIdTime } from './queue-id.ts';
// The spool's state machine without its storage, for other backends (the memory spool here, a
// database spool): the same retry schedule, settle rules and event retries everywhere.
export { queuedMessage } from './queued-message.ts';
export { newRecord, type PendingEvent, type RecipientRecord, type SpoolRecord } from './record.ts';
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
export { raiseDueEvents } from './spool-events.ts';
export {
  applyResults,
  flushRecord,
  isDue,
  isFinished,
  isLeasedAt,
  requeueRecord,
  type SettleOutcome,
  settleRecord,
  wantedAt,
} from './transitions.ts';
