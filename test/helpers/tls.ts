import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from './run.ts';

export interface CertificateFiles {
  certPath: string;
  keyPath: string;
}

/**
 * A fresh self-signed P-256 certificate for `localhost` / 127.0.0.1 (valid two days), made with
 * Debian's openssl into `dir`. The key is 0640 so daemons that drop to their own group after
 * start (Postfix's smtpd) can still read it when the caller chgrps it.
 */
export async function makeCertificate(dir: string, hostname = 'localhost'): Promise<CertificateFiles> {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  await runOk('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${hostname}`,
    '-addext',
    `subjectAltName=DNS:${hostname},DNS:localhost,IP:127.0.0.1`,
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]);
  chmodSync(keyPath, 0o640);
  chmodSync(certPath, 0o644);
  return { certPath, keyPath };
}
