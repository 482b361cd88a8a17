import type { Account, LocalTarget, Logger, Resolution } from '@mailstack/core';
import { addressKey, domainKey, splitDetail, splitKey } from './address-key.ts';
import type { DirectoryData, UserRecord } from './data.ts';

/** How deep alias chains may go before a branch is dropped (Postfix uses 1000 expansions; 20 levels is plenty). */
export const MAX_ALIAS_DEPTH = 20;
/** Total addresses visited per resolve, so a wide alias graph cannot blow up exponentially. */
const MAX_EXPANSIONS = 1000;

interface Expansion {
  given: string;
  out: Resolution;
  seenUsers: Set<string>;
  seenForwards: Set<string>;
  budget: number;
}

/**
 * An immutable, indexed view of one validated `DirectoryData`: every lookup the Directory
 * interface needs, without I/O. A reload swaps the whole snapshot, so a lookup never sees
 * half of an edit.
 */
export class DirectorySnapshot {
  readonly data: DirectoryData;
  readonly #users: Map<string, UserRecord>;
  readonly #aliases: Map<string, string[]>;
  readonly #catchAll: Map<string, string>;
  readonly #domains: Set<string>;
  readonly #addresses = new Map<string, string[]>();
  readonly #logger: Logger;

  constructor(data: DirectoryData, logger: Logger) {
    this.data = data;
    this.#logger = logger;
    this.#users = new Map(Object.entries(data.users));
    this.#aliases = new Map(Object.entries(data.aliases));
    this.#catchAll = new Map(Object.entries(data.catchAll));
    this.#domains = new Set(data.domains);
    // An alias belongs to an account's addresses when everything it reaches is that account.
    for (const alias of [...this.#aliases.keys()].sort()) {
      const r = this.resolve(alias);
      if (r && r.forward.length === 0 && r.local.length === 1) {
        const user = r.local[0]!.user;
        this.#addresses.set(user, [...(this.#addresses.get(user) ?? []), alias]);
      }
    }
  }

  isLocalDomain(domain: string): boolean {
    return this.#domains.has(domainKey(domain));
  }

  /** The stored record for a login name (any case), with its lookup key. */
  user(name: string): { key: string; record: UserRecord } | null {
    const key = addressKey(name);
    const record = key ? this.#users.get(key) : undefined;
    return key && record ? { key, record } : null;
  }

  account(name: string): Account | null {
    const found = this.user(name);
    if (!found) return null;
    const account: Account = {
      user: found.key,
      addresses: [found.key, ...(this.#addresses.get(found.key) ?? [])],
    };
    if (found.record.quotaBytes !== undefined) account.quotaBytes = found.record.quotaBytes;
    if (found.record.quotaMessages !== undefined) account.quotaMessages = found.record.quotaMessages;
    return account;
  }

  /**
   * Expands an address: exact user or alias first, then without its `+detail`, then the
   * domain's catch-all. Aliases expand recursively; a loop or an over-deep chain drops only
   * that branch (logged). Null when the domain is not local or nobody receives the mail.
   */
  resolve(address: string): Resolution | null {
    const key = addressKey(address);
    if (!key || !this.#domains.has(splitKey(key).domain)) return null;
    const x: Expansion = {
      given: address.trim(),
      out: { local: [], forward: [] },
      seenUsers: new Set(),
      seenForwards: new Set(),
      budget: MAX_EXPANSIONS,
    };
    this.#expand(x, address, undefined, []);
    return x.out.local.length + x.out.forward.length > 0 ? x.out : null;
  }

  #expand(x: Expansion, target: string, detail: string | undefined, path: string[]): void {
    const key = addressKey(target);
    if (!key) return;
    if (--x.budget < 0) {
      if (x.budget === -1)
        this.#logger.warn(
          { event: 'alias-budget-exhausted', address: x.given },
          'alias expansion budget exhausted',
        );
      return;
    }
    const { local, domain } = splitKey(key);
    if (!this.#domains.has(domain)) {
      // Elsewhere: forward as written; the remote side owns its local part's case.
      if (!x.seenForwards.has(key)) {
        x.seenForwards.add(key);
        x.out.forward.push(target.trim());
      }
      return;
    }
    if (path.includes(key)) {
      this.#logger.warn(
        { event: 'alias-loop', address: x.given, loop: [...path, key] },
        'alias loop; branch dropped',
      );
      return;
    }
    if (path.length > MAX_ALIAS_DEPTH) {
      this.#logger.warn(
        { event: 'alias-too-deep', address: x.given, path },
        'alias chain too deep; branch dropped',
      );
      return;
    }
    const next = [...path, key];
    if (this.#deliverTo(x, key, detail, next)) return;
    const split = splitDetail(local, this.data.subaddressSeparator);
    if (split && this.#deliverTo(x, `${split.base}@${domain}`, split.detail, next)) return;
    const catchAll = this.#catchAll.get(domain);
    if (catchAll !== undefined) this.#expand(x, catchAll, undefined, next);
    else if (path.length > 0)
      this.#logger.warn(
        { event: 'alias-target-missing', address: x.given, target: key },
        'alias target does not exist',
      );
  }

  /** Delivers to a user or expands an alias with this exact key; false when neither exists. */
  #deliverTo(x: Expansion, key: string, detail: string | undefined, path: string[]): boolean {
    if (this.#users.has(key)) {
      if (!x.seenUsers.has(key)) {
        x.seenUsers.add(key);
        const t: LocalTarget = { user: key, address: x.given };
        if (detail !== undefined) t.detail = detail;
        x.out.local.push(t);
      }
      return true;
    }
    const targets = this.#aliases.get(key);
    if (!targets) return false;
    for (const t of targets) this.#expand(x, t, detail, path);
    return true;
  }
}
