import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Envelope, MessageBlob, QueueId } from '@mailstack/core';
import { type DirSync, writeNewFileSynced, writeStream } from './durable-fs.ts';
import { tempTag } from './entry-lock.ts';
import { formatMeta } from './meta-file.ts';
import { newRecord, type SpoolRecord } from './record.ts';

export interface EntryWriterDirs {
  queueDir: string;
  tmpDir: string;
  dirSync: DirSync;
}

/**
 * Writes a new queue entry so that it exists whole or not at all, and only resolves once it is
 * durable: body and meta written in tmp/ and fdatasync'ed (both at once: ext4 commits the two in
 * one journal transaction), the body renamed into queue/, then the meta (the commit point: a meta
 * in queue/ always has its body), then one fsync of queue/ (group-committed). On failure it takes
 * back what it can, meta first so a meta never outlives its body.
 */
export async function writeEntry(
  dirs: EntryWriterDirs,
  id: QueueId,
  envelope: Envelope,
  body: Readable | MessageBlob,
  maxBytes: number,
  now: () => number,
): Promise<SpoolRecord> {
  const tag = tempTag();
  const bodyTemp = join(dirs.tmpDir, `${id}.eml.${tag}`);
  const metaTemp = join(dirs.tmpDir, `${id}.meta.${tag}`);
  const bodyPath = join(dirs.queueDir, `${id}.eml`);
  const metaPath = join(dirs.queueDir, `${id}.meta`);
  let bodyMoved = false;
  let metaMoved = false;
  try {
    // A stream has pipe(); a blob has open() (so does fs.ReadStream, hence this order).
    const stream =
      typeof (body as Readable).pipe === 'function' ? (body as Readable) : (body as MessageBlob).open();
    const bodyFile = await open(bodyTemp, 'wx', 0o600);
    let rec: SpoolRecord;
    try {
      const size = await writeStream(bodyFile, stream, maxBytes);
      rec = newRecord(id, envelope, size, now());
      await Promise.all([bodyFile.datasync(), writeNewFileSynced(metaTemp, formatMeta(rec))]);
    } finally {
      await bodyFile.close();
    }
    await rename(bodyTemp, bodyPath);
    bodyMoved = true;
    await rename(metaTemp, metaPath);
    metaMoved = true;
    await dirs.dirSync.sync();
    return rec;
  } catch (err) {
    await unlink(bodyTemp).catch(() => {});
    await unlink(metaTemp).catch(() => {});
    // The client hears a 4xx and will send again, so withdraw the entry if it got published.
    // (Should another worker hold it already, it stays: the duplicate window of README.)
    const metaGone =
      !metaMoved ||
      (await unlink(metaPath).then(
        () => true,
        () => false,
      ));
    if (bodyMoved && metaGone) await unlink(bodyPath).catch(() => {});
    throw err;
  }
}
