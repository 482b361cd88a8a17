/** Failures counted under one key: how many, and when the last one was (ms since the epoch). */
export interface ThrottleCounter {
  failures: number;
  last: number;
}

/**
 * Where the login throttle keeps its counters. The policy (what is counted, when to delay,
 * when to refuse) lives in `createAuthThrottle`; a store only counts. A counter is live while
 * `now - last < windowMs`; an expired one reads as absent and restarts at 1 on the next bump.
 * Every access agent of a host must see the same store, also across processes: the memory
 * store is for one process (tests, embedding), the SQLite store for a host.
 */
export interface ThrottleStore {
  /** The live counters among `keys`. */
  read(keys: string[], now: number, windowMs: number): Map<string, ThrottleCounter>;
  /** Adds one failure to each key, atomically per key, and returns the counters after it. */
  bump(keys: string[], now: number, windowMs: number): Map<string, ThrottleCounter>;
  forget(key: string): void;
  /** Counters held, live or not yet swept (for tests and metrics). */
  size(): number;
  clear(): void;
  close(): void;
}

/** Counter ceiling, so a counter cannot overflow however long the guessing goes on. */
export const MAX_COUNT = 1_000_000;

/**
 * One process's counters in a Map, at most `maxEntries`: expired ones go first, then the
 * least recently failed. Map order is "least recently failed first" (every bump re-inserts).
 */
export function createMemoryThrottleStore(maxEntries = 10_000): ThrottleStore {
  const counters = new Map<string, ThrottleCounter>();
  const live = (key: string, now: number, windowMs: number): ThrottleCounter | undefined => {
    const c = counters.get(key);
    if (c && now - c.last >= windowMs) {
      counters.delete(key);
      return undefined;
    }
    return c;
  };
  const makeRoom = (now: number, windowMs: number): void => {
    // Expired counters sit at the front; each is visited once, so this stays cheap.
    for (const [key, c] of counters) {
      if (now - c.last < windowMs) break;
      counters.delete(key);
    }
    while (counters.size >= maxEntries) {
      const oldest = counters.keys().next().value;
      if (oldest === undefined) break;
      counters.delete(oldest);
    }
  };
  return {
    read(keys, now, windowMs) {
      const out = new Map<string, ThrottleCounter>();
      for (const key of keys) {
        const c = live(key, now, windowMs);
        if (c) out.set(key, { ...c });
      }
      return out;
    },
    bump(keys, now, windowMs) {
      const out = new Map<string, ThrottleCounter>();
      for (const key of keys) {
        const c = live(key, now, windowMs);
        counters.delete(key);
        if (!c) makeRoom(now, windowMs);
        const next = { failures: Math.min((c?.failures ?? 0) + 1, MAX_COUNT), last: now };
        counters.set(key, next);
        out.set(key, { ...next });
      }
      return out;
    },
    forget: (key) => void counters.delete(key),
    size: () => counters.size,
    clear: () => counters.clear(),
    close: () => {},
  };
}
