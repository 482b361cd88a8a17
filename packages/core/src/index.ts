export { isLoopback, isValidMailbox, splitAddress } from './address.ts';
export { bufferBlob, type MessageBlob, readAll } from './blob.ts';
export type { DeliveryTarget } from './delivery.ts';
export type { Account, Directory, LocalTarget, Resolution } from './directory.ts';
export type { DsnNotify, Envelope, EnvelopeParams, ReceivedFrom, Recipient } from './envelope.ts';
export { copyThroughSeam } from './folder-copy.ts';
export { type Logger, silentLogger } from './log.ts';
export {
  type FieldSpec,
  LOG_EVENT_NAMES,
  LOG_EVENTS,
  type LogContext,
  type LogEvent,
  type LogEventAt,
  type LogEventDoc,
  type LogEventFields,
  type LogEventName,
  type LogEventOf,
  type LogLevel,
} from './log-events.ts';
export {
  type AppendOptions,
  type EnvelopeFields,
  type Folder,
  type FolderChange,
  type FolderDelta,
  type FolderInfo,
  type MailboxStore,
  type MessageMeta,
  type MessageSummary,
  type MimePart,
  type Quota,
  type SpecialUse,
  SYSTEM_FLAGS,
} from './mailbox.ts';
export {
  type CounterName,
  type Counters,
  type HistogramName,
  type Histograms,
  type MetricsSink,
  noMetrics,
} from './metrics.ts';
export {
  MessageSummarizer,
  type SummarizeLimits,
  summarize,
  summarizeBuffer,
} from './mime/index.ts';
export { decodeModifiedUtf7, encodeModifiedUtf7 } from './mutf7.ts';
export {
  formatReply,
  isTemporary,
  ok,
  type RecipientResult,
  type Reply,
  replyFromError,
  SmtpError,
} from './reply.ts';
export {
  deliveryEnvelope,
  type FailureReason,
  isUnsettled,
  type Lease,
  type LeaseOptions,
  type QueuedMessage,
  type QueueId,
  type RecipientState,
  type RecipientStatus,
  type SettleOptions,
  type Spool,
  type SpoolEvent,
  type SpoolEventHandler,
  type SpoolOperations,
} from './spool.ts';
export { inWriteTransaction, openSharedSqlite } from './sqlite-file.ts';
export {
  asNoSpace,
  ExistsError,
  InvalidNameError,
  isNoSpace,
  LimitError,
  NoSpaceError,
  NotFoundError,
  OverQuotaError,
  StorageError,
  type StorageRefusal,
  storageRefusal,
  TemporaryStorageError,
} from './storage-errors.ts';
