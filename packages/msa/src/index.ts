export type { MayUseSender } from './sender-policy.ts';
export type { LimitOptions, SendingLimits } from './sending-limits.ts';
export {
  createMemorySendingStore,
  openSqliteSendingStore,
  type SendingCountStore,
  sharedSendingStorePath,
} from './sending-store.ts';
export type { SubmissionServerOptions } from './submission-options.ts';
export { createSubmissionServer } from './submission-server.ts';
