import type { Logger } from '@mailstack/core';
import pino from 'pino';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  level?: LogLevel;
  /** File descriptor or stream for the JSON lines; default 2 (stderr) so stdout stays for program output. */
  destination?: number | NodeJS.WritableStream;
  /** Fields on every line, e.g. `{ agent: 'mda' }`. */
  bindings?: object;
  /**
   * Write each line before returning (default true). The stand-alone agents are killed with
   * SIGKILL in crash tests and by operators: a line still in an async buffer would be lost.
   */
  sync?: boolean;
}

/**
 * The logger of an agent process: one JSON object per line with `time`, `level`, the
 * bindings (`agent`, later `queueId`/`messageId` through `child()`) and `msg`. Every agent and
 * the stack use this one, so a message can be followed across processes with one `jq` filter.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination =
    typeof options.destination === 'object'
      ? options.destination
      : pino.destination({ dest: options.destination ?? 2, sync: options.sync ?? true });
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return (options.bindings ? logger.child(options.bindings) : logger) as Logger;
}

/** Parses a `--log-level` value; undefined for anything else. */
export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  return LOG_LEVELS.find((l) => l === value);
}
