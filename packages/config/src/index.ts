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
  validateConfig,
} from './load.ts';
export {
  AGENTS,
  type AgentName,
  type ConfigInput,
  configSchema,
  LISTENING_AGENTS,
  type ListenerConfig,
  type MailstackConfig,
  type SpoolConfig,
  spoolSchema,
  TLS_MODES,
  type TlsMode,
} from './schema.ts';
export { durationMs, sizeBytes } from './units.ts';
