/**
 * Splits message bytes into lines and keeps the count of wire-form bytes (CRLF line ends) and
 * of LFs before each line, so the structure builder sees IMAP offsets whatever line ends the
 * stored file has. A lone LF counts as CRLF (+1 byte); CRLF stays; a bare CR stays one byte.
 *
 * Memory stays bounded: of a line that spans chunks only the first `cap` bytes are kept.
 */

/** What the consumer needs to see: nothing (count only), lines starting with "--", or all. */
export type LineWant = 0 | 1 | 2;

export interface LineSink {
  want: LineWant;
  /** Content bytes of one line to keep when it spans chunks. */
  cap: number;
  /**
   * One line: `buf[start, end)` is its content without the CRLF/LF end, cut to `cap` bytes;
   * `length` is the real content length. `terminated` is false only for a last line without LF.
   * Offsets instead of a subarray: no object per line on the hot path.
   */
  onLine(
    buf: Buffer,
    start: number,
    end: number,
    length: number,
    terminated: boolean,
    startWire: number,
    startLfs: number,
    endWire: number,
  ): void;
}

const LF = 10;
const CR = 13;
const DASH = 45;

export class WireLineScanner {
  /** Wire offset of the start of the current (not yet complete) line. */
  wire = 0;
  /** LFs seen before the current line. */
  lfs = 0;
  private readonly sink: LineSink;
  private lastWasCR = false;
  private pending: Buffer[] = [];
  private pendingKept = 0;
  /** Raw bytes of the pending line so far, -1 when no line is pending. */
  private pendingLen = -1;

  constructor(sink: LineSink) {
    this.sink = sink;
  }

  feed(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    let pos = 0;
    if (this.pendingLen >= 0) {
      const lf = chunk.indexOf(LF);
      if (lf < 0) {
        this.addPending(chunk, 0, n);
        return;
      }
      const hasCR = lf > 0 ? chunk[lf - 1] === CR : this.lastWasCR;
      this.addPending(chunk, 0, lf);
      this.finishPending(hasCR);
      pos = lf + 1;
    }
    const sink = this.sink;
    while (pos < n) {
      const want = sink.want;
      if (want === 0) {
        this.countRest(chunk, pos);
        return;
      }
      const lf = chunk.indexOf(LF, pos);
      if (lf < 0) {
        this.pendingLen = 0;
        this.pendingKept = 0;
        this.addPending(chunk, pos, n);
        return;
      }
      const hasCR = lf > pos && chunk[lf - 1] === CR;
      const contentEnd = hasCR ? lf - 1 : lf;
      const startWire = this.wire;
      const endWire = startWire + (lf - pos) + (hasCR ? 1 : 2);
      if (want === 2 || (contentEnd - pos >= 2 && chunk[pos] === DASH && chunk[pos + 1] === DASH)) {
        const keepEnd = Math.min(contentEnd, pos + sink.cap);
        sink.onLine(chunk, pos, keepEnd, contentEnd - pos, true, startWire, this.lfs, endWire);
      }
      this.wire = endWire;
      this.lfs++;
      pos = lf + 1;
    }
    this.lastWasCR = chunk[n - 1] === CR;
  }

  /** Flushes a last line without LF. */
  end(): void {
    if (this.pendingLen < 0) return;
    const len = this.pendingLen;
    const content = this.takePending(len);
    const startWire = this.wire;
    this.wire += len;
    if (this.sink.want === 2 || (len >= 2 && content[0] === DASH && content[1] === DASH)) {
      this.sink.onLine(content, 0, content.length, len, false, startWire, this.lfs, this.wire);
    }
  }

  /** No line needs to be seen any more: only count LFs and the CRs wire form adds. */
  private countRest(chunk: Buffer, from: number): void {
    let lone = 0;
    let lines = 0;
    let lf = chunk.indexOf(LF, from);
    while (lf >= 0) {
      lines++;
      if (lf > 0 ? chunk[lf - 1] !== CR : !this.lastWasCR) lone++;
      lf = chunk.indexOf(LF, lf + 1);
    }
    this.wire += chunk.length - from + lone;
    this.lfs += lines;
    this.lastWasCR = chunk[chunk.length - 1] === CR;
  }

  private addPending(chunk: Buffer, from: number, to: number): void {
    const room = this.sink.cap - this.pendingKept;
    if (room > 0 && to > from) {
      const take = Math.min(room, to - from);
      // Copied: the caller may reuse its chunk buffer.
      this.pending.push(Buffer.from(chunk.subarray(from, from + take)));
      this.pendingKept += take;
    }
    this.pendingLen += to - from;
    if (to > from) this.lastWasCR = chunk[to - 1] === CR;
  }

  private takePending(contentLen: number): Buffer {
    const joined = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingKept = 0;
    this.pendingLen = -1;
    return joined.length > contentLen ? joined.subarray(0, contentLen) : joined;
  }

  private finishPending(hasCR: boolean): void {
    const raw = this.pendingLen;
    const contentLen = hasCR ? raw - 1 : raw;
    const content = this.takePending(contentLen);
    const startWire = this.wire;
    const endWire = startWire + raw + (hasCR ? 1 : 2);
    const want = this.sink.want;
    if (want === 2 || (contentLen >= 2 && content[0] === DASH && content[1] === DASH)) {
      this.sink.onLine(content, 0, content.length, contentLen, true, startWire, this.lfs, endWire);
    }
    this.wire = endWire;
    this.lfs++;
  }
}
