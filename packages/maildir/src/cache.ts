/**
 * The folder's metadata cache, so listing never opens a message file.
 * `mailstack-cache`: `<base>\t<wire size>\t<internal date ms>\n` per message.
 * `mailstack-summaries`: `<base>\t<MessageSummary JSON>\n`, read only when a summary is asked.
 * Both are append-only (O_APPEND); the last entry for a base wins; a torn last line (no LF,
 * bad JSON) is ignored. Compaction rewrites via temp+rename. Metadata entries are fsynced;
 * summaries are not, and are written in batches: they are rebuilt from the message file
 * whenever one is missing, and a first FETCH of a large folder writes one per message, so a
 * sync and an open per message cost more than the whole parse (bench/imap.ts).
 */
import { constants } from 'node:fs';
import { open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageSummary } from '@mailstack/core';
import { skipWhenFull, writeAll } from './write-all.ts';

export const CACHE_FILE = 'mailstack-cache';
export const SUMMARY_FILE = 'mailstack-summaries';

export interface CachedMeta {
  wireSize: number;
  internalDate: number;
}

async function appendLines(path: string, text: string, sync = true): Promise<void> {
  const fh = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
  try {
    await writeAll(fh, text);
    if (sync) await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Reads an append-only file from `offset`; returns the complete lines and the new offset. */
async function readTail(path: string, state: { id: string; offset: number }): Promise<string[] | null> {
  let st: import('node:fs').Stats;
  try {
    st = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const id = `${st.ino}:${st.birthtimeMs}`;
  let from = state.offset;
  let replaced = false;
  if (id !== state.id || st.size < state.offset) {
    from = 0;
    replaced = true;
  }
  if (!replaced && st.size === from) return [];
  const fh = await open(path, 'r');
  try {
    const len = st.size - from;
    const buf = Buffer.allocUnsafe(len);
    const { bytesRead } = await fh.read(buf, 0, len, from);
    const end = buf.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
    state.id = id;
    state.offset = from + end;
    const lines = end === 0 ? [] : buf.toString('utf8', 0, end - 1).split('\n');
    if (replaced) lines.unshift('\u0000reset');
    return lines;
  } finally {
    await fh.close();
  }
}

function parseSummary(raw: string): MessageSummary | undefined {
  try {
    return JSON.parse(raw) as MessageSummary;
  } catch {
    return undefined;
  }
}

export class MetaCache {
  readonly path: string;
  readonly summaryPath: string;
  readonly meta = new Map<string, CachedMeta>();
  private readonly metaState = { id: '', offset: 0 };
  private summaries: Map<string, string> | null = null;
  private readonly summaryState = { id: '', offset: 0 };
  /** Summary lines not yet written, and the write in progress (one at a time, in order). */
  private pendingSummaries = '';
  private summaryWrite: Promise<void> | null = null;

  constructor(dir: string) {
    this.path = join(dir, CACHE_FILE);
    this.summaryPath = join(dir, SUMMARY_FILE);
  }

  async load(): Promise<void> {
    const lines = await readTail(this.path, this.metaState);
    if (!lines) return;
    for (const line of lines) {
      if (line === '\u0000reset') {
        this.meta.clear();
        continue;
      }
      // Hand-parsed: this runs once per message on a cold open.
      const t1 = line.indexOf('\t');
      const t2 = t1 < 0 ? -1 : line.indexOf('\t', t1 + 1);
      if (t2 < 0) continue;
      const wireSize = +line.slice(t1 + 1, t2);
      const internalDate = +line.slice(t2 + 1);
      if (Number.isSafeInteger(wireSize) && Number.isFinite(internalDate))
        this.meta.set(line.slice(0, t1), { wireSize, internalDate });
    }
  }

  async put(entries: Array<[string, CachedMeta]>): Promise<void> {
    if (entries.length === 0) return;
    let text = '';
    for (const [base, m] of entries) {
      this.meta.set(base, m);
      text += `${base}\t${m.wireSize}\t${m.internalDate}\n`;
    }
    // Skipped on a full disk: known in memory, and recomputed from the message file by the
    // next process that misses it. (A torn line fails to parse and is ignored.)
    await appendLines(this.path, text).catch(skipWhenFull);
  }

  async getSummary(base: string): Promise<MessageSummary | undefined> {
    if (!this.summaries) this.summaries = new Map();
    // A base names one immutable message file, so a summary once known never changes: only a
    // miss looks at what other processes appended since (a stat per message cost more than
    // the lookup on a first FETCH of a large folder).
    const known = this.summaries.get(base);
    if (known !== undefined) return parseSummary(known);
    const lines = await readTail(this.summaryPath, this.summaryState);
    for (const line of lines ?? []) {
      if (line === '\u0000reset') {
        this.summaries.clear();
        continue;
      }
      const tab = line.indexOf('\t');
      if (tab > 0) this.summaries.set(line.slice(0, tab), line.slice(tab + 1));
    }
    const raw = this.summaries.get(base);
    return raw === undefined ? undefined : parseSummary(raw);
  }

  async putSummary(base: string, summary: MessageSummary): Promise<void> {
    const json = JSON.stringify(summary);
    this.summaries?.set(base, json);
    this.pendingSummaries += `${base}\t${json}\n`;
    // Lines put while a write runs go out together in the next one.
    this.summaryWrite ??= this.writeSummaries();
    await this.summaryWrite;
  }

  private async writeSummaries(): Promise<void> {
    try {
      for (;;) {
        // Let the other puts of this turn join the batch.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const text = this.pendingSummaries;
        this.pendingSummaries = '';
        await appendLines(this.summaryPath, text, false).catch(skipWhenFull);
        // Checked and cleared in one synchronous step, so a later put always finds a writer.
        if (this.pendingSummaries === '') {
          this.summaryWrite = null;
          return;
        }
      }
    } catch (err) {
      this.summaryWrite = null;
      throw err;
    }
  }

  /** Keeps only entries for live bases: temp file, fsync, rename. */
  async compact(isLive: (base: string) => boolean): Promise<void> {
    await this.load();
    let text = '';
    for (const [base, m] of this.meta)
      if (isLive(base)) text += `${base}\t${m.wireSize}\t${m.internalDate}\n`;
    await replaceFile(this.path, text);
    this.metaState.id = '';
    this.meta.clear();
    await this.load();
    try {
      const all = await readFile(this.summaryPath, 'utf8');
      const kept = all
        .split('\n')
        .filter((l) => {
          const tab = l.indexOf('\t');
          return tab > 0 && isLive(l.slice(0, tab));
        })
        .map((l) => `${l}\n`)
        .join('');
      await replaceFile(this.summaryPath, kept);
      this.summaries = null;
      this.summaryState.id = '';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

async function replaceFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600, flush: true });
  await rename(tmp, path);
}
