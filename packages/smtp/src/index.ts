export type { SmtpCommandOptions } from './commands.ts';
export { type DataGuardOptions, guardData } from './data-guard.ts';
export {
  headSectionEnd,
  MAX_HEAD_BYTES,
  type RebuiltMessage,
  type SplitHeadOptions,
  type SplitMessage,
  splitHead,
  withHead,
} from './head-section.ts';
export { bareRefusal, LineEndScanner, nulRefusal } from './line-end-scan.ts';
export {
  connectionLimitsOf,
  createSmtpListener,
  type IncomingMessage,
  type ListenerAddress,
  SMTP_LISTENER_DEFAULTS,
  type SmtpAddress,
  type SmtpAuthOptions,
  type SmtpConnectionLimits,
  type SmtpCredentials,
  type SmtpHandlers,
  type SmtpListener,
  type SmtpListenerOptions,
  type SmtpSession,
  type SmtpTlsOptions,
} from './listener.ts';
export { isBarePostmaster, postmasterDomain } from './postmaster.ts';
export { carriesEnhancedCode, replyText } from './replies.ts';
export { enqueueError, storageReply } from './storage-reply.ts';
