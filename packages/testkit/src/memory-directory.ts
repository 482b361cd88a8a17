import { type Directory, silentLogger } from '@mailstack/core';
import { addressKey, DirectorySnapshot, domainKey, loginKey, type UserRecord } from '@mailstack/directory';

export interface MemoryUser {
  password: string;
  quotaBytes?: number;
  quotaMessages?: number;
}

export interface MemoryDirectoryOptions {
  /** address → plain-text password, or a record with quotas. */
  users?: Record<string, string | MemoryUser>;
  /** address → targets (local users, other aliases, or remote addresses). */
  aliases?: Record<string, string[]>;
  /** Local domains; default: every domain that appears in `users` and `aliases` keys. */
  domains?: string[];
  /** domain → target for unknown local parts. */
  catchAll?: Record<string, string>;
  /** Default '+'; '' turns sub-addressing off. */
  subaddressSeparator?: string;
}

export interface MemoryDirectory extends Directory {
  /** Every authenticate() call, for assertions (passwords are not recorded). */
  readonly logins: Array<{ user: string; ok: boolean }>;
}

/**
 * An in-memory Directory for unit tests: plain-text passwords compared directly, no hashing,
 * no timing care. Lookups are the file directory's own (@mailstack/directory's
 * DirectorySnapshot over the same data), so case, IDNA, `user+detail`, recursive aliases with a
 * loop guard and catch-alls behave exactly as in production; logins are as strict as there.
 */
export function memoryDirectory(options: MemoryDirectoryOptions = {}): MemoryDirectory {
  const users: Record<string, UserRecord> = {};
  for (const [address, u] of Object.entries(options.users ?? {})) {
    const key = addressKey(address);
    if (key) users[key] = typeof u === 'string' ? { password: u } : { ...u };
  }
  const aliases: Record<string, string[]> = {};
  for (const [address, targets] of Object.entries(options.aliases ?? {})) {
    const key = addressKey(address);
    if (key) aliases[key] = [...targets];
  }
  const catchAll: Record<string, string> = {};
  for (const [domain, target] of Object.entries(options.catchAll ?? {})) catchAll[domainKey(domain)] = target;
  const domains =
    options.domains ??
    [...Object.keys(users), ...Object.keys(aliases)].map((key) => key.slice(key.lastIndexOf('@') + 1));
  const snapshot = new DirectorySnapshot(
    {
      domains: [...new Set(domains.map(domainKey))],
      users,
      aliases,
      catchAll,
      subaddressSeparator: options.subaddressSeparator ?? '+',
    },
    silentLogger,
  );
  const logins: Array<{ user: string; ok: boolean }> = [];

  return {
    logins,
    async authenticate(user, password) {
      const key = loginKey(user);
      const found = key === null ? null : snapshot.user(key);
      const ok = found !== null && found.record.password === password;
      logins.push({ user, ok });
      return ok ? snapshot.account(found.key) : null;
    },
    async resolve(address) {
      return snapshot.resolve(address);
    },
    isLocalDomain: (domain) => snapshot.isLocalDomain(domain),
    async account(user) {
      return snapshot.account(user);
    },
  };
}
