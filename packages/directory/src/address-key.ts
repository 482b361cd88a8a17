import { domainToUnicode } from 'node:url';
import { splitAddress } from '@mailstack/core';

/**
 * Lookup form of a domain: lower-case, no trailing dot, IDNA labels mapped to Unicode (UTS #46),
 * so `Example.TEST.`, `example.test`, and `xn--...` / UTF-8 spellings of one domain match.
 */
export function domainKey(domain: string): string {
  const bare = domain.trim().replace(/\.$/, '').toLowerCase();
  if (bare.startsWith('[')) return bare; // address literal: no IDNA
  return domainToUnicode(bare) || bare;
}

/**
 * Lookup form of an address. Both parts are case-insensitive, as Postfix's virtual maps
 * treat them by default: `Alice@Example.TEST` and `alice@example.test` are one mailbox.
 * Returns null when there is no `@` with text on both sides.
 */
export function addressKey(address: string): string | null {
  const parts = splitAddress(address.trim());
  if (!parts) return null;
  return `${parts.local.toLowerCase()}@${domainKey(parts.domain)}`;
}

/**
 * The account key a login name names, or null. Logins are strict where lookups are lenient:
 * the name must be the stored key itself, up to ASCII case. `addressKey` maps many spellings
 * onto one key (a trailing dot, IDNA mapping of soft hyphens, fullwidth letters and `。`, and
 * the URL host parser cutting at `/ ? # \`), which is right for delivering mail but would
 * let `bob@example.test./x` log in as bob under a name the throttle and the logs see as new.
 */
export function loginKey(name: string): string | null {
  const key = addressKey(name);
  return key !== null && name.replace(/[A-Z]+/g, (c) => c.toLowerCase()) === key ? key : null;
}

/**
 * What the login throttle counts failures under: the account key every spelling of the name
 * maps to (so guessing with `Bob@EXAMPLE.test.` counts against bob), or the lower-cased name
 * when it is not an address.
 */
export function throttleAccountKey(name: string): string {
  return addressKey(name) ?? name.trim().toLowerCase();
}

/** Splits a lookup key into local part and domain (keys always contain an `@`). */
export function splitKey(key: string): { local: string; domain: string } {
  const at = key.lastIndexOf('@');
  return { local: key.slice(0, at), domain: key.slice(at + 1) };
}

/**
 * Splits `user+detail` at the first separator character (Postfix `recipient_delimiter`
 * semantics: any character of `separators` separates). Empty `separators` disables it.
 */
export function splitDetail(local: string, separators: string): { base: string; detail: string } | null {
  if (!separators) return null;
  for (let i = 1; i < local.length; i++) {
    if (separators.includes(local[i]!)) return { base: local.slice(0, i), detail: local.slice(i + 1) };
  }
  return null;
}
