export type { SmtpCommandOptions } from './commands.ts';
export {
  connectionLimitsOf,
  createSmtpListener,
  type IncomingMessage,
  type ListenerAddress,
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
export { carriesEnhancedCode, replyText } from './replies.ts';
