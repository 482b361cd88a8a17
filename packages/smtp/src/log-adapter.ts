import { format } from 'node:util';
import type { Logger } from '@mailstack/core';

/**
 * smtp-server logs through a bunyan-style logger: `logger.info(fields, 'fmt %s', arg)`.
 * This adapter turns those calls into core Logger events (fields + one formatted message).
 * The library logs every connection and command at info/debug, which is protocol chatter
 * for us, so everything below warn goes to debug; our own listener logs the events that
 * matter (listening, refused, early talker, error budget) at info/warn.
 */
export interface LibraryLogger {
  trace(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  fatal(...args: unknown[]): void;
}

export function libraryLogger(logger: Logger): LibraryLogger {
  const emit =
    (level: 'debug' | 'warn' | 'error') =>
    (fields: unknown, message?: unknown, ...args: unknown[]) => {
      const text = typeof message === 'string' ? format(message, ...args) : undefined;
      logger[level]({ event: 'smtp-library', library: plainFields(fields) }, text);
    };
  const debug = emit('debug');
  return { trace: debug, debug, info: debug, warn: emit('warn'), error: emit('error'), fatal: emit('error') };
}

/** Errors do not survive JSON.stringify; keep what an operator needs. */
function plainFields(fields: unknown): object {
  if (!fields || typeof fields !== 'object') return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      value instanceof Error
        ? { message: value.message, code: (value as NodeJS.ErrnoException).code }
        : value;
  }
  return out;
}
