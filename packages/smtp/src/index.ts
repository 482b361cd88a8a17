export type { SmtpCommandOptions } from './commands.ts';
export {
  headSectionEnd,
  type RebuiltMessage,
  type SplitHeadOptions,
  type SplitMessage,
  splitHead,
  withHead,
} from './head-section.ts';
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
export { postmasterDomain } from './postmaster.ts';
export { enqueueError, storageReply } from './storage-reply.ts';
