/**
 * The `subscriptions` file at the Maildir root in Dovecot 2.3's version 2 format: the
 * header `V\t2\n\n`, then one mailbox per line with hierarchy levels separated by TAB and
 * each level tab-escaped (\001 → \0011, TAB → \001t, CR → \001r, LF → \001n). Levels are
 * storage names (modified UTF-7), as in the folder directories. Version 1 files (one
 * '.'-separated name per line) are read too. Updates are written under the file's dot-lock.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withDotLock } from './lock.ts';
import { decodeMailboxName, encodeMailboxName, normalizeFolderName, SEPARATOR } from './names.ts';

export const SUBSCRIPTIONS_FILE = 'subscriptions';
const V2_HEADER = 'V\t2\n\n';

function tabEscape(s: string): string {
  return s.replace(
    /[\u0001\t\r\n]/g,
    (c) => ({ '\u0001': '\u00011', '\t': '\u0001t', '\r': '\u0001r', '\n': '\u0001n' })[c]!,
  );
}

function tabUnescape(s: string): string {
  return s.replace(/\u0001(.)/g, (_, c: string) => ({ '1': '\u0001', t: '\t', r: '\r', n: '\n' })[c] ?? c);
}

function nameToLine(name: string): string {
  const n = normalizeFolderName(name);
  if (n === 'INBOX') return 'INBOX';
  return n
    .split(SEPARATOR)
    .map((p) => tabEscape(encodeMailboxName(p)))
    .join('\t');
}

function lineToName(line: string, version: number): string | null {
  try {
    const parts = version >= 2 ? line.split('\t').map(tabUnescape) : line.split('.');
    return normalizeFolderName(parts.map(decodeMailboxName).join(SEPARATOR));
  } catch {
    return null;
  }
}

export function parseSubscriptions(text: string): string[] {
  let version = 1;
  let body = text;
  if (text.startsWith(V2_HEADER)) {
    version = 2;
    body = text.slice(V2_HEADER.length);
  }
  const out: string[] = [];
  for (const line of body.split('\n')) {
    if (line === '') continue;
    const name = lineToName(line, version);
    if (name !== null && !out.includes(name)) out.push(name);
  }
  return out;
}

export function formatSubscriptions(names: string[]): string {
  return V2_HEADER + names.map((n) => `${nameToLine(n)}\n`).join('');
}

export async function readSubscriptions(maildir: string): Promise<string[]> {
  try {
    return parseSubscriptions(await readFile(join(maildir, SUBSCRIPTIONS_FILE), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Applies `edit` to the subscribed names and writes the file when it changed. */
export async function updateSubscriptions(
  maildir: string,
  edit: (names: string[]) => string[],
): Promise<void> {
  const path = join(maildir, SUBSCRIPTIONS_FILE);
  await withDotLock(path, async (lock) => {
    const before = await readSubscriptions(maildir);
    const after = edit([...before]);
    if (after.join('\n') === before.join('\n')) return;
    await lock.replaceTarget(formatSubscriptions(after));
  });
}
