/**
 * RFC 1939 multi-line encoding of a message in wire form (CRLF): a line starting with '.'
 * gets one more '.', the last line ends with CRLF, and ".\r\n" terminates. With a body line
 * limit (TOP n) it passes the header, the blank line and `n` body lines, then reports done
 * so the caller can stop reading the message. Pure: chunks in, chunks out; the session
 * does the writing with backpressure.
 */
const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const DOT_BUF = Buffer.from('.');
const LF_DOT = Buffer.from('\n.');
const CRLF = Buffer.from('\r\n');
const TERMINATOR = Buffer.from('.\r\n');
const EMPTY = Buffer.alloc(0);

export class DotStuffer {
  #atLineStart = true;
  #lastByte = -1;
  #lineOctets = 0;
  #inHeader = true;
  #bodyLinesLeft: number | undefined;
  #done = false;

  /** `bodyLines`: TOP's line count after the header; undefined for the whole message (RETR). */
  constructor(bodyLines?: number) {
    this.#bodyLinesLeft = bodyLines;
  }

  /** True once a TOP limit is reached: the rest of the message is not needed. */
  get done(): boolean {
    return this.#done;
  }

  feed(chunk: Buffer): Buffer {
    if (this.#done || chunk.length === 0) return EMPTY;
    const parts = this.#bodyLinesLeft === undefined ? this.#feedAll(chunk) : this.#feedLines(chunk);
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  /** The end of the response: a CRLF when the message did not end with one, then ".\r\n". */
  finish(): Buffer {
    return this.#lastByte === -1 || this.#lastByte === LF ? TERMINATOR : Buffer.concat([CRLF, TERMINATOR]);
  }

  #feedAll(chunk: Buffer): Buffer[] {
    const parts: Buffer[] = [];
    if (this.#atLineStart && chunk[0] === DOT) parts.push(DOT_BUF);
    let from = 0;
    for (;;) {
      const hit = chunk.indexOf(LF_DOT, from);
      if (hit < 0) break;
      parts.push(chunk.subarray(from, hit + 1), DOT_BUF);
      from = hit + 1;
    }
    parts.push(chunk.subarray(from));
    this.#lastByte = chunk[chunk.length - 1] as number;
    this.#atLineStart = this.#lastByte === LF;
    return parts;
  }

  #feedLines(chunk: Buffer): Buffer[] {
    const parts: Buffer[] = [];
    let i = 0;
    while (i < chunk.length && !this.#done) {
      if (this.#atLineStart && chunk[i] === DOT) parts.push(DOT_BUF);
      const lf = chunk.indexOf(LF, i);
      const end = lf < 0 ? chunk.length : lf + 1;
      parts.push(chunk.subarray(i, end));
      const before = end - 2 >= i ? (chunk[end - 2] as number) : this.#lastByte;
      this.#lineOctets += end - i;
      this.#lastByte = chunk[end - 1] as number;
      if (lf >= 0) {
        const blank = this.#lineOctets === 1 || (this.#lineOctets === 2 && before === CR);
        if (this.#inHeader) {
          if (blank) this.#inHeader = false;
        } else {
          this.#bodyLinesLeft = (this.#bodyLinesLeft as number) - 1;
        }
        if (!this.#inHeader && (this.#bodyLinesLeft as number) <= 0) this.#done = true;
        this.#lineOctets = 0;
        this.#atLineStart = true;
      } else {
        this.#atLineStart = false;
      }
      i = end;
    }
    return parts;
  }
}
