import type { Logger } from '@mailstack/core';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

/** One JSON object per line (`time`, `level`, bindings, fields, `msg`) for the command-line entries. */
export function jsonLogger(
  out: NodeJS.WritableStream,
  level: LogLevel = 'info',
  bindings: object = {},
): Logger {
  const write = (at: LogLevel) => (fields: object, msg?: string) => {
    if (LEVELS[at] < LEVELS[level]) return;
    const line = {
      time: new Date().toISOString(),
      level: at,
      ...bindings,
      ...fields,
      ...(msg ? { msg } : {}),
    };
    out.write(`${JSON.stringify(line)}\n`);
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => jsonLogger(out, level, { ...bindings, ...more }),
  };
}
