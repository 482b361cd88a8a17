import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { MailstackConfig } from './schema.ts';

/** A listener's agent decides which TLS modes make sense. */
const TLS_ALLOWED: Record<string, readonly string[]> = {
  mda: ['none'],
  web: ['none'],
  msa: ['starttls', 'implicit'],
  mta: ['none', 'starttls'],
};

const TRANSPORT = /^(smtp|lmtp):(\[[^\]]+\]|[^:[\]]+)(?::(\d+))?$/i;
const WILDCARD = new Set(['0.0.0.0', '::', '*']);

/** What the schema cannot say: listeners that collide, TLS modes an agent lacks, bad transport entries. */
export function checkConsistency(config: MailstackConfig): string[] {
  const problems: string[] = [];
  const taken: Array<{ address: string; port: number; index: number; agent: string }> = [];
  config.listeners.forEach((l, index) => {
    const allowed = TLS_ALLOWED[l.agent];
    if (allowed && !allowed.includes(l.tls)) {
      problems.push(
        `listeners[${index}].tls: the ${l.agent} listener takes ${allowed.join(' or ')}, not ${l.tls}`,
      );
    }
    // Port 0 asks for any free port: never a collision.
    if (l.port === 0) return;
    const clash = taken.find(
      (t) =>
        t.port === l.port && (t.address === l.address || WILDCARD.has(t.address) || WILDCARD.has(l.address)),
    );
    if (clash) {
      problems.push(
        `listeners[${index}]: ${l.address}:${l.port} is already taken by listeners[${clash.index}] (${clash.agent} on ${clash.address}:${clash.port})`,
      );
    }
    taken.push({ address: l.address, port: l.port, index, agent: l.agent });
  });
  for (const [domain, entry] of Object.entries(config.outbound.transportMap)) {
    const m = TRANSPORT.exec(entry);
    if (!m || (m[3] !== undefined && Number(m[3]) > 65535)) {
      problems.push(
        `outbound.transportMap.${domain}: expected smtp:host, smtp:[address]:port or lmtp:[address]:port, got ${JSON.stringify(entry)}`,
      );
    }
  }
  if ((config.tls.cert === null) !== (config.tls.key === null)) {
    const missing = config.tls.cert === null ? 'tls.cert' : 'tls.key';
    const given = config.tls.cert === null ? 'tls.key' : 'tls.cert';
    problems.push(
      `${missing}: needed when ${given} is set (or leave both out for a self-signed certificate)`,
    );
  }
  return problems;
}

/**
 * The operator's certificate and key: both readable, a certificate and a private key, and the
 * key the certificate's (a mismatch would only show at the first TLS handshake otherwise).
 */
export function checkCertificate(certPath: string, keyPath: string): string[] {
  const cert = readPem(certPath, 'tls.cert');
  const key = readPem(keyPath, 'tls.key');
  if (typeof cert === 'string' || typeof key === 'string') {
    return [cert, key].filter((x): x is string => typeof x === 'string');
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    return [`tls.cert: ${certPath} holds no PEM certificate`];
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    return [`tls.key: ${keyPath} holds no PEM private key`];
  }
  if (!x509.checkPrivateKey(privateKey)) {
    return [`tls.key: ${keyPath} is not the private key of the certificate in ${certPath}`];
  }
  return [];
}

function readPem(path: string, key: string): Buffer | string {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${key}: file ${path} not found`;
    return `${key}: cannot read ${path} (${code ?? String(err)})`;
  }
}
