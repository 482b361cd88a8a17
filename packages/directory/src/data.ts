import { isValidMailbox } from '@mailstack/core';
import { addressKey, domainKey, splitKey } from './address-key.ts';
import { DirectoryError } from './errors.ts';
import { parseHash } from './password.ts';

/** One account as stored in the file. `password` is always a `$scrypt$` hash, never plain text. */
export interface UserRecord {
  password: string;
  quotaBytes?: number;
  quotaMessages?: number;
}

/**
 * The content of `directory.json`, after validation. Keys are in lookup form (lower-case,
 * see `addressKey`); alias targets and catch-all targets are kept as written, because a
 * remote mailbox's local part may be case-sensitive.
 */
export interface DirectoryData {
  domains: string[];
  users: Record<string, UserRecord>;
  aliases: Record<string, string[]>;
  catchAll: Record<string, string>;
  subaddressSeparator: string;
}

export function emptyDirectoryData(): DirectoryData {
  return { domains: [], users: {}, aliases: {}, catchAll: {}, subaddressSeparator: '+' };
}

const ROOT_KEYS = ['domains', 'users', 'aliases', 'catchAll', 'subaddressSeparator'];
const USER_KEYS = ['password', 'quotaBytes', 'quotaMessages'];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isValidDomain(domain: string): boolean {
  return isValidMailbox(`x@${domain}`);
}

const q = JSON.stringify;

/**
 * Checks a parsed JSON value and returns it in normalised form. Collects every problem and
 * throws one `DirectoryError('invalid-file')` whose `issues` each name the bad key, e.g.
 * `users["bob@example.test"].quotaBytes: must be a non-negative integer`.
 */
export function validateDirectoryData(value: unknown): DirectoryData {
  const issues: string[] = [];
  const out = emptyDirectoryData();
  if (!isPlainObject(value)) throw new DirectoryError('invalid-file', 'top level must be a JSON object');

  for (const key of Object.keys(value)) {
    if (!ROOT_KEYS.includes(key))
      issues.push(`${q(key)}: unknown key (expected one of ${ROOT_KEYS.join(', ')})`);
  }

  const domains = value.domains ?? [];
  if (!Array.isArray(domains)) issues.push('domains: must be an array of domain names');
  else {
    domains.forEach((d, i) => {
      const key = typeof d === 'string' && isValidDomain(d) ? domainKey(d) : null;
      if (!key) issues.push(`domains[${i}]: ${q(d)} is not a domain`);
      else if (out.domains.includes(key)) issues.push(`domains[${i}]: ${q(d)} is listed twice`);
      else out.domains.push(key);
    });
  }
  const local = new Set(out.domains);

  /** Validates an address used as a key; returns its lookup form or records an issue. */
  const localKey = (where: string, address: string, taken: Record<string, unknown>): string | null => {
    const key = isValidMailbox(address.trim()) ? addressKey(address) : null;
    let problem = '';
    if (!key) problem = 'not a valid address';
    else if (!local.has(splitKey(key).domain))
      problem = `domain ${q(splitKey(key).domain)} is not in "domains"`;
    else if (Object.hasOwn(taken, key)) problem = `same address as another entry (${key})`;
    if (problem) {
      issues.push(`${where}: ${problem}`);
      return null;
    }
    return key;
  };

  const users = value.users ?? {};
  if (!isPlainObject(users)) issues.push('users: must be an object of address → { password, ... }');
  else {
    for (const [address, rec] of Object.entries(users)) {
      const where = `users[${q(address)}]`;
      const key = localKey(where, address, out.users);
      if (!isPlainObject(rec)) {
        issues.push(`${where}: must be an object with a "password"`);
        continue;
      }
      for (const k of Object.keys(rec)) {
        if (!USER_KEYS.includes(k))
          issues.push(`${where}.${k}: unknown key (expected ${USER_KEYS.join(', ')})`);
      }
      if (typeof rec.password !== 'string' || !parseHash(rec.password)) {
        issues.push(`${where}.password: must be a "$scrypt$..." hash (set one with "user passwd")`);
      }
      for (const k of ['quotaBytes', 'quotaMessages'] as const) {
        const v = rec[k];
        if (v !== undefined && !(Number.isSafeInteger(v) && (v as number) >= 0)) {
          issues.push(`${where}.${k}: must be a non-negative integer`);
        }
      }
      if (key) {
        const user: UserRecord = { password: rec.password as string };
        if (rec.quotaBytes !== undefined) user.quotaBytes = rec.quotaBytes as number;
        if (rec.quotaMessages !== undefined) user.quotaMessages = rec.quotaMessages as number;
        out.users[key] = user;
      }
    }
  }

  const aliases = value.aliases ?? {};
  if (!isPlainObject(aliases)) issues.push('aliases: must be an object of address → [targets]');
  else {
    for (const [address, targets] of Object.entries(aliases)) {
      const where = `aliases[${q(address)}]`;
      const key = localKey(where, address, out.aliases);
      if (key && Object.hasOwn(out.users, key))
        issues.push(`${where}: is also a user; an address is either a user or an alias`);
      if (!Array.isArray(targets) || targets.length === 0) {
        issues.push(`${where}: must be a non-empty array of addresses`);
        continue;
      }
      const clean: string[] = [];
      targets.forEach((t, i) => {
        if (typeof t !== 'string' || !isValidMailbox(t.trim()))
          issues.push(`${where}[${i}]: ${q(t)} is not an address`);
        else clean.push(t.trim());
      });
      if (key) out.aliases[key] = clean;
    }
  }

  const catchAll = value.catchAll ?? {};
  if (!isPlainObject(catchAll)) issues.push('catchAll: must be an object of domain → target address');
  else {
    for (const [domain, target] of Object.entries(catchAll)) {
      const where = `catchAll[${q(domain)}]`;
      const key = domainKey(domain);
      if (!local.has(key)) issues.push(`${where}: domain is not in "domains"`);
      else if (Object.hasOwn(out.catchAll, key)) issues.push(`${where}: same domain as another entry`);
      if (typeof target !== 'string' || !isValidMailbox(target.trim()))
        issues.push(`${where}: ${q(target)} is not an address`);
      else out.catchAll[key] = target.trim();
    }
  }

  const sep = value.subaddressSeparator ?? '+';
  if (typeof sep !== 'string' || sep.length > 8 || /[@\s"]/.test(sep)) {
    issues.push(
      'subaddressSeparator: must be a string of up to 8 characters, no "@", quotes or spaces ("" turns it off)',
    );
  } else out.subaddressSeparator = sep;

  if (issues.length > 0) {
    throw new DirectoryError('invalid-file', `${issues.length} problem(s): ${issues.join('; ')}`, issues);
  }
  return out;
}

/** Parses and validates the file's text. */
export function parseDirectoryData(text: string): DirectoryData {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DirectoryError('invalid-file', `not valid JSON: ${(err as Error).message}`, [
      (err as Error).message,
    ]);
  }
  return validateDirectoryData(value);
}

/** Stable, human-readable form: two-space JSON, sorted keys, trailing newline. */
export function serializeDirectoryData(data: DirectoryData): string {
  const sorted = <T>(o: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const ordered = {
    domains: [...data.domains].sort(),
    users: sorted(data.users),
    aliases: sorted(data.aliases),
    catchAll: sorted(data.catchAll),
    subaddressSeparator: data.subaddressSeparator,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}
