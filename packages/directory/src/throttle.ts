/**
 * Login-failure throttling shared by every access agent (MSA, IMAP, POP3). Failures are
 * counted per client IP and per user name. Each failure doubles the delay the agent should
 * wait before answering the next failed attempt; past a limit the agent refuses outright
 * until the window has passed without failures.
 *
 * Refusal is per IP at `maxFailures`, but per user only at `maxUserFailures` (default
 * 4 x maxFailures): one address guessing at a user is stopped by its own IP limit long
 * before it can lock the real owner out, while a guess spread over many addresses still
 * hits the user limit.
 */

export interface AuthThrottleOptions {
  /** Failures from one IP (IPv6: one /64) before it is refused. */
  maxFailures: number;
  /** Failures for one user name before it is refused. Default 4 x maxFailures. */
  maxUserFailures?: number;
  /** A counter is forgotten after this long without a new failure; also the refusal time. */
  windowMs: number;
  /** Delay after the first failure; doubles per failure. Default 250 ms. */
  baseDelayMs?: number;
  /** Ceiling of the delay. Default 8000 ms. */
  maxDelayMs?: number;
  /** Counters kept at most; expired ones go first, then the least recently failed. Default 10000. */
  maxEntries?: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

export interface AuthAttempt {
  ip?: string;
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

export interface AuthThrottle {
  /** Before checking a password: refuse or go ahead (and how long to delay a failure). */
  check(attempt: AuthAttempt): ThrottleVerdict;
  /** After a failed check; returns the verdict for this attempt's reply and the next one. */
  recordFailure(attempt: AuthAttempt): ThrottleVerdict;
  /** After a successful login: forgets the user's failures (the IP's stay until they expire). */
  recordSuccess(attempt: AuthAttempt): void;
  /** Number of counters held (for tests and metrics). */
  readonly size: number;
  clear(): void;
}

interface Counter {
  failures: number;
  last: number;
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
  // Map order is "least recently failed first": every update deletes and re-inserts.
  const counters = new Map<string, Counter>();

  const keys = (a: AuthAttempt): Array<[string, number]> => {
    const out: Array<[string, number]> = [];
    if (a.ip) out.push([`ip:${ipKey(a.ip)}`, maxIp]);
    if (a.user) out.push([`user:${a.user.trim().toLowerCase()}`, maxUser]);
    return out;
  };

  const live = (key: string, t: number): Counter | undefined => {
    const c = counters.get(key);
    if (c && t - c.last >= windowMs) {
      counters.delete(key);
      return undefined;
    }
    return c;
  };

  const makeRoom = (t: number): void => {
    // Expired counters sit at the front; each is visited once, so this stays cheap.
    for (const [key, c] of counters) {
      if (t - c.last < windowMs) break;
      counters.delete(key);
    }
    while (counters.size >= maxEntries) {
      const oldest = counters.keys().next().value;
      if (oldest === undefined) break;
      counters.delete(oldest);
    }
  };

  const verdict = (a: AuthAttempt, t: number): ThrottleVerdict => {
    let refuse = false;
    let delayMs = 0;
    let retryAfterMs = 0;
    for (const [key, limit] of keys(a)) {
      const c = live(key, t);
      if (!c) continue;
      delayMs = Math.max(delayMs, Math.min(maxDelay, baseDelay * 2 ** (c.failures - 1)));
      if (c.failures >= limit) {
        refuse = true;
        retryAfterMs = Math.max(retryAfterMs, c.last + windowMs - t);
      }
    }
    return { refuse, delayMs, retryAfterMs };
  };

  return {
    check: (a) => verdict(a, now()),
    recordFailure(a) {
      const t = now();
      for (const [key] of keys(a)) {
        const c = live(key, t);
        counters.delete(key);
        if (!c) makeRoom(t);
        counters.set(key, { failures: Math.min((c?.failures ?? 0) + 1, 1_000_000), last: t });
      }
      return verdict(a, t);
    },
    recordSuccess(a) {
      if (a.user) counters.delete(`user:${a.user.trim().toLowerCase()}`);
    },
    get size() {
      return counters.size;
    },
    clear: () => counters.clear(),
  };
}
