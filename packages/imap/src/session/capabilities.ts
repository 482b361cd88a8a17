/** Capabilities every state announces. */
const BASE = [
  'IMAP4rev1',
  'LITERAL+',
  'SASL-IR',
  'ID',
  'ENABLE',
  'IDLE',
  'NAMESPACE',
  'UNSELECT',
  'UIDPLUS',
  'MOVE',
  'CHILDREN',
  'SPECIAL-USE',
  'CREATE-SPECIAL-USE',
];

export function capabilityList(s: {
  authenticated: boolean;
  tlsOffered: boolean;
  authAllowed: boolean;
  maxAppendSize: number;
}): string[] {
  const caps = [...BASE, `APPENDLIMIT=${s.maxAppendSize}`];
  if (s.authenticated) return caps;
  if (s.tlsOffered) caps.push('STARTTLS');
  // RFC 3501 6.2.3: without TLS (and without the loopback switch) no cleartext password goes.
  caps.push(s.authAllowed ? 'AUTH=PLAIN' : 'LOGINDISABLED');
  return caps;
}
