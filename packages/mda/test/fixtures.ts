import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Directory, readAll } from '@mailstack/core';
import { hashPassword } from '@mailstack/directory';
import { createMaildirStore, type MaildirStore } from '@mailstack/maildir';
import type { SmtpListener, SmtpListenerOptions } from '@mailstack/smtp';
import { memoryDirectory, type TempDir, tempDir } from '@mailstack/testkit';
import { createLmtpServer } from '../src/index.ts';

/** Users every MDA test knows; `tiny@` cannot take any real message, `onebox@` holds one. */
export const USERS = {
  'alice@example.test': 'pw',
  'bob@example.test': 'pw',
  'tiny@example.test': { password: 'pw', quotaBytes: 50 },
  'onebox@example.test': { password: 'pw', quotaMessages: 1 },
};
export const ALIASES = {
  'team@example.test': ['alice@example.test', 'bob@example.test'],
  'mixed@example.test': ['alice@example.test', 'tiny@example.test'],
  'away@example.test': ['someone@elsewhere.test'],
};

export function storeFor(root: string, directory: Directory): MaildirStore {
  return createMaildirStore({
    root,
    quota: async (user) => {
      const a = await directory.account(user);
      return { limitBytes: a?.quotaBytes, limitMessages: a?.quotaMessages };
    },
  });
}

export interface Harness {
  dir: TempDir;
  directory: Directory;
  store: MaildirStore;
  server: SmtpListener;
  port: number;
  /** Full texts of the messages in a user's folder, in UID order. */
  messages(user: string, folder?: string): Promise<string[]>;
  close(): Promise<void>;
}

/** An LMTP server over a temp Maildir and an in-memory directory, on an ephemeral port. */
export async function startHarness(
  options: { detailFolder?: boolean; listener?: Partial<SmtpListenerOptions> } = {},
): Promise<Harness> {
  const dir = await tempDir('mailstack-mda-');
  const directory = memoryDirectory({ users: USERS, aliases: ALIASES });
  const store = storeFor(dir.path, directory);
  const server = createLmtpServer({
    directory,
    store,
    closeTimeoutMs: 1000,
    ...(options.detailFolder ? { detailFolder: true } : {}),
    ...options.listener,
  });
  const address = await server.listen(0, '127.0.0.1');
  if (!('port' in address)) throw new Error('expected a TCP address');
  return {
    dir,
    directory,
    store,
    server,
    port: address.port,
    messages: (user, folder = 'INBOX') => readMessages(store, user, folder),
    async close() {
      await server.close();
      await dir.cleanup();
    },
  };
}

export async function readMessages(store: MaildirStore, user: string, folder = 'INBOX'): Promise<string[]> {
  const f = await store.openFolder(user, folder).catch(() => null);
  if (!f) return [];
  await f.refresh();
  const out: string[] = [];
  for (const m of f.messages()) out.push((await readAll(f.read(m.uid))).toString('utf8'));
  await f.close();
  return out;
}

/** Every file below `root`, relative, sorted: to prove nothing was written where it should not be. */
export async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

/** A directory.json for the child-process entries (LDA, main.ts), with the users above. */
export async function writeDirectoryFile(path: string): Promise<void> {
  const users: Record<string, { password: string; quotaBytes?: number; quotaMessages?: number }> = {};
  const hash = await hashPassword('pw');
  for (const [address, u] of Object.entries(USERS)) {
    users[address] = typeof u === 'string' ? { password: hash } : { ...u, password: hash };
  }
  const data = { domains: ['example.test'], users, aliases: ALIASES };
  await writeFile(path, `${JSON.stringify(data, null, 2)}\n`);
}

export function message(options: { id: string; subject?: string; body?: string; eol?: string }): string {
  const eol = options.eol ?? '\r\n';
  return [
    'From: Sender <sender@remote.test>',
    'To: alice@example.test',
    `Subject: ${options.subject ?? 'test'}`,
    `Message-ID: <${options.id}@remote.test>`,
    '',
    options.body ?? `token ${options.id}`,
    '',
  ].join(eol);
}
