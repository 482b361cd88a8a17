/**
 * Splits the client's byte stream into command lines without ever holding more than
 * `maxBytes` of one line: a longer line is reported once as an overflow and the rest of it
 * is dropped up to its LF, so a client streaming bytes without a newline costs us nothing.
 */
export type SplitItem = { kind: 'line'; text: string; octets: number } | { kind: 'overflow' };

const LF = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  readonly maxBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #discarding = false;
  /** Number of the line partly received, null between lines. */
  #pendingLine: number | null = null;
  #lines = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Bytes of the partial line held. */
  get heldBytes(): number {
    return this.#pendingBytes;
  }

  /** The rest of an over-long line is being dropped up to its LF. */
  get discarding(): boolean {
    return this.#discarding;
  }

  /** The line partly received (also one being discarded), numbered; null between lines. */
  get pendingLine(): number | null {
    return this.#pendingLine;
  }

  push(chunk: Buffer): SplitItem[] {
    const out: SplitItem[] = [];
    let from = 0;
    while (from < chunk.length) {
      const lf = chunk.indexOf(LF, from);
      const end = lf < 0 ? chunk.length : lf;
      if (this.#discarding) {
        if (lf >= 0) this.#discarding = false;
      } else {
        const piece = chunk.subarray(from, end);
        if (this.#pendingBytes + piece.length > this.maxBytes) {
          this.#pending = [];
          this.#pendingBytes = 0;
          out.push({ kind: 'overflow' });
          if (lf < 0) this.#discarding = true;
        } else if (lf >= 0) {
          const whole = this.#pending.length ? Buffer.concat([...this.#pending, piece]) : piece;
          this.#pending = [];
          this.#pendingBytes = 0;
          const body = whole.length && whole[whole.length - 1] === CR ? whole.subarray(0, -1) : whole;
          out.push({ kind: 'line', text: body.toString('utf8'), octets: whole.length + 1 });
        } else {
          // Copy: the socket may reuse its chunk buffers.
          this.#pending.push(Buffer.from(piece));
          this.#pendingBytes += piece.length;
        }
      }
      if (lf >= 0) this.#pendingLine = null;
      else this.#pendingLine ??= ++this.#lines;
      from = lf < 0 ? chunk.length : lf + 1;
    }
    return out;
  }

  /** Drops a partial line (after STLS: nothing sent in cleartext may carry over). */
  reset(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#discarding = false;
    this.#pendingLine = null;
  }
}
