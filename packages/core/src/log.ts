import type { LogContext, LogEventAt } from './log-events.ts';

/**
 * The structured logger every agent takes: one JSON object per event with `agent`,
 * `queueId`, `messageId` where known. Each method accepts only the events of the closed set
 * in log-events.ts that may be logged at its level, with their typed fields. pino's Logger
 * (packages/log) implements it.
 */
export interface Logger {
  info(event: LogEventAt<'info'>, msg?: string): void;
  warn(event: LogEventAt<'warn'>, msg?: string): void;
  error(event: LogEventAt<'error'>, msg?: string): void;
  debug(event: LogEventAt<'debug'>, msg?: string): void;
  /** A logger whose every line also carries these context fields. */
  child(bindings: LogContext): Logger;
}

/** A logger that drops everything: the default for library use and tests. */
export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child() {
    return silentLogger;
  },
};
