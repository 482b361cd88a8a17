import type { Directory, Logger, MailboxStore, MetricsSink } from '@mailstack/core';
import type { AuthThrottle } from '@mailstack/directory';
import { Maildrop } from './maildrop.ts';
import { lockMaildrop } from './maildrop-lock.ts';
import type { SessionState } from './state.ts';
import { storeErrText } from './store-errors.ts';

export interface LoginHost {
  readonly remoteAddress: string | undefined;
  readonly directory: Directory;
  readonly store: MailboxStore;
  readonly throttle: AuthThrottle;
  readonly metrics: MetricsSink;
  readonly log: Logger;
  ok(text: string): Promise<void>;
  err(text: string): Promise<void>;
  /** Waits, ending early when the connection closes. */
  sleep(ms: number): Promise<void>;
  setState(state: SessionState): void;
  /** Ends the connection after what was written. */
  end(): void;
  readonly closed: boolean;
}

/**
 * The AUTHORIZATION → TRANSACTION step shared by PASS and AUTH PLAIN: throttle, password
 * check, maildrop lock, INBOX snapshot. A failure answers -ERR and stays in AUTHORIZATION.
 */
export async function login(host: LoginHost, user: string, password: string): Promise<void> {
  const attempt = { ...(host.remoteAddress ? { ip: host.remoteAddress } : {}), user };
  const before = await host.throttle.check(attempt);
  if (before.refuse) {
    host.log.warn({ event: 'auth-refused', user, retryAfterMs: before.retryAfterMs });
    await host.err('[SYS/TEMP] too many failed logins; try again later');
    host.end();
    return;
  }
  let account: Awaited<ReturnType<Directory['authenticate']>>;
  try {
    account = await host.directory.authenticate(user, password);
  } catch (err) {
    host.log.error({ event: 'auth-error', user, err: String(err) });
    return host.err('[SYS/TEMP] authentication temporarily unavailable');
  }
  if (!account) {
    const verdict = await host.throttle.recordFailure(attempt);
    host.metrics.count('auth_failures', { protocol: 'pop3' });
    host.log.info({ event: 'auth-failed', user, delayMs: verdict.delayMs });
    // The delay slows guessing; the answer carries no hint whether the user exists.
    await host.sleep(verdict.delayMs);
    if (host.closed) return;
    return host.err('[AUTH] invalid user name or password');
  }
  await host.throttle.recordSuccess(attempt);
  let release: Awaited<ReturnType<typeof lockMaildrop>>;
  try {
    release = await lockMaildrop(host.store, account.user);
  } catch (err) {
    host.log.error({ event: 'maildrop-lock-failed', user: account.user, err: String(err) });
    return host.err(storeErrText(err, 'maildrop unavailable'));
  }
  if (!release) {
    host.log.info({ event: 'maildrop-in-use', user: account.user });
    return host.err('[IN-USE] maildrop already locked by another session');
  }
  let drop: Maildrop;
  try {
    drop = new Maildrop(await host.store.openFolder(account.user, 'INBOX'));
  } catch (err) {
    await release();
    host.log.error({ event: 'maildrop-open-failed', user: account.user, err: String(err) });
    return host.err(storeErrText(err, 'maildrop unavailable'));
  }
  if (host.closed) {
    await release();
    await drop.folder.close().catch(() => {});
    return;
  }
  host.setState({ name: 'transaction', user: account.user, maildrop: drop, release });
  const { count, octets } = drop.stat();
  host.metrics.count('sessions', { protocol: 'pop3' });
  host.log.info({ event: 'authenticated', user: account.user, messages: count });
  await host.ok(`maildrop has ${count} messages (${octets} octets)`);
}
