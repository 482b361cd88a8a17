import { loginKey } from './address-key.ts';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface SaslPlain {
  user: string;
  password: string;
  /**
   * False when the authzid names someone other than the login name: one account may not act
   * as another, and the protocol says so in its own words (IMAP `NO [AUTHORIZATIONFAILED]`,
   * RFC 5530) rather than calling the message malformed.
   */
  authorized: boolean;
}

/**
 * Decodes a SASL PLAIN message (RFC 4616: [authzid] NUL authcid NUL passwd, base64) as IMAP
 * AUTHENTICATE and POP3 AUTH receive it; null when malformed. An authzid is allowed only
 * when it is the login name itself (ASCII case aside).
 */
export function parseSaslPlain(encoded: string): SaslPlain | null {
  if (!BASE64.test(encoded)) return null;
  const parts = Buffer.from(encoded, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return null;
  const [authz, user, password] = parts as [string, string, string];
  if (!user || !password) return null;
  const authorized = authz === '' || sameLogin(authz, user);
  return { user, password, authorized };
}

function sameLogin(a: string, b: string): boolean {
  const key = loginKey(a);
  return key !== null ? key === loginKey(b) : a === b;
}
