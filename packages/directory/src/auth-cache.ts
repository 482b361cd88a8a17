import { createHmac, randomBytes } from 'node:crypto';

/**
 * The authentication cache (Dovecot's auth_cache_size / auth_cache_ttl): a successful
 * password check is remembered for `ttlMs`, so a client that logs in often pays scrypt once
 * per ttl instead of at every login.
 *
 * What is kept is never the password: an entry's key is an HMAC-SHA256, under a random key
 * made when the process starts (and never written anywhere), of the account, the password
 * and the stored hash the password was checked against, and any change of the stored hash
 * (a new password, even the same one set again: a new salt) makes every old entry miss.
 * The trade-off, as with Dovecot's cache: a dump of the process memory holds the key too, so
 * for recent logins a guess costs one HMAC instead of one scrypt; `auth.cache.ttl: 0s` turns
 * the cache off where that matters more than login speed.
 * A removed account never reaches the cache (the caller looks the account up first).
 *
 * Only successes are stored: a failed check always runs scrypt and the login throttle keeps
 * counting it. Bounded: at most `maxEntries`, the least recently used go first.
 */
export interface AuthCacheOptions {
  /** How long a successful check is remembered; 0 turns the cache off. */
  ttlMs: number;
  /** Entries kept at most; 0 turns the cache off. */
  maxEntries: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** One hour (Dovecot's auth_cache_ttl default) and room for 10,000 logins (~1.5 MB). */
export const DEFAULT_AUTH_CACHE: Readonly<AuthCacheOptions> = Object.freeze({
  ttlMs: 3_600_000,
  maxEntries: 10_000,
});

export class AuthCache {
  readonly #key = randomBytes(32);
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  /** Digest → expiry time; Map keeps insertion order, so the first entry is the oldest used. */
  readonly #entries = new Map<string, number>();

  constructor(options: AuthCacheOptions = DEFAULT_AUTH_CACHE) {
    this.#ttlMs = Math.max(0, options.ttlMs);
    this.#max = Math.max(0, Math.floor(options.maxEntries));
    this.#now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.#ttlMs > 0 && this.#max > 0;
  }

  /** Entries held (expired ones included until they are next looked at or pushed out). */
  get size(): number {
    return this.#entries.size;
  }

  /** True when this account logged in with this password against this stored hash within the ttl. */
  has(account: string, password: string, stored: string): boolean {
    if (!this.enabled) return false;
    const digest = this.#digest(account, password, stored);
    const expires = this.#entries.get(digest);
    if (expires === undefined) return false;
    this.#entries.delete(digest);
    if (expires <= this.#now()) return false;
    this.#entries.set(digest, expires); // most recently used goes last
    return true;
  }

  /** Remembers a successful check. */
  remember(account: string, password: string, stored: string): void {
    if (!this.enabled) return;
    const digest = this.#digest(account, password, stored);
    this.#entries.delete(digest);
    this.#entries.set(digest, this.#now() + this.#ttlMs);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  clear(): void {
    this.#entries.clear();
  }

  #digest(account: string, password: string, stored: string): string {
    // JSON keeps the three fields apart whatever they contain (a password may hold NUL or quotes).
    return createHmac('sha256', this.#key)
      .update(JSON.stringify([account, stored, password]))
      .digest('base64');
  }
}
