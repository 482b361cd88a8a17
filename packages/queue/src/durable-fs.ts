import { type FileHandle, open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { asNoSpace, SmtpError } from '@mailstack/core';

/** Writes a new file (it must not exist) and forces its bytes to disk before resolving. */
export async function writeNewFileSynced(path: string, data: string | Buffer): Promise<void> {
  const file = await open(path, 'wx', 0o600);
  try {
    await file.writeFile(data);
    await file.datasync();
  } finally {
    await file.close();
  }
}

/** fsync on a directory: makes the names created, renamed or removed in it durable. */
export async function syncDir(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * Group commit of directory fsyncs. Every caller needs "an fsync of the directory that started
 * after my rename". One fsync in flight serves nobody who arrived after it began, so callers that
 * arrive meanwhile join the *next* fsync, which starts as soon as the current one ends: under load
 * N concurrent enqueues share one fsync instead of paying N, and no caller is answered before
 * its own rename is on disk. With `enabled: false` every caller pays its own fsync (the bench's
 * baseline).
 */
export class DirSync {
  private readonly dir: string;
  private readonly enabled: boolean;
  private readonly fsync: (dir: string) => Promise<void>;
  private inFlight = false;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** fsyncs actually issued; the bench reports it. */
  syncs = 0;

  constructor(dir: string, enabled = true, fsync: (dir: string) => Promise<void> = syncDir) {
    this.dir = dir;
    this.enabled = enabled;
    this.fsync = fsync;
  }

  sync(): Promise<void> {
    if (!this.enabled) {
      this.syncs++;
      return this.fsync(this.dir);
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.inFlight) this.run();
    });
  }

  private run(): void {
    const batch = this.waiters;
    this.waiters = [];
    this.inFlight = true;
    this.syncs++;
    this.fsync(this.dir).then(
      () => this.finish(batch, null),
      (err: unknown) => this.finish(batch, err ?? new Error('directory fsync failed')),
    );
  }

  private finish(batch: { resolve: () => void; reject: (e: unknown) => void }[], err: unknown): void {
    this.inFlight = false;
    for (const w of batch) err === null ? w.resolve() : w.reject(err);
    if (this.waiters.length > 0) this.run();
  }
}

/**
 * Streams a body into an open file, refusing it past `maxBytes` (552 5.3.4, RFC 5321 4.5.3.1.10)
 * once the stream has ended.
 * Returns the size written. The caller syncs, so it can sync this file and another at once.
 */
export function writeStream(file: FileHandle, body: Readable, maxBytes: number): Promise<number> {
  return copyBody(body, maxBytes, async (buf) => {
    let off = 0;
    while (off < buf.length) off += (await file.write(buf, off, buf.length - off)).bytesWritten;
  });
}

/**
 * Reads a message body and hands it to `write` in pieces of about 256 KiB (SMTP DATA arrives in
 * socket-sized chunks; fewer, larger writes), one at a time, so memory stays at about one piece.
 * Past `maxBytes` the rest is read and dropped, then the body is refused with 552 5.3.4: an
 * SMTP server must take the rest of DATA before it may answer, and destroying its stream would
 * cut the connection. Returns the size. Shared by every spool backend.
 */
export async function copyBody(
  body: Readable,
  maxBytes: number,
  write: (piece: Buffer) => Promise<void>,
): Promise<number> {
  let size = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const buf = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await write(buf);
  };
  let tooBig = false;
  for await (const chunk of body) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    size += buf.length;
    if (tooBig || size > maxBytes) {
      tooBig = true;
      continue;
    }
    pending.push(buf);
    pendingBytes += buf.length;
    if (pendingBytes >= 256 * 1024) await flush();
  }
  if (tooBig) throw new SmtpError(552, '5.3.4', 'Message too big for the queue');
  await flush();
  return size;
}

/** Turns disk-full and quota errors into core's NoSpaceError (452 4.3.1 to an SMTP client); rethrows the rest. */
export function storageError(err: unknown): unknown {
  return asNoSpace(err);
}
