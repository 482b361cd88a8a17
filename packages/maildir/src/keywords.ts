/**
 * The per-folder `dovecot-keywords` file: `<index> <name>` lines, index 0 is letter 'a' in
 * the Maildir file name. Maildir has 26 letters, so a folder holds at most 26 keywords.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidNameError, LimitError } from '@mailstack/core';
import { withDotLock } from './lock.ts';

export const KEYWORDS_FILE = 'dovecot-keywords';
export const MAX_KEYWORDS = 26;

export function parseKeywords(text: string): Array<string | undefined> {
  const table: Array<string | undefined> = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+) (.+)$/.exec(line);
    if (!m) continue;
    const idx = Number(m[1]);
    if (idx < MAX_KEYWORDS) table[idx] = m[2];
  }
  return table;
}

export function formatKeywords(table: Array<string | undefined>): string {
  return table.map((name, i) => (name === undefined ? '' : `${i} ${name}\n`)).join('');
}

/** IMAP flag-keyword: an atom without '\' (RFC 3501 flag-keyword). */
export function validateKeyword(name: string): void {
  if (!/^[^\s\\(){%*"\]\u0000-\u001f\u007f]{1,128}$/.test(name))
    throw new InvalidNameError(`Invalid keyword: ${JSON.stringify(name)}`);
}

export class KeywordTable {
  private table: Array<string | undefined> = [];
  private stamp = '';
  private readonly path: string;

  constructor(dir: string) {
    this.path = join(dir, KEYWORDS_FILE);
  }

  /** Re-reads the file when it changed (cheap stat otherwise). */
  async load(): Promise<void> {
    try {
      const st = await stat(this.path);
      const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
      if (stamp === this.stamp) return;
      this.table = parseKeywords(await readFile(this.path, 'utf8'));
      this.stamp = stamp;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.table = [];
      this.stamp = '';
    }
  }

  keywordAt = (index: number): string | undefined => this.table[index];

  /** Every keyword the file defines, in letter order. */
  all(): string[] {
    return this.table.filter((k): k is string => k !== undefined);
  }

  indexOf(name: string): number {
    const lower = name.toLowerCase();
    return this.table.findIndex((k) => k !== undefined && k.toLowerCase() === lower);
  }

  /** Letters for the keywords, registering unknown ones in the file under its dot-lock. */
  async lettersFor(names: string[], register: boolean): Promise<string> {
    const missing = names.filter((n) => this.indexOf(n) < 0);
    if (missing.length > 0 && register) {
      for (const n of missing) validateKeyword(n);
      await withDotLock(this.path, async (lock) => {
        this.stamp = '';
        await this.load();
        const table = [...this.table];
        for (const n of missing) {
          const lower = n.toLowerCase();
          if (table.some((k) => k?.toLowerCase() === lower)) continue;
          // findIndex, not indexOf: the table may be sparse and indexOf skips holes.
          // biome-ignore lint/complexity/useIndexOf: holes must count as free slots
          let free = table.findIndex((k) => k === undefined);
          if (free < 0) free = table.length;
          if (free >= MAX_KEYWORDS)
            throw new LimitError('Too many keywords in this folder (Maildir allows 26)');
          table[free] = n;
        }
        await lock.replaceTarget(formatKeywords(table));
        this.table = table;
        this.stamp = '';
      });
    }
    let letters = '';
    for (const n of names) {
      const i = this.indexOf(n);
      if (i >= 0) letters += String.fromCharCode(97 + i);
    }
    return letters;
  }
}
