import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LoadedConfig } from '@mailstack/config';
import type { Logger } from '@mailstack/core';
import { createLogger, parseLogLevel } from '@mailstack/log';

/**
 * The process logger the config asks for: `log.level` (MAILSTACK_LOG_LEVEL wins, as it did
 * before the config file), to stderr or appended to `log.file`.
 */
export function configLogger(loaded: LoadedConfig, bindings?: object, env = process.env): Logger {
  const file = loaded.paths.logFile;
  // A fresh host has no log folder yet (`log.file: /var/log/mailstack/mail.log`, or one under
  // the data folder that the first start has still to make).
  if (file) mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
  return createLogger({
    level: parseLogLevel(env.MAILSTACK_LOG_LEVEL) ?? loaded.config.log.level,
    ...(file ? { destination: openSync(file, 'a', 0o640) } : {}),
    ...(bindings ? { bindings } : {}),
  });
}
