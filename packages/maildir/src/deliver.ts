/**
 * Durable write of one message into a Maildir folder: tmp/ → fsync → link into new/ (or
 * cur/ with flags) → fsync the directory. Nothing partial is ever visible in new/ or cur/;
 * on any error the tmp file is removed.
 */
import { constants } from 'node:fs';
import { link, open, rename, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { asNoSpace } from '@mailstack/core';
import { ToLf } from './crlf.ts';
import { fileName, uniqueBaseName, withSizes } from './filename.ts';
import { writeAll } from './write-all.ts';

export interface WrittenMessage {
  base: string;
  /** 'new' or 'cur'. */
  sub: 'new' | 'cur';
  name: string;
  size: number;
  wireSize: number;
  internalDate: number;
}

export interface WriteOptions {
  host: string;
  /** Letters for the `:2,` suffix; when given the message goes to cur/ (unless `keepNew`). */
  letters?: string;
  /** Publish into new/ even with letters (the name carries them), so it stays claimable as recent. */
  keepNew?: boolean;
  internalDate?: Date;
  /** Runs after the data is durable in tmp/ and before it becomes visible; may throw. */
  beforePublish?: (size: number, wireSize: number) => Promise<void>;
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function writeMessage(
  folderDir: string,
  source: Readable,
  opts: WriteOptions,
): Promise<WrittenMessage> {
  const tmpName = uniqueBaseName(opts.host);
  const tmpPath = join(folderDir, 'tmp', tmpName);
  const fh = await open(tmpPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  let published = false;
  try {
    const toLf = new ToLf();
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes > 0) await writeAll(fh, pending.length === 1 ? pending[0]! : Buffer.concat(pending));
      pending = [];
      pendingBytes = 0;
    };
    for await (const chunk of source) {
      const out = toLf.convert(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
      pending.push(out);
      pendingBytes += out.length;
      if (pendingBytes >= 256 * 1024) await flush();
    }
    pending.push(toLf.finish());
    pendingBytes += 1;
    await flush();
    await fh.sync();
    const st = await fh.stat();
    await fh.close();
    await opts.beforePublish?.(toLf.size, toLf.wireSize);
    let internalDate = st.mtimeMs;
    if (opts.internalDate) {
      await utimes(tmpPath, opts.internalDate, opts.internalDate);
      internalDate = opts.internalDate.getTime();
    }
    const base = withSizes(tmpName, toLf.size, toLf.wireSize);
    const sub = opts.letters === undefined || opts.keepNew ? 'new' : 'cur';
    const name = opts.letters === undefined ? base : fileName(base, opts.letters);
    const target = join(folderDir, sub, name);
    try {
      // link() never replaces an existing file, unlike rename().
      await link(tmpPath, target);
      published = true;
      // Published: the tmp name is only a leftover now, whoever removes it.
      await unlink(tmpPath).catch(() => {});
    } catch (err) {
      if (published) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw err;
      await rename(tmpPath, target);
      published = true;
    }
    await fsyncDir(join(folderDir, sub));
    return {
      base,
      sub,
      name,
      size: toLf.size,
      wireSize: toLf.wireSize,
      internalDate: Math.floor(internalDate),
    };
  } catch (err) {
    await fh.close().catch(() => {});
    if (!published) await unlink(tmpPath).catch(() => {});
    throw asNoSpace(err);
  }
}

/**
 * Writes and publishes a message, then numbers it with `number` (the uidlist append). When
 * numbering fails (a full disk refuses the uidlist line too) the published file is taken
 * back, so a message whose delivery was refused never turns up later with a UID and a
 * retrying sender's copy is the only one.
 */
export async function storeMessage(
  folderDir: string,
  source: Readable,
  opts: WriteOptions,
  number: (base: string) => Promise<number>,
): Promise<WrittenMessage & { uid: number }> {
  const written = await writeMessage(folderDir, source, opts);
  try {
    return { ...written, uid: await number(written.base) };
  } catch (err) {
    await unlink(join(folderDir, written.sub, written.name)).catch(() => {});
    await fsyncDir(join(folderDir, written.sub)).catch(() => {});
    throw asNoSpace(err);
  }
}
