import { EventEmitter } from 'node:events';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import {
  type Account,
  type Directory,
  isValidMailbox,
  type Logger,
  type Resolution,
  silentLogger,
} from '@mailstack/core';
import { addressKey, domainKey, loginKey, splitKey } from './address-key.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { AuthCache, type AuthCacheOptions, DEFAULT_AUTH_CACHE } from './auth-cache.ts';
import {
  type DirectoryData,
  emptyDirectoryData,
  isValidDomain,
  parseDirectoryData,
  serializeDirectoryData,
  validateDirectoryData,
} from './data.ts';
import { DirectoryError } from './errors.ts';
import { createHashLimiter } from './hash-limiter.ts';
import { DEFAULT_SCRYPT, dummyHash, hashPassword, type ScryptParams, verifyPassword } from './password.ts';
import { DirectorySnapshot } from './snapshot.ts';

export interface FileDirectoryOptions {
  logger?: Logger;
  /** Reload when the file changes on disk (fs.watch on its folder). Default false. */
  watch?: boolean;
  /** Quiet time after the last change event before reloading. Default 50 ms. */
  debounceMs?: number;
  /** Start empty when the file does not exist (it is written on the first change). Default false. */
  create?: boolean;
  /** Cost for new hashes (addUser, setPassword). Default `DEFAULT_SCRYPT`. */
  scrypt?: ScryptParams;
  /** Password checks running at once; the rest queue (keeps libuv's pool free for fs). Default 2. */
  maxConcurrentHashes?: number;
  /**
   * Remember successful password checks (see `AuthCache`): `{ ttlMs: 0 }` turns it off.
   * Default `DEFAULT_AUTH_CACHE` (one hour, 10,000 entries).
   */
  authCache?: Partial<AuthCacheOptions>;
}

export interface QuotaOptions {
  quotaBytes?: number;
  quotaMessages?: number;
}

export interface UserListing extends QuotaOptions {
  address: string;
}

export interface AliasListing {
  address: string;
  targets: string[];
}

type Events = { reloaded: []; invalid: [DirectoryError] };

/**
 * The file-backed Directory: one JSON file, held in memory as an immutable snapshot.
 * Emits `reloaded` after a changed file was loaded and `invalid` (with the error) when a
 * change on disk was refused; the last good state stays in force.
 */
export class FileDirectory extends EventEmitter<Events> implements Directory {
  readonly path: string;
  readonly #logger: Logger;
  readonly #scrypt: ScryptParams;
  readonly #create: boolean;
  readonly #debounceMs: number;
  readonly #dummy: string;
  readonly #limit: <T>(job: () => Promise<T>) => Promise<T>;
  readonly #cache: AuthCache;
  #snapshot: DirectorySnapshot;
  /** The text last loaded or written, to skip reloads of our own writes. */
  #text: string | null = null;
  #watcher: FSWatcher | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** Loads and writes run one at a time, in order. */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(path: string, options: FileDirectoryOptions = {}) {
    super();
    this.path = resolvePath(path);
    this.#logger = (options.logger ?? silentLogger).child({ agent: 'directory' });
    this.#scrypt = options.scrypt ?? DEFAULT_SCRYPT;
    this.#create = options.create ?? false;
    this.#debounceMs = options.debounceMs ?? 50;
    this.#dummy = dummyHash(this.#scrypt);
    this.#limit = createHashLimiter(Math.max(1, options.maxConcurrentHashes ?? 2));
    this.#cache = new AuthCache({ ...DEFAULT_AUTH_CACHE, ...options.authCache });
    this.#snapshot = new DirectorySnapshot(emptyDirectoryData(), this.#logger);
  }

  // --- Directory ---------------------------------------------------------------------------

  async authenticate(user: string, password: string): Promise<Account | null> {
    const snapshot = this.#snapshot;
    // Only the account's own address (ASCII case aside) logs in: no lookup leniency.
    const key = loginKey(user);
    const found = key === null ? null : snapshot.user(key);
    // A success remembered for this account, password and stored hash skips scrypt. Only an
    // account that still exists gets here; a changed hash misses (the hash is in the key).
    if (found && this.#cache.has(found.key, password, found.record.password))
      return snapshot.account(found.key);
    // Unknown users are checked against a dummy hash so the reply takes just as long.
    const stored = found?.record.password ?? this.#dummy;
    const ok = await this.#limit(() => verifyPassword(password, stored));
    if (!ok || !found) {
      this.#logger.info(
        { event: 'directory-auth-failed', user: found?.key ?? null, known: !!found },
        'authentication failed',
      );
      return null;
    }
    this.#cache.remember(found.key, password, stored);
    return snapshot.account(found.key);
  }

  async resolve(address: string): Promise<Resolution | null> {
    return this.#snapshot.resolve(address);
  }

  isLocalDomain(domain: string): boolean {
    return this.#snapshot.isLocalDomain(domain);
  }

  async account(user: string): Promise<Account | null> {
    return this.#snapshot.account(user);
  }

  // --- lifecycle ---------------------------------------------------------------------------

  /** Reads the file now. Rejects with `DirectoryError` on a bad file and keeps the last good state. */
  reload(): Promise<boolean> {
    return this.#serial(() => this.#load());
  }

  /** Starts watching the file's folder (the file itself is replaced by rename on every write). */
  startWatching(): void {
    if (this.#watcher) return;
    const name = basename(this.path);
    this.#watcher = watch(dirname(this.path), { persistent: false }, (_event, filename) => {
      if (filename === null || filename.toString() === name) this.#scheduleReload();
    });
    this.#watcher.on('error', (err) =>
      this.#logger.error(
        { event: 'directory-watch-failed', err: err.message },
        'watching the directory file failed',
      ),
    );
  }

  async close(): Promise<void> {
    this.#watcher?.close();
    this.#watcher = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#chain.catch(() => {});
  }

  #scheduleReload(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.reload().then(
        (changed) => {
          if (changed) this.emit('reloaded');
        },
        (err: DirectoryError) => {
          this.#logger.error(
            { event: 'directory-invalid', file: this.path, issues: err.issues, err: err.message },
            'directory file refused; keeping last good state',
          );
          this.emit('invalid', err);
        },
      );
    }, this.#debounceMs);
  }

  #serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(job, job);
    this.#chain = run.catch(() => {});
    return run;
  }

  /** Reads and validates the file; returns the data and whether it differs from what we hold. */
  async #read(): Promise<{ data: DirectoryData; text: string | null; changed: boolean }> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new DirectoryError('io-error', `${this.path}: ${(err as Error).message}`);
      }
      if (!this.#create || this.#text !== null) {
        throw new DirectoryError('missing-file', `${this.path}: no such file`);
      }
      return { data: emptyDirectoryData(), text: null, changed: false };
    }
    if (text === this.#text) return { data: this.#snapshot.data, text, changed: false };
    try {
      return { data: parseDirectoryData(text), text, changed: true };
    } catch (err) {
      const e = err as DirectoryError;
      throw new DirectoryError(e.code, `${this.path}: ${e.message}`, e.issues);
    }
  }

  async #load(): Promise<boolean> {
    const { data, text, changed } = await this.#read();
    if (changed) {
      this.#snapshot = new DirectorySnapshot(data, this.#logger);
      this.#text = text;
      this.#logger.info(
        {
          event: 'directory-loaded',
          file: this.path,
          users: Object.keys(data.users).length,
          aliases: Object.keys(data.aliases).length,
        },
        'directory loaded',
      );
    }
    return changed;
  }

  /**
   * Applies one change: re-reads the file first (so a hand edit made since the last load is
   * kept, and a broken one is not overwritten), validates the result, writes it atomically.
   */
  #mutate(change: (draft: DirectoryData) => void): Promise<void> {
    return this.#serial(async () => {
      await this.#load();
      const draft = structuredClone(this.#snapshot.data);
      change(draft);
      const data = validateDirectoryData(draft);
      const text = serializeDirectoryData(data);
      await writeFileAtomic(this.path, text);
      this.#snapshot = new DirectorySnapshot(data, this.#logger);
      this.#text = text;
    });
  }

  // --- management --------------------------------------------------------------------------

  get subaddressSeparator(): string {
    return this.#snapshot.data.subaddressSeparator;
  }

  async addUser(address: string, password: string, quota: QuotaOptions = {}): Promise<void> {
    const key = this.#localAddress(address);
    checkQuota(quota);
    const hash = await this.#limit(() => hashPassword(password, this.#scrypt));
    await this.#mutate((d) => {
      if (Object.hasOwn(d.users, key)) throw new DirectoryError('exists', `user ${key} already exists`);
      if (Object.hasOwn(d.aliases, key)) throw new DirectoryError('exists', `${key} is an alias`);
      this.#requireDomain(d, key);
      d.users[key] = { password: hash, ...definedQuota(quota) };
    });
  }

  async removeUser(address: string): Promise<void> {
    const key = this.#localAddress(address);
    await this.#mutate((d) => {
      if (!Object.hasOwn(d.users, key)) throw new DirectoryError('no-such-user', `no user ${key}`);
      delete d.users[key];
    });
  }

  async setPassword(address: string, password: string): Promise<void> {
    const key = this.#localAddress(address);
    const hash = await this.#limit(() => hashPassword(password, this.#scrypt));
    await this.#mutate((d) => {
      const user = d.users[key];
      if (!user || !Object.hasOwn(d.users, key)) throw new DirectoryError('no-such-user', `no user ${key}`);
      user.password = hash;
    });
  }

  async setQuota(address: string, quota: QuotaOptions): Promise<void> {
    const key = this.#localAddress(address);
    checkQuota(quota);
    await this.#mutate((d) => {
      const user = d.users[key];
      if (!user || !Object.hasOwn(d.users, key)) throw new DirectoryError('no-such-user', `no user ${key}`);
      delete user.quotaBytes;
      delete user.quotaMessages;
      Object.assign(user, definedQuota(quota));
    });
  }

  listUsers(): UserListing[] {
    return Object.entries(this.#snapshot.data.users).map(([address, u]) => ({ address, ...definedQuota(u) }));
  }

  /** Adds targets to an alias, creating it if needed. Targets may be local or remote addresses. */
  async addAlias(address: string, targets: string[]): Promise<void> {
    const key = this.#localAddress(address);
    if (targets.length === 0)
      throw new DirectoryError('invalid-argument', 'an alias needs at least one target');
    for (const t of targets) {
      if (!addressKey(t))
        throw new DirectoryError('invalid-argument', `${JSON.stringify(t)} is not an address`);
    }
    await this.#mutate((d) => {
      if (Object.hasOwn(d.users, key)) throw new DirectoryError('exists', `${key} is a user, not an alias`);
      this.#requireDomain(d, key);
      const list = Object.hasOwn(d.aliases, key) ? d.aliases[key]! : [];
      for (const t of targets) {
        if (!list.some((have) => addressKey(have) === addressKey(t))) list.push(t.trim());
      }
      d.aliases[key] = list;
    });
  }

  /** Removes the given targets from an alias, or the whole alias when none are given. */
  async removeAlias(address: string, targets: string[] = []): Promise<void> {
    const key = this.#localAddress(address);
    await this.#mutate((d) => {
      const list = Object.hasOwn(d.aliases, key) ? d.aliases[key] : undefined;
      if (!list) throw new DirectoryError('no-such-alias', `no alias ${key}`);
      const drop = new Set(targets.map((t) => addressKey(t)));
      for (const t of drop) {
        if (!list.some((have) => addressKey(have) === t)) {
          throw new DirectoryError('no-such-alias', `alias ${key} has no target ${t}`);
        }
      }
      const rest = list.filter((t) => !drop.has(addressKey(t)));
      if (targets.length === 0 || rest.length === 0) delete d.aliases[key];
      else d.aliases[key] = rest;
    });
  }

  listAliases(): AliasListing[] {
    return Object.entries(this.#snapshot.data.aliases).map(([address, targets]) => ({
      address,
      targets: [...targets],
    }));
  }

  async addDomain(domain: string): Promise<void> {
    if (!isValidDomain(domain.trim())) {
      throw new DirectoryError('invalid-argument', `${JSON.stringify(domain)} is not a domain name`);
    }
    const key = domainKey(domain);
    await this.#mutate((d) => {
      if (d.domains.includes(key)) throw new DirectoryError('exists', `domain ${key} already exists`);
      d.domains.push(key);
    });
  }

  /** Refuses while users, aliases or a catch-all still live in the domain. */
  async removeDomain(domain: string): Promise<void> {
    const key = domainKey(domain);
    await this.#mutate((d) => {
      if (!d.domains.includes(key)) throw new DirectoryError('no-such-domain', `no domain ${key}`);
      const inDomain = (a: string) => splitKey(a).domain === key;
      const used = [...Object.keys(d.users), ...Object.keys(d.aliases)].filter(inDomain).length;
      if (used > 0 || Object.hasOwn(d.catchAll, key)) {
        throw new DirectoryError(
          'in-use',
          `domain ${key} still has ${used} user(s)/alias(es) or a catch-all`,
        );
      }
      d.domains = d.domains.filter((x) => x !== key);
    });
  }

  listDomains(): string[] {
    return [...this.#snapshot.data.domains];
  }

  /** Sets (or with null clears) the address that receives mail for unknown local parts of `domain`. */
  async setCatchAll(domain: string, target: string | null): Promise<void> {
    const key = domainKey(domain);
    if (target !== null) checkAddress(target);
    await this.#mutate((d) => {
      if (!d.domains.includes(key)) throw new DirectoryError('no-such-domain', `no domain ${key}`);
      if (target === null) {
        if (!Object.hasOwn(d.catchAll, key))
          throw new DirectoryError('no-such-alias', `domain ${key} has no catch-all`);
        delete d.catchAll[key];
      } else d.catchAll[key] = target.trim();
    });
  }

  #localAddress(address: string): string {
    checkAddress(address);
    return addressKey(address)!;
  }

  #requireDomain(d: DirectoryData, key: string): void {
    const domain = splitKey(key).domain;
    if (!d.domains.includes(domain)) {
      throw new DirectoryError('no-such-domain', `domain ${domain} is not local; add it first`);
    }
  }
}

function checkAddress(address: string): void {
  if (!isValidMailbox(address.trim()) || !addressKey(address)) {
    throw new DirectoryError('invalid-argument', `${JSON.stringify(address)} is not an address`);
  }
}

function checkQuota(q: QuotaOptions): void {
  for (const k of ['quotaBytes', 'quotaMessages'] as const) {
    const v = q[k];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) {
      throw new DirectoryError('invalid-argument', `${k} must be a non-negative integer`);
    }
  }
}

function definedQuota(q: QuotaOptions): QuotaOptions {
  const out: QuotaOptions = {};
  if (q.quotaBytes !== undefined) out.quotaBytes = q.quotaBytes;
  if (q.quotaMessages !== undefined) out.quotaMessages = q.quotaMessages;
  return out;
}

/** Opens (loads) a directory file; with `watch: true` it follows edits made on disk. */
export async function openFileDirectory(
  path: string,
  options: FileDirectoryOptions = {},
): Promise<FileDirectory> {
  const dir = new FileDirectory(path, options);
  await dir.reload();
  if (options.watch) dir.startWatching();
  return dir;
}
