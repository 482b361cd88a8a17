import type { Directory, Envelope, Spool } from '@mailstack/core';
import { readAll } from '@mailstack/core';
import { memorySpool } from '@mailstack/queue';
import type { SmtpListener } from '@mailstack/smtp';
import { memoryDirectory } from '@mailstack/testkit';
import { generate } from 'selfsigned';
import { createSubmissionServer, type SubmissionServerOptions } from '../src/index.ts';

export const USERS = {
  'alice@example.test': 'alice-pw',
  'bob@example.test': 'bob-pw',
  'jöran@exämple.test': 'jöran-pw',
};
export const ALIASES = {
  'a.smith@example.test': ['alice@example.test'],
  'team@example.test': ['alice@example.test', 'bob@example.test'],
};

let cached: Promise<{ key: string; cert: string }> | undefined;

/** One self-signed certificate per test file (generation takes a moment). */
export function testCertificate(): Promise<{ key: string; cert: string }> {
  cached ??= generate([{ name: 'commonName', value: 'msa.example.test' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  }).then((p) => ({ key: p.private, cert: p.cert }));
  return cached;
}

export interface StoredMessage {
  id: string;
  envelope: Envelope;
  body: Buffer;
}

export interface Harness {
  directory: Directory;
  spool: Spool;
  /** 587-style listener (STARTTLS). */
  port: number;
  /** 465-style listener (implicit TLS). */
  tlsPort: number;
  stored(): Promise<StoredMessage[]>;
  close(): Promise<void>;
}

export type HarnessOptions = Partial<Omit<SubmissionServerOptions, 'implicitTls'>>;

/**
 * Both listeners over one memory directory and one memory spool: these tests are about the
 * protocol; the file spool has its own tests and the Spool contract (crash.test.ts and
 * main.test.ts run the real process on a real spool).
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const directory = options.directory ?? memoryDirectory({ users: USERS, aliases: ALIASES });
  const queue = memorySpool();
  const spool = options.spool ?? queue;
  const tls = await testCertificate();
  const base: SubmissionServerOptions = {
    hostname: 'msa.example.test',
    closeTimeoutMs: 500,
    authThrottle: { maxFailures: 100, windowMs: 60_000, baseDelayMs: 1, maxDelayMs: 1 },
    ...options,
    directory,
    spool,
    tls,
    implicitTls: false,
  };
  const listeners: SmtpListener[] = [
    createSubmissionServer(base),
    createSubmissionServer({ ...base, implicitTls: true }),
  ];
  const ports: number[] = [];
  for (const l of listeners) {
    const a = await l.listen(0, '127.0.0.1');
    if (!('port' in a)) throw new Error('expected TCP');
    ports.push(a.port);
  }
  return {
    directory,
    spool,
    port: ports[0] as number,
    tlsPort: ports[1] as number,
    async stored() {
      const list = await queue.list();
      return Promise.all(
        list.map(async (m) => ({ id: m.id, envelope: m.envelope, body: await readAll(m.blob.open()) })),
      );
    },
    async close() {
      await Promise.all(listeners.map((l) => l.close()));
    },
  };
}

export const plainAuth = (user: string, pass: string) => Buffer.from(`\0${user}\0${pass}`).toString('base64');
