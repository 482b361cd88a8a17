import type { DropMessage } from './maildrop.ts';

/**
 * Read-ahead for pipelined RETR (RFC 2449 PIPELINING): while one message is written, the
 * small messages named by the RETR commands queued behind it are already being read, several
 * at once (each read is a few thread-pool round trips: open, stat, read, close), so the
 * socket never waits for the disk between two messages.
 *
 * Bounded per connection: only messages of at most `maxMessageBytes` are read ahead, and the
 * bytes read ahead and not yet taken stay under `maxBytes` (a message is counted from the
 * moment its read starts until the session takes it). A message read ahead and never asked
 * for (the client dropped, RSET, a DELE in between) is simply forgotten.
 */
export interface ReadAheadLimits {
  /** Bytes read ahead and not yet taken, per connection. */
  maxBytes: number;
  /** Larger messages are streamed when their RETR comes, never read ahead. */
  maxMessageBytes: number;
}

export const READ_AHEAD: Readonly<ReadAheadLimits> = Object.freeze({
  maxBytes: 256 * 1024,
  maxMessageBytes: 128 * 1024,
});

const RETR = /^RETR +(\d{1,10}) *$/i;

/** The message number a queued command line retrieves whole, or null when it is not a RETR. */
export function retrNumber(line: string): number | null {
  const m = RETR.exec(line);
  return m ? Number(m[1]) : null;
}

export class ReadAhead {
  readonly #limits: ReadAheadLimits;
  readonly #read: (message: DropMessage) => Promise<Buffer>;
  /** Message number → its read in progress (or done), in the order they were started. */
  readonly #reads = new Map<number, { bytes: number; data: Promise<Buffer> }>();
  #bytes = 0;

  constructor(read: (message: DropMessage) => Promise<Buffer>, limits: ReadAheadLimits = READ_AHEAD) {
    this.#read = read;
    this.#limits = limits;
  }

  /** Bytes read ahead and not yet taken. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Starts reading the messages `upcoming` names (the queued RETRs, in order), as far as the
   * budget goes: it stops at the first one that does not fit, so reads stay in command order.
   */
  plan(upcoming: readonly DropMessage[]): void {
    // A read no queued command asks for any more (a DELE came first, the same RETR twice) goes.
    if (this.#reads.size > 0) {
      const wanted = new Set(upcoming.map((m) => m.number));
      for (const n of this.#reads.keys()) if (!wanted.has(n)) this.take(n);
    }
    for (const m of upcoming) {
      if (this.#reads.has(m.number)) continue;
      if (m.size > this.#limits.maxMessageBytes) return;
      if (this.#bytes + m.size > this.#limits.maxBytes) return;
      const data = this.#read(m);
      data.catch(() => {}); // reported by take(), or never asked for
      this.#reads.set(m.number, { bytes: m.size, data });
      this.#bytes += m.size;
    }
  }

  /** The read of message `number` when it was started ahead (its budget is given back), else null. */
  take(number: number): Promise<Buffer> | null {
    const read = this.#reads.get(number);
    if (!read) return null;
    this.#reads.delete(number);
    this.#bytes -= read.bytes;
    return read.data;
  }

  /** Forgets every read (the maildrop is left). */
  clear(): void {
    this.#reads.clear();
    this.#bytes = 0;
  }
}
