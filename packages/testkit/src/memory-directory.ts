import { domainToUnicode } from 'node:url';
import type { Account, Directory, LocalTarget, Resolution } from '@mailstack/core';

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

/** A domain as the file directory keys it: lower case, no trailing dot, IDNA A-labels as Unicode. */
const domainKey = (d: string) => {
  const bare = d.trim().replace(/\.$/, '').toLowerCase();
  return domainToUnicode(bare) || bare;
};
/** An address as the file directory keys it ('' when it is none: no `@`, or an empty side). */
const lower = (a: string) => {
  const t = a.trim();
  const at = t.lastIndexOf('@');
  if (at <= 0 || at === t.length - 1) return '';
  return `${t.slice(0, at).toLowerCase()}@${domainKey(t.slice(at + 1))}`;
};
const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1);

/**
 * An in-memory Directory for unit tests: plain-text passwords compared directly, no hashing,
 * no timing care. The rules are the file-backed one's, checked by the same Directory contract
 * (src/contracts/directory-contract.ts): case-insensitive addresses and IDNA domains, strict
 * logins, `user+detail`, recursive aliases with a loop guard, catch-all.
 */
export function memoryDirectory(options: MemoryDirectoryOptions = {}): MemoryDirectory {
  const users = new Map<string, MemoryUser>();
  for (const [a, u] of Object.entries(options.users ?? {}))
    users.set(lower(a), typeof u === 'string' ? { password: u } : u);
  const aliases = new Map(Object.entries(options.aliases ?? {}).map(([a, t]) => [lower(a), t]));
  const catchAll = new Map(Object.entries(options.catchAll ?? {}).map(([d, t]) => [domainKey(d), t]));
  const domains = new Set(
    (options.domains ?? [...users.keys(), ...aliases.keys()].map(domainOf)).map(domainKey),
  );
  const sep = options.subaddressSeparator ?? '+';
  const logins: Array<{ user: string; ok: boolean }> = [];

  const expand = (
    address: string,
    given: string,
    detail: string | undefined,
    path: string[],
    out: Resolution,
  ) => {
    const key = lower(address);
    if (!key) return;
    if (!domains.has(domainOf(key))) {
      if (!out.forward.includes(address.trim())) out.forward.push(address.trim());
      return;
    }
    if (path.includes(key) || path.length > 20) return;
    const here = [...path, key];
    const hit = (k: string, d: string | undefined): boolean => {
      if (users.has(k)) {
        if (!out.local.some((t) => t.user === k)) {
          const t: LocalTarget = { user: k, address: given };
          if (d !== undefined) t.detail = d;
          out.local.push(t);
        }
        return true;
      }
      const targets = aliases.get(k);
      if (!targets) return false;
      for (const t of targets) expand(t, given, d, here, out);
      return true;
    };
    if (hit(key, detail)) return;
    const local = key.slice(0, key.lastIndexOf('@'));
    const cut = sep ? [...local].findIndex((c, i) => i > 0 && sep.includes(c)) : -1;
    if (cut > 0 && hit(`${local.slice(0, cut)}@${domainOf(key)}`, local.slice(cut + 1))) return;
    const ca = catchAll.get(domainOf(key));
    if (ca) expand(ca, given, undefined, here, out);
  };

  const account = async (user: string): Promise<Account | null> => {
    const key = lower(user);
    const u = users.get(key);
    if (!u) return null;
    const own = [...aliases.keys()].filter((a) => {
      const r: Resolution = { local: [], forward: [] };
      expand(a, a, undefined, [], r);
      return r.forward.length === 0 && r.local.length === 1 && r.local[0]!.user === key;
    });
    const acct: Account = { user: key, addresses: [key, ...own] };
    if (u.quotaBytes !== undefined) acct.quotaBytes = u.quotaBytes;
    if (u.quotaMessages !== undefined) acct.quotaMessages = u.quotaMessages;
    return acct;
  };

  return {
    logins,
    async authenticate(user, password) {
      // Logins are strict where lookups are lenient (as in the file directory): the name must
      // be the account's address itself, up to ASCII case.
      const key = lower(user);
      const u = user.replace(/[A-Z]+/g, (c) => c.toLowerCase()) === key ? users.get(key) : undefined;
      const ok = !!u && u.password === password;
      logins.push({ user, ok });
      return ok ? account(user) : null;
    },
    async resolve(address) {
      const key = lower(address);
      if (!key || !domains.has(domainOf(key))) return null;
      const out: Resolution = { local: [], forward: [] };
      expand(address, address.trim(), undefined, [], out);
      return out.local.length + out.forward.length > 0 ? out : null;
    },
    isLocalDomain: (d) => domains.has(domainKey(d)),
    account,
  };
}
