/**
 * The structured logger every agent takes: one JSON object per event with `agent`,
 * `queueId`, `messageId` where known. pino's Logger satisfies it.
 */
export interface Logger {
  info(fields: object, msg?: string): void;
  warn(fields: object, msg?: string): void;
  error(fields: object, msg?: string): void;
  debug(fields: object, msg?: string): void;
  child(bindings: object): Logger;
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
