import { setTimeout as delay } from 'node:timers/promises';
import {
  type Account,
  type Directory,
  type Logger,
  type MetricsSink,
  noMetrics,
  SmtpError,
} from '@mailstack/core';
import { type AuthThrottle, type AuthThrottleOptions, createAuthThrottle } from '@mailstack/directory';

export const DEFAULT_THROTTLE: AuthThrottleOptions = { maxFailures: 5, windowMs: 15 * 60_000 };

/**
 * Password checks through the directory, throttled (per client address, and per account for
 * addresses with failures of their own; see the directory's `createAuthThrottle`): a failure
 * is answered only after the throttle's delay, and a refused attempt gets `454 4.7.0`
 * without a password check. Pass the host's shared throttle so 587, 465, IMAP and POP3
 * spend one budget.
 */
export function createAuthenticator(
  directory: Directory,
  throttle: AuthThrottle | AuthThrottleOptions | undefined,
  logger: Logger,
  metrics: MetricsSink = noMetrics,
): (username: string, password: string, ip: string) => Promise<Account | null> {
  const limiter = isThrottle(throttle) ? throttle : createAuthThrottle(throttle ?? DEFAULT_THROTTLE);
  return async (username, password, ip) => {
    const attempt = { ip, user: username };
    if ((await limiter.check(attempt)).refuse) {
      logger.warn({ event: 'auth-refused', remote: ip, user: username }, 'too many failed logins');
      throw new SmtpError(454, '4.7.0', 'Too many failed authentication attempts, try again later');
    }
    const account = await directory.authenticate(username, password);
    if (account) {
      await limiter.recordSuccess(attempt);
      return account;
    }
    const verdict = await limiter.recordFailure(attempt);
    metrics.count('auth_failures', { protocol: 'submission' });
    logger.info(
      { event: 'auth-failed', remote: ip, user: username, delayMs: verdict.delayMs },
      'login failed',
    );
    if (verdict.delayMs > 0) await delay(verdict.delayMs);
    return null;
  };
}

function isThrottle(t: AuthThrottle | AuthThrottleOptions | undefined): t is AuthThrottle {
  return t !== undefined && typeof (t as AuthThrottle).check === 'function';
}
