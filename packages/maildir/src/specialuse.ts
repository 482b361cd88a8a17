/**
 * RFC 6154 special-use attributes of a user's folders, in `mailstack-specialuse` at the
 * Maildir root (`<attribute>\t<name>` lines; Dovecot keeps these in its config instead).
 * The five default folders carry their attribute even when the file is missing.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpecialUse } from '@mailstack/core';

export const SPECIAL_USE_FILE = 'mailstack-specialuse';

export const DEFAULT_SPECIAL_FOLDERS: Array<[string, SpecialUse]> = [
  ['Sent', '\\Sent'],
  ['Drafts', '\\Drafts'],
  ['Trash', '\\Trash'],
  ['Junk', '\\Junk'],
  ['Archive', '\\Archive'],
];

const VALID = new Set<string>(['\\Sent', '\\Drafts', '\\Trash', '\\Junk', '\\Archive', '\\All', '\\Flagged']);

export async function readSpecialUse(maildir: string): Promise<Map<string, SpecialUse>> {
  const map = new Map<string, SpecialUse>(DEFAULT_SPECIAL_FOLDERS);
  try {
    const text = await readFile(join(maildir, SPECIAL_USE_FILE), 'utf8');
    map.clear();
    for (const line of text.split('\n')) {
      const [attr, name] = line.split('\t');
      if (attr && name && VALID.has(attr)) map.set(name, attr as SpecialUse);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return map;
}

export async function writeSpecialUse(maildir: string, map: Map<string, SpecialUse>): Promise<void> {
  const path = join(maildir, SPECIAL_USE_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, [...map].map(([name, attr]) => `${attr}\t${name}\n`).join(''), { flush: true });
  await rename(tmp, path);
}
