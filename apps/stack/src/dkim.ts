import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface DkimMaterial {
  selector: string;
  privateKey: string;
  /** The TXT record to publish at `<selector>._domainkey.<domain>`. */
  dnsTxtRecord: string;
  /** Where the record is written for the operator to copy. */
  recordPath: string;
  created: boolean;
}

/**
 * Loads the domain's DKIM key, making an RSA-2048 one on first start (RSA because
 * every verifier understands it; RFC 8463 Ed25519 is not yet universal). The private key
 * never leaves the data folder; the DNS record is written beside it.
 */
export async function ensureDkimKey(
  dir: string,
  domain: string,
  selector = 'mailstack',
): Promise<DkimMaterial> {
  const keyPath = join(dir, `${domain}.${selector}.key`);
  const recordPath = join(dir, `${domain}.${selector}.txt`);
  try {
    const [privateKey, record] = await Promise.all([readFile(keyPath, 'utf8'), readFile(recordPath, 'utf8')]);
    return { selector, privateKey, dnsTxtRecord: record.trim(), recordPath, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // The transfer agent's module only when a key is made: `mailstack dns-records` and the CLI table stay light.
  const { generateDkimKey } = await import('@mailstack/mta');
  const key = await generateDkimKey({ type: 'rsa', bits: 2048 });
  // The record first, then the key by rename: a crash in between leaves no key without a record.
  await writeFile(recordPath, `${key.dnsTxtRecord}\n`, { mode: 0o644 });
  await writeFile(`${keyPath}.tmp`, key.privateKeyPem, { mode: 0o600 });
  await rename(`${keyPath}.tmp`, keyPath);
  return {
    selector,
    privateKey: key.privateKeyPem,
    dnsTxtRecord: key.dnsTxtRecord,
    recordPath,
    created: true,
  };
}
