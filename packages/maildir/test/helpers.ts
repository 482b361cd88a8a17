import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bufferBlob, type MessageBlob, readAll } from '@mailstack/core';
import { createMaildirStore, type MaildirStore, type MaildirStoreOptions } from '../src/index.ts';

export const USER = 'alice@example.org';

export async function tempStore(
  extra: Partial<MaildirStoreOptions> = {},
): Promise<{ store: MaildirStore; root: string; maildir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'maildir-test-'));
  const store = createMaildirStore({ root, hostname: 'test.host', ...extra });
  return {
    store,
    root,
    maildir: join(root, 'example.org', 'alice', 'Maildir'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export function message(subject: string, body = 'Hello\r\n'): MessageBlob {
  return bufferBlob(`From: bob@example.net\r\nTo: alice@example.org\r\nSubject: ${subject}\r\n\r\n${body}`);
}

export async function text(stream: NodeJS.ReadableStream): Promise<string> {
  return (await readAll(stream)).toString('utf8');
}

/** Polls `cond` until true or the bound passes (no fixed sleeps). */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
