export { EXIT as QUEUE_CLI_EXIT, runCli as runQueueCli } from './cli-run.ts';
export { FileSpool, type FileSpoolOptions, openFileSpool } from './file-spool.ts';
export { formatQueueEntry, formatQueueList } from './format.ts';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.ts';
export { type QueueRunner, type QueueRunnerOptions, startQueueRunner } from './runner.ts';
