import type { Logger } from '@mailstack/core';

const RANK = { debug: 0, info: 1, warn: 2, error: 3 } as const;
export type LogLevel = keyof typeof RANK;

/** JSON lines on a stream, for the standalone entry: time, level, bound fields, event fields, msg. */
export function jsonLogger(out: NodeJS.WritableStream, minimum: LogLevel, bound: object = {}): Logger {
  const at = (level: LogLevel) => (fields: object, msg?: string) => {
    if (RANK[level] < RANK[minimum]) return;
    out.write(
      `${JSON.stringify({ time: new Date().toISOString(), level, ...bound, ...fields, ...(msg ? { msg } : {}) })}\n`,
    );
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => jsonLogger(out, minimum, { ...bound, ...more }),
  };
}
