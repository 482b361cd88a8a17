import { dirname, join } from 'node:path';
import { type AuthThrottle, type AuthThrottleOptions, createAuthThrottle } from './throttle.ts';
import { openSqliteThrottleStore } from './throttle-sqlite.ts';

/** The default budget of every agent of a host: 10 failures per client address per 15 minutes. */
export const DEFAULT_AUTH_THROTTLE: AuthThrottleOptions = { maxFailures: 10, windowMs: 15 * 60_000 };

/**
 * Where a host's agents keep their shared throttle: beside the directory file, the one file
 * every agent that checks passwords already opens.
 */
export function sharedThrottlePath(directoryFile: string): string {
  return join(dirname(directoryFile), 'auth-throttle.sqlite');
}

/** A throttle whose counters live in the SQLite file at `path`, seen by every process that opens it. */
export function openSharedAuthThrottle(path: string, options: AuthThrottleOptions): AuthThrottle {
  const { store: _ignored, ...policy } = options;
  return createAuthThrottle({
    ...policy,
    store: openSqliteThrottleStore(
      path,
      options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries },
    ),
  });
}
