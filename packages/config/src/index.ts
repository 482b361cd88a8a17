export { lmtpSocket } from './checks.ts';
export { closest } from './did-you-mean.ts';
export { ConfigError, EXIT_CONFIG } from './errors.ts';
export {
  type ConfigPaths,
  defaultConfig,
  type LoadedConfig,
  type LoadOptions,
  loadConfig,
  parseConfig,
  printConfig,
  resolvePaths,
  SOCKET_MODE,
  socketPath,
  validateConfig,
} from './load.ts';
export {
  AGENTS,
  type AgentName,
  type ConfigInput,
  configSchema,
  isSocketListener,
  LISTENING_AGENTS,
  type ListenerConfig,
  type MailstackConfig,
  type SocketListenerConfig,
  type SpoolConfig,
  spoolSchema,
  type TcpListenerConfig,
  TLS_MODES,
  type TlsMode,
  tcpListeners,
} from './schema.ts';
export { durationMs, sizeBytes } from './units.ts';
