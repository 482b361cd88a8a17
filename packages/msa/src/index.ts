export { DEFAULT_THROTTLE } from './authenticator.ts';
export { newMessageId } from './fixups.ts';
export { addressesOf, type MessageHead, readHead } from './message-head.ts';
export { protocolName, type ReceivedInfo, receivedHeader } from './received.ts';
export { rfc5322Date } from './rfc5322-date.ts';
export { type MayUseSender, mayUse } from './sender-policy.ts';
export {
  type LimitOptions,
  parseSendingLimits,
  SendingLimiter,
  type SendingLimits,
} from './sending-limits.ts';
export {
  createMemorySendingStore,
  openSqliteSendingStore,
  type SendingCountStore,
  sharedSendingStorePath,
} from './sending-store.ts';
export type { SubmissionServerOptions } from './submission-options.ts';
export { createSubmissionServer } from './submission-server.ts';
