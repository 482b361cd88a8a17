/**
 * Writes typed responses into a Writable (the session's socket) with backpressure: it awaits
 * 'drain' whenever write() says so, and streams body literals of a known length without
 * buffering the message.
 */
import type { Readable, Writable } from 'node:stream';
import type { Piece } from './encode.ts';
import { type SerializeOptions, serialize } from './serialize.ts';
import type { Response, StreamedLiteral } from './types.ts';

/**
 * A streamed literal ended before its declared length, or the output closed mid-response.
 * The client's framing is broken: the session must close the connection.
 */
export class ResponseStreamError extends Error {
  override readonly name = 'ResponseStreamError';
}

export class ResponseWriter {
  private readonly out: Writable;
  readonly options: SerializeOptions;
  /** The output is corked until the current tick ends. */
  private corked = false;

  constructor(out: Writable, options: SerializeOptions = {}) {
    this.out = out;
    this.options = options;
  }

  async write(response: Response): Promise<void> {
    for (const piece of serialize(response, this.options)) await this.piece(piece);
  }

  async writeAll(responses: Iterable<Response>): Promise<void> {
    for (const r of responses) await this.write(r);
  }

  private async piece(piece: Piece): Promise<void> {
    if (Buffer.isBuffer(piece)) await this.chunk(piece);
    else await this.literal(piece);
  }

  private async literal(lit: StreamedLiteral): Promise<void> {
    let sent = 0;
    try {
      for await (const data of lit.stream as Readable & AsyncIterable<Buffer | string>) {
        const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
        const room = lit.length - sent;
        if (room <= 0) break;
        const part = buf.length > room ? buf.subarray(0, room) : buf;
        sent += part.length;
        await this.chunk(part, false);
        // More bytes than announced are cut: the announced length is what the client reads.
        if (sent >= lit.length) break;
      }
    } finally {
      if (!lit.stream.destroyed) lit.stream.destroy();
    }
    if (sent < lit.length) {
      throw new ResponseStreamError(`Literal stream ended after ${sent} of ${lit.length} bytes`);
    }
  }

  /** `bundle`: cork until the tick ends; not for a literal's body, which streams on its own. */
  private chunk(buf: Buffer, bundle = true): Promise<void> {
    const out = this.out;
    if (out.destroyed || out.writableEnded) {
      return Promise.reject(new ResponseStreamError('Output closed'));
    }
    // What one tick writes (a SELECT's untagged lines, the FETCH lines of messages at hand)
    // leaves in one segment: corked until the tick ends. Waiting for 'drain' ends the tick
    // first, so backpressure still works.
    if (bundle && !this.corked) {
      this.corked = true;
      out.cork();
      process.nextTick(() => {
        this.corked = false;
        out.uncork();
      });
    }
    if (out.write(buf)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        out.off('drain', onDrain);
        out.off('close', onClose);
        out.off('error', done);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => done();
      const onClose = (): void => done(new ResponseStreamError('Output closed'));
      out.on('drain', onDrain);
      out.on('close', onClose);
      out.on('error', done);
    });
  }
}
