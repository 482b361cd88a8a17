import { bufferBlob, type MailboxStore } from '@mailstack/core';
import { createAuthThrottle } from '@mailstack/directory';
import { createMaildirStore } from '@mailstack/maildir';
import * as testkit from '@mailstack/testkit';
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
  /** The Maildir's data folder; only with `backend: 'maildir'`. */
  dir: testkit.TempDir | undefined;
  store: MailboxStore;
  directory: testkit.MemoryDirectory;
  server: Pop3Server;
  port: number;
  deliver(text: string | Buffer, user?: string): Promise<number>;
  /**
   * Stops the server and starts a fresh one over the same data: with a Maildir also a fresh
   * store object (as after a process restart), in memory the same store.
   */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions extends Partial<Omit<Pop3ServerOptions, 'directory' | 'store'>> {
  /**
   * The store under the server: the in-memory one (default) for tests about the protocol, a
   * Maildir in a temp folder for tests about what survives a restart on disk.
   */
  backend?: 'memory' | 'maildir';
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { backend = 'memory', ...serverOptions } = options;
  const dir = backend === 'maildir' ? await testkit.tempDir('mailstack-pop3-') : undefined;
  const directory = testkit.memoryDirectory({ users: USERS });
  const memory = dir ? undefined : testkit.memoryMailboxStore();
  const make = async () => {
    const store = dir ? createMaildirStore({ root: dir.path }) : memory!;
    const server = createPop3Server({
      directory,
      store,
      hostname: 'pop.example.test',
      allowCleartextAuthOnLoopback: true,
      authThrottle: createAuthThrottle({ maxFailures: 3, windowMs: 60_000, baseDelayMs: 1, maxDelayMs: 4 }),
      ...serverOptions,
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
      await dir?.cleanup();
    },
  };
  return h;
}
