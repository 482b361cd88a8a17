import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { selfSignedCertificate } from './tls/self-signed.ts';

export interface TlsMaterial {
  key: string;
  cert: string;
  /** True when this call created the certificate. */
  created: boolean;
}

/** The pair already on disk, or undefined when a file of it is missing. */
async function readExisting(keyPath: string, certPath: string): Promise<TlsMaterial | undefined> {
  try {
    const [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
    return { key, cert, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return undefined;
  }
}

/**
 * Loads the stack's certificate, making a self-signed one on first start. TLS listeners
 * (submission, IMAPS, POP3S) need one from the first run; a real deployment puts its own
 * files in the same place.
 */
export async function ensureCertificate(dir: string, hostname: string): Promise<TlsMaterial> {
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const existing = await readExisting(keyPath, certPath);
  if (existing) return existing;
  const pems = selfSignedCertificate(hostname);
  // The pair is written in a folder of its own and renamed into place whole: agents started
  // as separate processes at once each make a pair, the first rename wins and the others read
  // the winner's. A crash leaves only a stray temporary folder, never a cert without its key.
  await mkdir(dirname(dir), { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(`${dir}.new-`);
  await writeFile(join(staging, 'key.pem'), pems.key, { mode: 0o600 });
  await writeFile(join(staging, 'cert.pem'), pems.cert, { mode: 0o644 });
  await chmod(staging, 0o700);
  try {
    // rename(2) replaces an empty folder (one a crashed start left) but not a full one.
    await rename(staging, dir);
    return { key: pems.key, cert: pems.cert, created: true };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
  const winners = await readExisting(keyPath, certPath);
  if (winners) return winners;
  // The folder holds something else but not a pair (a key whose certificate was deleted):
  // ours goes in file by file, the key first, so a cert.pem always has its key.
  for (const [name, pem, mode] of [
    ['key.pem', pems.key, 0o600],
    ['cert.pem', pems.cert, 0o644],
  ] as const) {
    const tmp = join(dir, `${name}.${process.pid}.tmp`);
    await writeFile(tmp, pem, { mode });
    await rename(tmp, join(dir, name));
  }
  return { key: pems.key, cert: pems.cert, created: true };
}
