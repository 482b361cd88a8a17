import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { normalize } from 'node:path';
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
  const sockets = new Map<string, number>();
  config.listeners.forEach((l, index) => {
    const allowed = TLS_ALLOWED[l.agent];
    if (allowed && !allowed.includes(l.tls)) {
      problems.push(
        `listeners[${index}].tls: the ${l.agent} listener takes ${allowed.join(' or ')}, not ${l.tls}`,
      );
    }
    if (l.socket !== undefined) {
      problems.push(...checkSocket(l, index, sockets));
      return;
    }
    if (l.port === undefined) {
      problems.push(`listeners[${index}].port: missing; give a port (or socket, for an mda listener)`);
      return;
    }
    if (l.socketMode !== undefined) {
      problems.push(`listeners[${index}].socketMode: only a listener with a socket takes it`);
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
  config.outbound.relayNetworks.forEach((entry, i) => {
    if (!isCidr(entry)) {
      problems.push(
        `outbound.relayNetworks[${i}]: expected an address or CIDR like 192.0.2.0/24, got ${JSON.stringify(entry)}`,
      );
    }
  });
  config.dns.servers.forEach((entry, i) => {
    if (!isDnsServer(entry)) {
      problems.push(
        `dns.servers[${i}]: expected an IP address, optionally with :port, got ${JSON.stringify(entry)}`,
      );
    }
  });
  if (
    config.queue.lmtp !== null &&
    !isHostPort(config.queue.lmtp) &&
    lmtpSocket(config.queue.lmtp) === null
  ) {
    problems.push(
      `queue.lmtp: expected host:port like 127.0.0.1:24, or unix:/path/to/socket, got ${JSON.stringify(config.queue.lmtp)}`,
    );
  }
  const local = new Set(config.domains.map((d) => d.toLowerCase()));
  config.dev.demoUsers.forEach((user, i) => {
    const domain = user.slice(user.lastIndexOf('@') + 1).toLowerCase();
    if (!user.includes('@') || !local.has(domain)) {
      problems.push(`dev.demoUsers[${i}]: ${JSON.stringify(user)} is not an address in one of the domains`);
    }
  });
  if ((config.tls.cert === null) !== (config.tls.key === null)) {
    const missing = config.tls.cert === null ? 'tls.cert' : 'tls.key';
    const given = config.tls.cert === null ? 'tls.key' : 'tls.cert';
    problems.push(
      `${missing}: needed when ${given} is set (or leave both out for a self-signed certificate)`,
    );
  }
  return problems;
}

/** A unix socket listener: the mda agent's only, plain, one listener per path. */
function checkSocket(
  l: MailstackConfig['listeners'][number],
  index: number,
  sockets: Map<string, number>,
): string[] {
  const at = `listeners[${index}]`;
  if (l.agent !== 'mda') {
    return [`${at}.socket: only the mda listener takes a unix socket, not ${l.agent}; give a port`];
  }
  if (l.port !== undefined) return [`${at}.socket: give either port or socket, not both`];
  const path = normalize(l.socket as string);
  const clash = sockets.get(path);
  if (clash !== undefined) return [`${at}.socket: ${l.socket} is already taken by listeners[${clash}]`];
  sockets.set(path, index);
  return [];
}

/**
 * The socket path `queue.lmtp` names (`unix:/run/lmtp`, `unix:lmtp.sock` in the data folder,
 * or an absolute path), or null when it names none.
 */
export function lmtpSocket(entry: string): string | null {
  if (entry.startsWith('unix:')) return entry.length > 5 ? entry.slice(5) : null;
  return entry.startsWith('/') ? entry : null;
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

/** `192.0.2.7`, `192.0.2.0/24`, `2001:db8::/32`: what the inbound MTA's relay check takes. */
function isCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/** `127.0.0.1:24`, `lmtp.example:24`, `[::1]:24`. */
function isHostPort(entry: string): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(entry);
  return !!m && Number(m[3]) >= 1 && Number(m[3]) <= 65535;
}

/** `192.0.2.53`, `192.0.2.53:5353`, `2001:db8::53`, `[2001:db8::53]:5353`. */
function isDnsServer(entry: string): boolean {
  if (isIP(entry)) return true;
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(entry);
  return !!m && isIP(m[1] ?? m[2] ?? '') !== 0 && Number(m[3]) <= 65535;
}
