import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LogContext, Logger, LogLevel } from '@mailstack/core';
import pino from 'pino';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const satisfies readonly LogLevel[];
export type { LogLevel };

export interface LoggerOptions {
  level?: LogLevel;
  /**
   * Where the JSON lines go: a file descriptor (default 2, stderr, so stdout stays for
   * program output), a stream, or a file path, appended to (its folder is created) so a
   * restart or several processes sharing one file keep every earlier line.
   */
  destination?: number | string | NodeJS.WritableStream;
  /** Fields on every line, e.g. `{ agent: 'mda' }`. */
  bindings?: LogContext;
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
      : openDestination({ destination: options.destination, sync: options.sync });
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

function openDestination(options: { destination?: number | string | undefined; sync?: boolean | undefined }) {
  const dest = options.destination ?? 2;
  if (typeof dest === 'string') mkdirSync(dirname(dest), { recursive: true });
  return pino.destination({ dest, append: true, sync: options.sync ?? true });
}

/** Parses a `--log-level` value; undefined for anything else. */
export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  return LOG_LEVELS.find((l) => l === value);
}
