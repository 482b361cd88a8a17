/**
 * Maildir++ quota: the `maildirsize` file at the Maildir root. First line is the limit
 * (`<bytes>S,<count>C`, `0S` when unlimited, as Dovecot writes it), then `<bytes> <count>`
 * lines, one appended per delivery or expunge. Sizes are physical (the S= field). The file
 * is recalculated from the folders when missing, unparsable, or grown past 5120 bytes.
 */
import { constants } from 'node:fs';
import { open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isNoSpace } from '@mailstack/core';
import { parseFileName } from './filename.ts';
import { writeAll } from './write-all.ts';

export const MAILDIRSIZE_FILE = 'maildirsize';
const RECALC_AT = 5120;

export interface QuotaLimits {
  limitBytes?: number;
  limitMessages?: number;
}

export interface QuotaUsage {
  bytes: number;
  count: number;
}

export function formatLimitLine(limits: QuotaLimits): string {
  const parts: string[] = [];
  if (limits.limitBytes || !limits.limitMessages) parts.push(`${limits.limitBytes ?? 0}S`);
  if (limits.limitMessages) parts.push(`${limits.limitMessages}C`);
  return parts.join(',');
}

/** Parses a maildirsize file; null when it must be recalculated. */
export function parseMaildirSize(text: string): QuotaUsage | null {
  if (text.length >= RECALC_AT) return null;
  const end = text.lastIndexOf('\n');
  if (end < 0) return null;
  const lines = text.slice(0, end).split('\n');
  if (lines.length < 2) return null;
  let bytes = 0;
  let count = 0;
  for (const line of lines.slice(1)) {
    const m = /^\s*(-?\d+)\s+(-?\d+)\s*$/.exec(line);
    if (!m) return null;
    bytes += Number(m[1]);
    count += Number(m[2]);
  }
  if (bytes < 0 || count < 0) return null;
  return { bytes, count };
}

async function sumDir(dir: string, total: QuotaUsage): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    let size = parseFileName(name).size;
    if (size === undefined) {
      try {
        size = (await stat(join(dir, name))).size;
      } catch {
        continue;
      }
    }
    total.bytes += size;
    total.count++;
  }
}

/** Sums every folder (INBOX and `.Name` dirs) under a Maildir root. */
export async function computeUsage(maildir: string): Promise<QuotaUsage> {
  const total: QuotaUsage = { bytes: 0, count: 0 };
  const dirs = [''];
  try {
    for (const e of await readdir(maildir, { withFileTypes: true }))
      if (e.isDirectory() && e.name.startsWith('.') && e.name !== '.' && e.name !== '..') dirs.push(e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return total;
    throw err;
  }
  for (const d of dirs) {
    await sumDir(join(maildir, d, 'new'), total);
    await sumDir(join(maildir, d, 'cur'), total);
  }
  return total;
}

export class MaildirSize {
  readonly path: string;
  private readonly maildir: string;
  constructor(maildir: string) {
    this.maildir = maildir;
    this.path = join(maildir, MAILDIRSIZE_FILE);
  }

  async usage(limits: QuotaLimits): Promise<QuotaUsage> {
    let text: string | null = null;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const parsed = text === null ? null : parseMaildirSize(text);
    const firstLine = text?.split('\n', 1)[0];
    if (parsed && firstLine === formatLimitLine(limits)) return parsed;
    return this.recalculate(limits);
  }

  async recalculate(limits: QuotaLimits): Promise<QuotaUsage> {
    const usage = await computeUsage(this.maildir);
    const tmp = `${this.path}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(tmp, `${formatLimitLine(limits)}\n${usage.bytes} ${usage.count}\n`, {
        mode: 0o600,
        flush: true,
      });
      await rename(tmp, this.path);
    } catch (err) {
      // A full disk: the sum is right, only not remembered; the next check sums again.
      await unlink(tmp).catch(() => {});
      if (!isNoSpace(err)) throw err;
    }
    return usage;
  }

  /**
   * Appends one change line; a missing file is left for the next recalculation. When the
   * line cannot be written (a full disk) the file is removed instead, so usage is summed
   * afresh next time rather than left wrong: the change itself (a delivery, an expunge) has
   * already happened and must not fail for its bookkeeping.
   */
  async add(bytes: number, count: number): Promise<void> {
    if (bytes === 0 && count === 0) return;
    let fh: import('node:fs/promises').FileHandle;
    try {
      fh = await open(this.path, constants.O_WRONLY | constants.O_APPEND);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      await writeAll(fh, `${bytes} ${count}\n`);
    } catch (err) {
      if (!isNoSpace(err)) throw err;
      await unlink(this.path).catch(() => {});
    } finally {
      await fh.close();
    }
  }
}
