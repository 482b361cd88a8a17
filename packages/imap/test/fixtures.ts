import { bufferBlob, type MailboxStore } from '@mailstack/core';
import { createAuthThrottle } from '@mailstack/directory';
import { createMaildirStore } from '@mailstack/maildir';
import {
  type LineClient,
  lineClient,
  type MemoryDirectory,
  memoryDirectory,
  memoryMailboxStore,
  type TempDir,
  tempDir,
} from '@mailstack/testkit';
import { ImapFlow } from 'imapflow';
import { generate } from 'selfsigned';
import { createImapServer, type ImapServer, type ImapServerOptions } from '../src/index.ts';

export const ALICE = 'alice@example.test';
export const USERS = { [ALICE]: 'alice-pw', 'bob@example.test': 'bob pw' };

let cached: Promise<{ key: string; cert: string }> | undefined;

/** One self-signed certificate per test file. */
export function testCertificate(): Promise<{ key: string; cert: string }> {
  cached ??= generate([{ name: 'commonName', value: 'imap.example.test' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  }).then((p) => ({ key: p.private, cert: p.cert }));
  return cached;
}

/** A small message in wire form; `n` makes each one distinct. */
export function message(n: number, body = `Body of message ${n}.\r\n`): string {
  return `From: Sender <sender@example.test>\r\nTo: ${ALICE}\r\nSubject: message ${n}\r\nMessage-ID: <m${n}@example.test>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\r\n${body}`;
}

export interface Harness {
  /** The Maildir's data folder; only with `backend: 'maildir'`. */
  dir: TempDir | undefined;
  store: MailboxStore & { ensureUser(user: string): Promise<void> };
  directory: MemoryDirectory;
  server: ImapServer;
  port: number;
  deliver(text: string | Buffer, folder?: string): Promise<number>;
  client(tls?: 'starttls' | 'implicit'): Promise<ImapFlow>;
  close(): Promise<void>;
}

export interface HarnessOptions extends Partial<ImapServerOptions> {
  /**
   * The store under the server: the in-memory one (default) for tests about the protocol, a
   * Maildir in a temp folder for tests about the server's interplay with the disk.
   */
  backend?: 'memory' | 'maildir';
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { backend = 'memory', ...serverOptions } = options;
  const dir = backend === 'maildir' ? await tempDir('mailstack-imap-') : undefined;
  const directory = memoryDirectory({ users: USERS });
  const store = dir ? createMaildirStore({ root: dir.path }) : memoryMailboxStore();
  await store.ensureUser(ALICE);
  const server = createImapServer({
    directory,
    store,
    hostname: 'imap.example.test',
    allowCleartextAuthOnLoopback: true,
    authThrottle: createAuthThrottle({ maxFailures: 3, windowMs: 60_000, baseDelayMs: 1, maxDelayMs: 4 }),
    ...serverOptions,
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const clients: ImapFlow[] = [];
  return {
    dir,
    store,
    directory,
    server,
    port,
    async deliver(text, folder) {
      return (await store.deliver(ALICE, bufferBlob(text), folder ? { folder } : {})).uid;
    },
    async client(tls) {
      const c = new ImapFlow({
        host: '127.0.0.1',
        port,
        secure: tls === 'implicit',
        doSTARTTLS: tls === 'starttls',
        tls: { rejectUnauthorized: false },
        auth: { user: ALICE, pass: USERS[ALICE] },
        logger: false,
      });
      c.on('error', () => {});
      await c.connect();
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      await server.close();
      await dir?.cleanup();
    },
  };
}

/** A raw client logged in as Alice, `b SELECT INBOX` sent (its answer still to read). */
export async function selecting(port: number): Promise<LineClient> {
  const c = await lineClient(port);
  await c.read();
  await c.writeLine(`a LOGIN ${ALICE} alice-pw`);
  await c.readUntil(/^a OK/);
  await c.writeLine('b SELECT INBOX');
  return c;
}
