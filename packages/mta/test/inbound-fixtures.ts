import type { Directory, Envelope, Spool } from '@mailstack/core';
import { readAll } from '@mailstack/core';
import { memorySpool, openFileSpool } from '@mailstack/queue';
import type { SmtpListener } from '@mailstack/smtp';
import { memoryDirectory, type TempDir, tempDir } from '@mailstack/testkit';
import { generate } from 'selfsigned';
import { createInboundServer, type DnsResolver, type InboundServerOptions } from '../src/index.ts';

export const USERS = {
  'alice@example.test': 'alice-pw',
  'bob@example.test': 'bob-pw',
  'jöran@exämple.test': 'jöran-pw',
};

let cached: Promise<{ key: string; cert: string }> | undefined;

/** One self-signed certificate per test file. */
export function testCertificate(): Promise<{ key: string; cert: string }> {
  cached ??= generate([{ name: 'commonName', value: 'mx.example.test' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
  }).then((p) => ({ key: p.private, cert: p.cert }));
  return cached;
}

export interface StoredMessage {
  id: string;
  envelope: Envelope;
  body: Buffer;
  text: string;
}

export interface InboundHarness {
  /** The folder of the file spool, with `{ spoolOnDisk: true }`. */
  dir?: TempDir;
  directory: Directory;
  port: number;
  stored(): Promise<StoredMessage[]>;
  close(): Promise<void>;
}

/**
 * The inbound server over a memory directory and a memory spool, pregreet off: these tests are
 * about the protocol. `spoolOnDisk` puts a file spool in a temp dir instead, for a test about
 * what reaches the disk.
 */
export async function startInbound(
  options: Partial<InboundServerOptions> = {},
  harness: { spoolOnDisk?: boolean } = {},
): Promise<InboundHarness> {
  const dir = harness.spoolOnDisk ? await tempDir('mailstack-mta-in-') : undefined;
  const directory = options.directory ?? memoryDirectory({ users: USERS });
  const queue = dir ? await openFileSpool(`${dir.path}/spool`) : memorySpool();
  const spool: Spool = options.spool ?? queue;
  const server: SmtpListener = createInboundServer({
    hostname: 'mx.example.test',
    closeTimeoutMs: 500,
    pregreetMs: 0,
    tls: await testCertificate(),
    ...options,
    directory,
    spool,
  });
  const address = await server.listen(0, '127.0.0.1');
  if (!('port' in address)) throw new Error('expected TCP');
  return {
    ...(dir ? { dir } : {}),
    directory,
    port: address.port,
    async stored() {
      const list = await queue.list();
      return Promise.all(
        list.map(async (m) => {
          const body = await readAll(m.blob.open());
          return { id: m.id, envelope: m.envelope, body, text: body.toString('utf8') };
        }),
      );
    },
    async close() {
      await server.close();
      await dir?.cleanup();
    },
  };
}

/** A DNS zone in memory: `name/TYPE` → records. Unknown names fail like NXDOMAIN. */
export function fakeResolver(
  zone: Record<string, string[][] | string[]>,
): DnsResolver & { queries: string[] } {
  const queries: string[] = [];
  const resolver = async (name: string, rrtype: string) => {
    queries.push(`${name}/${rrtype}`);
    const records = zone[`${name.toLowerCase()}/${rrtype}`];
    if (!records) throw Object.assign(new Error(`query${rrtype} ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return records;
  };
  return Object.assign(resolver, { queries });
}

/** The header section of a stored message, unfolded, as `name: value` lines. */
export function headerLines(text: string): string[] {
  const head = text.slice(0, Math.max(0, text.indexOf('\r\n\r\n')));
  return head.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
}
