export {
  createLogger,
  LOG_LEVELS,
  type LoggerOptions,
  type LogLevel,
  parseLogLevel,
} from './create-logger.ts';
