/**
 * A self-signed server certificate made with node:crypto alone: an EC P-256 key and an X.509
 * v3 certificate (RFC 5280) whose DER we write ourselves, the few structures it needs.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import {
  bitString,
  boolean,
  explicit,
  implicit,
  integer,
  octetString,
  oid,
  sequence,
  set,
  time,
  utf8String,
} from './der.ts';

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

const DAY = 24 * 3600 * 1000;
/** The longest validity browsers and Apple's TLS stack still accept for a server certificate. */
const VALID_DAYS = 825;
/** Back-dated by an hour so a client whose clock is a little behind still accepts it. */
const BACKDATE = 3600 * 1000;

export interface SelfSignedPair {
  /** PKCS#8 PEM. */
  key: string;
  cert: string;
}

/** CN=hostname, for the hostname, `localhost` and 127.0.0.1; valid from an hour ago for 825 days. */
export function selfSignedCertificate(hostname: string, now = new Date()): SelfSignedPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const algorithm = sequence(oid(OID.ecdsaWithSha256));
  const name = sequence(set(sequence(oid(OID.commonName), utf8String(hostname))));
  const serial = randomBytes(16);
  // Positive (top bit clear) and a full 16 octets (second bit set).
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(serial),
    algorithm,
    name,
    sequence(time(new Date(now.getTime() - BACKDATE)), time(new Date(now.getTime() + VALID_DAYS * DAY))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions(hostname))),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const der = sequence(tbs, algorithm, bitString(signature));
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: pem('CERTIFICATE', der),
  };
}

function extensions(hostname: string): Buffer[] {
  const extension = (id: string, critical: boolean, value: Buffer) =>
    sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
  return [
    // cA FALSE is the DEFAULT, which DER leaves out: an empty SEQUENCE.
    extension(OID.basicConstraints, true, sequence()),
    // digitalSignature is bit 0: one octet 0b1000_0000 with its 7 trailing bits unused.
    extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
    extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
    extension(OID.subjectAltName, false, sequence(...altNames(hostname))),
  ];
}

/** GeneralName: dNSName [2] IA5String, iPAddress [7] OCTET STRING (4 or 16 octets). */
function altNames(hostname: string): Buffer[] {
  const names = [...new Set([hostname, 'localhost', '127.0.0.1'])];
  return names.map((n) =>
    isIP(n) === 4 ? implicit(7, Buffer.from(n.split('.').map(Number))) : implicit(2, Buffer.from(n, 'ascii')),
  );
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
