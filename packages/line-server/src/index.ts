export { LineConnection, type LineConnectionOptions } from './line-connection.ts';
export {
  createSessionListener,
  type ListenedSession,
  type SessionListener,
  type SessionListenerOptions,
} from './session-listener.ts';
