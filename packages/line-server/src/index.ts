export {
  type ConnectionLimits,
  connectionLimits,
  LIMIT_DEFAULTS,
  literalDeadlineMs,
} from './limits.ts';
export {
  type GoodbyeReason,
  LineConnection,
  type LineConnectionOptions,
  type PendingUnit,
} from './line-connection.ts';
export {
  createSessionListener,
  type ListenedSession,
  type SessionListener,
  type SessionListenerOptions,
} from './session-listener.ts';
