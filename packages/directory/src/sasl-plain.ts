const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes a SASL PLAIN message (RFC 4616: [authzid] NUL authcid NUL passwd, base64) as IMAP
 * AUTHENTICATE and POP3 AUTH receive it; null when malformed. One account may not act as
 * another: an authzid must name the same user.
 */
export function parseSaslPlain(encoded: string): { user: string; password: string } | null {
  if (!BASE64.test(encoded)) return null;
  const parts = Buffer.from(encoded, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return null;
  const [authz, user, password] = parts as [string, string, string];
  if (!user || !password || (authz !== '' && authz.toLowerCase() !== user.toLowerCase())) return null;
  return { user, password };
}
