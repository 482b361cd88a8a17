import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';

const generate = promisify(generateKeyPair);

export interface DkimKeyOptions {
  /** Default 'rsa' (2048 bits): every verifier knows it; Ed25519 (RFC 8463) is not yet universal. */
  type?: 'rsa' | 'ed25519';
  /** RSA modulus length (default 2048). */
  bits?: number;
}

export interface GeneratedDkimKey {
  /** PKCS#8 PEM, for `createDkimSigner`. */
  privateKeyPem: string;
  /** The TXT record's value for `<selector>._domainkey.<domain>`: `v=DKIM1; k=rsa; p=...`. */
  dnsTxtRecord: string;
  algorithm: 'rsa-sha256' | 'ed25519-sha256';
}

/**
 * A fresh DKIM key and the DNS TXT record that publishes it, so a stack can make one on first
 * start (like its TLS certificate). RSA's p= is the SubjectPublicKeyInfo DER; Ed25519's is the
 * raw 32-byte key (RFC 8463 4.2). A TXT value over 255 bytes goes into DNS as several strings.
 */
export async function generateDkimKey(options: DkimKeyOptions = {}): Promise<GeneratedDkimKey> {
  if (options.type === 'ed25519') {
    const { publicKey, privateKey } = await generate('ed25519', {
      publicKeyEncoding: { type: 'spki', format: 'der' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const raw = publicKey.subarray(publicKey.length - 32);
    return {
      privateKeyPem: privateKey,
      dnsTxtRecord: `v=DKIM1; k=ed25519; p=${raw.toString('base64')}`,
      algorithm: 'ed25519-sha256',
    };
  }
  const { publicKey, privateKey } = await generate('rsa', {
    modulusLength: options.bits ?? 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    privateKeyPem: privateKey,
    dnsTxtRecord: `v=DKIM1; k=rsa; p=${publicKey.toString('base64')}`,
    algorithm: 'rsa-sha256',
  };
}
