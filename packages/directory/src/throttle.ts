import { throttleAccountKey } from './address-key.ts';
import { createMemoryThrottleStore, type ThrottleCounter, type ThrottleStore } from './throttle-store.ts';

/**
 * Login-failure throttling shared by every access agent (IMAP, POP3, submission, transfer
 * AUTH). The policy, after Dovecot's `auth_failure_delay` and anvil penalties:
 *
 * - **Per client address** (an IPv6 /64 counts as one client): each failure doubles the
 *   delay before the next failed answer (`baseDelayMs`, 2x, up to `maxDelayMs`); at
 *   `maxFailures` the address is refused outright, without a password check, until
 *   `windowMs` passed after its last failure.
 * - **Per account** (the directory's account key, so every spelling of a name counts for the
 *   one account it maps to): failures also delay failed answers for that account, and past
 *   `maxUserFailures` the account is refused to every address that has failures of its own.
 *   An address with no failures is never refused for the account's sake: guessing spread
 *   over many addresses cannot lock the owner out, while each of those addresses gets one
 *   guess per window at it. An attempt with no address counts as one with failures.
 * - A success forgets the account's failures; an address keeps its own until they expire
 *   (else a guesser with one valid account could wipe its record between guesses).
 *
 * The counters live in a `ThrottleStore`: in memory by default (one process), or in an
 * SQLite file every agent of a host opens (`openSharedAuthThrottle`), so switching protocol,
 * port or process does not reset the budget.
 */

export interface AuthThrottleOptions {
  /** Failures from one client address before it is refused. */
  maxFailures: number;
  /** Failures for one account before addresses with failures of their own are refused. Default 4 x maxFailures. */
  maxUserFailures?: number;
  /** A counter is forgotten after this long without a new failure; also the refusal time. */
  windowMs: number;
  /** Delay after the first failure; doubles per failure. Default 250 ms. */
  baseDelayMs?: number;
  /** Ceiling of the delay. Default 8000 ms. */
  maxDelayMs?: number;
  /** Counters kept at most by the default memory store. Default 10000. */
  maxEntries?: number;
  /** Where the counters live. Default: a memory store of `maxEntries`. */
  store?: ThrottleStore;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

export interface AuthAttempt {
  ip?: string;
  /** The login name as given; counted under the account key it maps to. */
  user?: string;
}

export interface ThrottleVerdict {
  /** True: answer "try later" without checking the password. */
  refuse: boolean;
  /** How long to wait before answering (applied to failures; 0 when clean). */
  delayMs: number;
  /** When refused, how long until attempts are allowed again. */
  retryAfterMs: number;
}

/** Asynchronous, so a store behind a socket or a database can take its place. */
export interface AuthThrottle {
  /** Before checking a password: refuse or go ahead (and how long to delay a failure). */
  check(attempt: AuthAttempt): Promise<ThrottleVerdict>;
  /** After a failed check; returns the verdict for this attempt's reply and the next one. */
  recordFailure(attempt: AuthAttempt): Promise<ThrottleVerdict>;
  /** After a successful login: forgets the account's failures (the address's stay until they expire). */
  recordSuccess(attempt: AuthAttempt): Promise<void>;
  /** Number of counters held (for tests and metrics). */
  readonly size: number;
  clear(): void;
  /** Releases the store (closes an SQLite file). */
  close(): void;
}

/**
 * The IP key: IPv4 as is (also when IPv4-mapped), IPv6 cut to its /64, since one host
 * usually holds a whole /64 and could otherwise rotate through it.
 */
export function ipKey(ip: string): string {
  const bare = ip
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) return mapped[1]!;
  if (!bare.includes(':')) return bare;
  const [head = '', tail = ''] = bare.split('::');
  const h = head ? head.split(':') : [];
  const t = bare.includes('::') && tail ? tail.split(':') : [];
  const groups = bare.includes('::')
    ? [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]
    : h;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export function createAuthThrottle(options: AuthThrottleOptions): AuthThrottle {
  const maxIp = options.maxFailures;
  const maxUser = options.maxUserFailures ?? options.maxFailures * 4;
  const windowMs = options.windowMs;
  const baseDelay = options.baseDelayMs ?? 250;
  const maxDelay = options.maxDelayMs ?? 8000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  if (!(maxIp >= 1 && maxUser >= 1 && windowMs > 0 && maxEntries >= 1)) {
    throw new RangeError('createAuthThrottle: maxFailures, windowMs and maxEntries must be positive');
  }
  const store = options.store ?? createMemoryThrottleStore(maxEntries);

  const keysOf = (a: AuthAttempt) => ({
    ip: a.ip ? `ip:${ipKey(a.ip)}` : undefined,
    user: a.user ? `user:${throttleAccountKey(a.user)}` : undefined,
  });
  const listed = (k: { ip?: string | undefined; user?: string | undefined }): string[] =>
    [k.ip, k.user].filter((x): x is string => x !== undefined);
  const delayFor = (c: ThrottleCounter | undefined): number =>
    c ? Math.min(maxDelay, baseDelay * 2 ** (c.failures - 1)) : 0;

  const verdict = (
    k: { ip?: string | undefined; user?: string | undefined },
    counters: Map<string, ThrottleCounter>,
    t: number,
  ): ThrottleVerdict => {
    const ip = k.ip === undefined ? undefined : counters.get(k.ip);
    const user = k.user === undefined ? undefined : counters.get(k.user);
    const refusedBy: ThrottleCounter[] = [];
    if (ip && ip.failures >= maxIp) refusedBy.push(ip);
    // The account limit never stops an address without failures of its own.
    if (user && user.failures >= maxUser && (k.ip === undefined || ip)) refusedBy.push(user);
    return {
      refuse: refusedBy.length > 0,
      delayMs: Math.max(delayFor(ip), delayFor(user)),
      retryAfterMs: Math.max(0, ...refusedBy.map((c) => c.last + windowMs - t)),
    };
  };

  return {
    async check(a) {
      const t = now();
      const k = keysOf(a);
      return verdict(k, store.read(listed(k), t, windowMs), t);
    },
    async recordFailure(a) {
      const t = now();
      const k = keysOf(a);
      return verdict(k, store.bump(listed(k), t, windowMs), t);
    },
    async recordSuccess(a) {
      const { user } = keysOf(a);
      if (user !== undefined) store.forget(user);
    },
    get size() {
      return store.size();
    },
    clear: () => store.clear(),
    close: () => store.close(),
  };
}
