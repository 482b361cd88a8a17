import { bufferBlob, type MailboxStore } from '@mailstack/core';
import { createAuthThrottle } from '@mailstack/directory';
import { createMaildirStore } from '@mailstack/maildir';
import { type MemoryDirectory, memoryDirectory, type TempDir, tempDir } from '@mailstack/testkit';
import { generate } from 'selfsigned';
import { createPop3Server, type Pop3Server, type Pop3ServerOptions } from '../src/index.ts';

export const USERS = { 'alice@example.test': 'alice-pw', 'bob@example.test': 'bob pw with spaces' };
export const ALICE = 'alice@example.test';

let cached: Promise<{ key: string; cert: string }> | undefined;

/** One self-signed certificate per test file. */
export function testCertificate(): Promise<{ key: string; cert: string }> {
  cached ??= generate([{ name: 'commonName', value: 'pop.example.test' }], {
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

/** A small message in wire form; `n` makes each one distinct. */
export function message(n: number, body = `Body of message ${n}.\r\n`): string {
  return `From: sender@example.test\r\nTo: ${ALICE}\r\nSubject: message ${n}\r\nMessage-ID: <m${n}@example.test>\r\n\r\n${body}`;
}

export interface Harness {
  dir: TempDir;
  store: MailboxStore;
  directory: MemoryDirectory;
  server: Pop3Server;
  port: number;
  deliver(text: string | Buffer, user?: string): Promise<number>;
  /** Stops the server and starts a fresh one (and a fresh store object) over the same data. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export type HarnessOptions = Partial<Omit<Pop3ServerOptions, 'directory' | 'store'>>;

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = await tempDir('mailstack-pop3-');
  const directory = memoryDirectory({ users: USERS });
  const make = async () => {
    const store = createMaildirStore({ root: dir.path });
    const server = createPop3Server({
      directory,
      store,
      hostname: 'pop.example.test',
      allowCleartextAuthOnLoopback: true,
      authThrottle: createAuthThrottle({ maxFailures: 3, windowMs: 60_000, baseDelayMs: 1, maxDelayMs: 4 }),
      ...options,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    return { store, server, port };
  };
  let current = await make();
  const h: Harness = {
    dir,
    directory,
    get store() {
      return current.store;
    },
    get server() {
      return current.server;
    },
    get port() {
      return current.port;
    },
    async deliver(text, user = ALICE) {
      return (await current.store.deliver(user, bufferBlob(text))).uid;
    },
    async restart() {
      await current.server.close();
      current = await make();
    },
    async close() {
      await current.server.close();
      await dir.cleanup();
    },
  };
  return h;
}
