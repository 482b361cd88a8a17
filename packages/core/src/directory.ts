/** An account that can log in and own mailboxes. */
export interface Account {
  /** Login name and mailbox owner: the account's primary address, lower-cased domain. */
  user: string;
  /** Every address the account may send as (primary, aliases pointing only at it). */
  addresses: string[];
  /** Storage quota in bytes; undefined = unlimited. */
  quotaBytes?: number;
  /** Message-count quota; undefined = unlimited. */
  quotaMessages?: number;
}

/** A local mailbox an address resolves to. */
export interface LocalTarget {
  /** Account (mailbox owner) to deliver into. */
  user: string;
  /** The address as it was given (for Delivered-To). */
  address: string;
  /** The `+detail` part of a sub-address, when there was one. */
  detail?: string;
}

/** What an address expands to: local mailboxes and/or addresses elsewhere (alias forwards). */
export interface Resolution {
  local: LocalTarget[];
  forward: string[];
}

/** Accounts, domains and aliases. The file-backed one is the embedded default. */
export interface Directory {
  /** Checks a password; resolves null on any failure (unknown user or wrong password). */
  authenticate(user: string, password: string): Promise<Account | null>;
  /** Expands an address (aliases, sub-addressing, catch-all); null when nobody receives it. */
  resolve(address: string): Promise<Resolution | null>;
  isLocalDomain(domain: string): boolean;
  /** The account by login name, without a password check (for delivery and quota). */
  account(user: string): Promise<Account | null>;
}
