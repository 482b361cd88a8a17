/**
 * Line-end conversion between the wire form (CRLF) and the on-disk form (LF, as Dovecot
 * stores Maildir files). Reading converts only bare LFs, so a file someone wrote with CRLF
 * reads back unchanged instead of with doubled CRs.
 */
import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;

/** CRLF → LF; counts the stored bytes and the lines so the wire size is known at the end. */
export class ToLf extends Transform {
  /** Bytes written out (physical size). */
  size = 0;
  /** Bytes the message has in wire form. */
  wireSize = 0;
  private pendingCr = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    cb(null, this.convert(chunk));
  }

  override _flush(cb: TransformCallback): void {
    const tail = this.finish();
    cb(null, tail.length > 0 ? tail : undefined);
  }

  /** Converts one chunk (state carries a CR split across chunks). */
  convert(chunk: Buffer): Buffer {
    const out = Buffer.allocUnsafe(chunk.length + 1);
    let o = 0;
    let i = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (chunk[0] !== LF) {
        out[o++] = CR;
        this.wireSize++;
      }
    }
    for (; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === CR) {
        if (i + 1 === chunk.length) {
          this.pendingCr = true;
          continue;
        }
        if (chunk[i + 1] === LF) continue;
        out[o++] = b;
        this.wireSize++;
      } else if (b === LF) {
        out[o++] = b;
        this.wireSize += 2;
      } else {
        out[o++] = b;
        this.wireSize++;
      }
    }
    this.size += o;
    return out.subarray(0, o);
  }

  /** What is left at the end of input: a final lone CR. */
  finish(): Buffer {
    if (!this.pendingCr) return Buffer.alloc(0);
    this.pendingCr = false;
    this.size++;
    this.wireSize++;
    return Buffer.from([CR]);
  }
}

/** Stored form → wire form (bare LF → CRLF), optionally only the wire bytes [start, end). */
export class ToCrlf extends Transform {
  private prev = 0;
  private pos = 0;
  private readonly rangeStart: number;
  private readonly rangeEnd: number;

  constructor(range?: { start: number; end?: number }) {
    super();
    this.rangeStart = range?.start ?? 0;
    this.rangeEnd = range?.end ?? Number.POSITIVE_INFINITY;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.pos >= this.rangeEnd) {
      cb();
      return;
    }
    const out = lfToCrlf(chunk, this.prev);
    this.prev = chunk.length > 0 ? chunk[chunk.length - 1]! : this.prev;
    const from = this.pos;
    this.pos += out.length;
    const s = Math.max(this.rangeStart - from, 0);
    const e = Math.min(this.rangeEnd - from, out.length);
    if (e > s) this.push(s === 0 && e === out.length ? out : out.subarray(s, e));
    if (this.pos >= this.rangeEnd) {
      // Nothing more is wanted: end the output; the caller destroys the source.
      this.push(null);
    }
    cb();
  }
}

/** Wire size of stored bytes (for files that carry no W= field). */
export function wireSizeOf(stored: Buffer): number {
  return stored.length + bareLfPositions(stored, 0).length;
}

/** Offsets of the LFs in `chunk` not preceded by CR; `prev` is the byte before the chunk. */
function bareLfPositions(chunk: Buffer, prev: number): number[] {
  const bare: number[] = [];
  // indexOf runs in native code: a per-byte JS loop here cost most of a RETR's CPU.
  for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) {
    if ((i === 0 ? prev : chunk[i - 1]) !== CR) bare.push(i);
  }
  return bare;
}

/** Bare LF → CRLF over one chunk of the stored form; `prev` is the byte before the chunk. */
export function lfToCrlf(chunk: Buffer, prev: number): Buffer {
  const bare = bareLfPositions(chunk, prev);
  if (bare.length === 0) return chunk;
  const out = Buffer.allocUnsafe(chunk.length + bare.length);
  let from = 0;
  let o = 0;
  for (const at of bare) {
    o += chunk.copy(out, o, from, at);
    out[o++] = CR;
    from = at;
  }
  chunk.copy(out, o, from);
  return out;
}
