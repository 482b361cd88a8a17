import { openSync } from 'node:fs';
import type { LoadedConfig } from '@mailstack/config';
import type { Logger } from '@mailstack/core';
import { createLogger } from '@mailstack/log';

/** The process logger the config asks for: `log.level`, to stderr or appended to `log.file`. */
export function configLogger(loaded: LoadedConfig, bindings?: object): Logger {
  const file = loaded.paths.logFile;
  return createLogger({
    level: loaded.config.log.level,
    ...(file ? { destination: openSync(file, 'a', 0o640) } : {}),
    ...(bindings ? { bindings } : {}),
  });
}
