import type { Completion } from '../commands/types.ts';
import type { ImapSession } from './session.ts';

/** The not-authenticated → authenticated step shared by LOGIN and AUTHENTICATE PLAIN. */
export async function login(s: ImapSession, user: string, password: string): Promise<Completion> {
  const attempt = { ...(s.remoteAddress ? { ip: s.remoteAddress } : {}), user };
  const before = await s.throttle.check(attempt);
  if (before.refuse) {
    s.log.warn({ event: 'auth-refused', user, retryAfterMs: before.retryAfterMs });
    return {
      status: 'NO',
      code: { code: 'UNAVAILABLE' },
      text: 'too many failed logins; try again later',
      after: async () => s.end(),
    };
  }
  let account: Awaited<ReturnType<ImapSession['directory']['authenticate']>>;
  try {
    account = await s.directory.authenticate(user, password);
  } catch (err) {
    s.log.error({ event: 'auth-error', user, err: String(err) });
    return { status: 'NO', code: { code: 'UNAVAILABLE' }, text: 'authentication temporarily unavailable' };
  }
  if (!account) {
    const verdict = await s.throttle.recordFailure(attempt);
    s.metrics.count('auth_failures', { protocol: 'imap' });
    s.log.info({ event: 'auth-failed', user, delayMs: verdict.delayMs });
    // The delay slows guessing; the answer does not say whether the user exists.
    await s.sleep(verdict.delayMs);
    return { status: 'NO', code: { code: 'AUTHENTICATIONFAILED' }, text: 'invalid user name or password' };
  }
  await s.throttle.recordSuccess(attempt);
  await s.setState({ name: 'authenticated', user: account.user });
  s.metrics.count('sessions', { protocol: 'imap' });
  s.log.info({ event: 'authenticated', user: account.user });
  return { status: 'OK', code: { code: 'CAPABILITY', capabilities: s.capabilities() }, text: 'logged in' };
}
