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

const NUMERIC = [
  'maxFailures',
  'maxUserFailures',
  'windowMs',
  'baseDelayMs',
  'maxDelayMs',
  'maxEntries',
] as const;

/**
 * Reads `maxFailures=3,windowMs=60000,baseDelayMs=1` (any of the numeric options) over the
 * defaults; throws a RangeError naming what is wrong.
 */
export function parseThrottleSpec(spec: string, defaults = DEFAULT_AUTH_THROTTLE): AuthThrottleOptions {
  const out: AuthThrottleOptions = { ...defaults };
  for (const part of spec.split(',').filter(Boolean)) {
    const [name = '', value = ''] = part.split('=');
    const key = NUMERIC.find((k) => k === name.trim());
    if (!key || !/^\d+$/.test(value.trim()))
      throw new RangeError(`bad throttle setting ${JSON.stringify(part)}`);
    out[key] = Number(value);
  }
  return out;
}

/** The process flags every agent's main.ts takes for its login throttle. */
export const AUTH_THROTTLE_FLAGS = {
  /** Settings over the defaults, e.g. `maxFailures=5,windowMs=600000`. */
  'auth-throttle': { type: 'string' },
  /** The shared state file; default `auth-throttle.sqlite` beside the directory file. */
  'auth-throttle-state': { type: 'string' },
} as const;

/** The throttle an agent process uses: shared with every other agent of the host through one file. */
export function openAgentAuthThrottle(
  directoryFile: string,
  flags: { 'auth-throttle'?: string | undefined; 'auth-throttle-state'?: string | undefined },
): AuthThrottle {
  const options = parseThrottleSpec(flags['auth-throttle'] ?? '');
  return openSharedAuthThrottle(flags['auth-throttle-state'] ?? sharedThrottlePath(directoryFile), options);
}
