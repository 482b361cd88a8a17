export {
  createSmtpListener,
  type IncomingMessage,
  type ListenerAddress,
  type SmtpAddress,
  type SmtpHandlers,
  type SmtpListener,
  type SmtpListenerOptions,
  type SmtpSession,
} from './listener.ts';
export { carriesEnhancedCode, replyText } from './replies.ts';
