export type { Envelope, EnvelopeParams, Recipient, ReceivedFrom, DsnNotify } from './envelope.ts';
export { type MessageBlob, bufferBlob, readAll } from './blob.ts';
export {
  type Reply,
  type RecipientResult,
  SmtpError,
  formatReply,
  isTemporary,
  replyFromError,
  ok,
} from './reply.ts';
export { splitAddress, isValidMailbox } from './address.ts';
export type { Account, LocalTarget, Resolution, Directory } from './directory.ts';
export {
  SYSTEM_FLAGS,
  type SpecialUse,
  type MessageMeta,
  type EnvelopeFields,
  type MimePart,
  type MessageSummary,
  type FolderChange,
  type FolderInfo,
  type AppendOptions,
  type Quota,
  type MailboxStore,
  type Folder,
} from './mailbox.ts';
export type { DeliveryTarget } from './delivery.ts';
export { type Logger, silentLogger } from './log.ts';
export {
  type QueueId,
  type RecipientStatus,
  type FailureReason,
  type RecipientState,
  type Lease,
  type QueuedMessage,
  type LeaseOptions,
  type SettleOptions,
  type SpoolEvent,
  type SpoolEventHandler,
  type Spool,
  type SpoolOperations,
  isUnsettled,
  deliveryEnvelope,
} from './spool.ts';
