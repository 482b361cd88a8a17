/**
 * The incremental IMAP command parser: bytes in, events out, no I/O. It frames lines and
 * literals (asking for `+` on synchronizing literals), enforces the size limits before
 * allocating, and hands each complete command to the grammar.
 *
 * Modes: after IDLE, AUTHENTICATE and STARTTLS the parser pauses and holds any bytes that
 * follow (they belong to DONE, the SASL exchange or the TLS handshake). The session then calls
 * `lineMode()` to read one raw line (which pauses again) or `commandMode()` to go on parsing.
 */
import { readCommandWord, readTag, trailingLiteral } from './chars.ts';
import type { RawCommand } from './cursor.ts';
import { parseCommand } from './parse-command.ts';
import type { CommandOf, ParseError, ParserEvent } from './types.ts';

export interface ParserOptions {
  /** Longest line outside literals, in bytes (default 64 KiB). */
  maxLineLength?: number;
  /** Largest literal in any command but APPEND (default 64 KiB). */
  maxLiteralSize?: number;
  /** Largest APPEND message, the APPENDLIMIT (default 50 MiB). */
  maxAppendSize?: number;
  /** Most literals in one command (default 32). */
  maxLiterals?: number;
  /** Deepest parenthesis nesting (default 16). */
  maxDepth?: number;
  /** Most tokens in one command (default 10000). */
  maxTokens?: number;
  /** Text of the `+` continuation for synchronizing literals. */
  continueText?: string;
  /**
   * Hand the APPEND message over as it arrives (`literal-data` events) instead of buffering it
   * whole: the command comes at the literal's start with a `StreamedLiteral` message, and no
   * `continue` event (the session decides about `+`). Default false.
   */
  streamAppend?: boolean;
}

/** A line or literal partly received; `id` differs for each new one. */
export type PendingInput = { id: number; kind: 'line' } | { id: number; kind: 'literal'; size: number };

const DEFAULTS: Required<ParserOptions> = {
  maxLineLength: 64 * 1024,
  maxLiteralSize: 64 * 1024,
  maxAppendSize: 50 * 1024 * 1024,
  maxLiterals: 32,
  maxDepth: 16,
  maxTokens: 10_000,
  continueText: 'Ready for literal data',
  streamAppend: false,
};

/** Commands after which the next bytes are not commands. */
const PAUSE_AFTER = new Set(['IDLE', 'AUTHENTICATE', 'STARTTLS']);

export class CommandParser {
  private readonly opts: Required<ParserOptions>;
  private mode: 'command' | 'line' | 'paused' = 'command';
  private dead = false;
  /** A `continue` went out and no literal byte has come yet. */
  private awaitingSync = false;
  private utf8 = false;
  /** Bytes received while paused. */
  private held: Buffer[] = [];
  private heldLength = 0;
  /** Bytes of the non-streamed literal being read, and of the command's finished literals. */
  private literalBytes = 0;
  /** The line or literal in the middle of arriving, numbered so a new one can be told apart. */
  private unit: PendingInput | null = null;
  private units = 0;
  /** Pieces of the line being read. */
  private lineParts: Buffer[] = [];
  private lineLength = 0;
  private raw: RawCommand = { lines: [], literals: [] };
  /** The literal being read: bytes still to come and pieces so far. */
  private literal: { remaining: number; parts: Buffer[]; binary: boolean; streamed: boolean } | null = null;
  /** A streamed APPEND message ended: the next line must end the command. */
  private streamTail = false;

  constructor(options: ParserOptions = {}) {
    this.opts = { ...DEFAULTS, ...options };
  }

  /** Whether the stream is beyond repair (a fatal error was returned). */
  get closed(): boolean {
    return this.dead;
  }

  get paused(): boolean {
    return this.mode === 'paused';
  }

  /**
   * Input the parser holds and has not handed out as events: bytes held while paused, the
   * partial line, the command's lines and literals so far. The session bounds it.
   */
  get bufferedBytes(): number {
    let lines = 0;
    for (const l of this.raw.lines) lines += l.length;
    return this.heldLength + this.lineLength + lines + this.literalBytes;
  }

  /** The line or literal partly received (its deadline runs), or null between them. */
  get pendingInput(): PendingInput | null {
    return this.unit;
  }

  /** Feeds received bytes. The parser keeps references to them: do not reuse the buffer. */
  feed(chunk: Buffer): ParserEvent[] {
    if (this.dead || chunk.length === 0) return [];
    if (this.mode === 'paused') {
      this.hold(chunk);
      return [];
    }
    return this.run(chunk);
  }

  /**
   * After `ENABLE UTF8=ACCEPT` (RFC 6855): mailbox names are read as UTF-8 instead of
   * modified UTF-7 from the next command on.
   */
  setUtf8(on: boolean): void {
    this.utf8 = on;
  }

  /**
   * Refuses the synchronizing literal just announced instead of sending `+` (the session
   * answers `tag NO [TOOBIG]` or similar): the client will not send it, so the command is
   * dropped. Returns false when there is no such literal waiting.
   */
  refuseLiteral(): boolean {
    if (!this.awaitingSync || !this.literal) return false;
    this.awaitingSync = false;
    this.literal = null;
    this.streamTail = false;
    this.resetCommand();
    return true;
  }

  /** Reads the next line raw (an AUTHENTICATE response, IDLE's DONE); pauses after it. */
  lineMode(): ParserEvent[] {
    this.mode = 'line';
    return this.resume();
  }

  /** Goes back to parsing commands. */
  commandMode(): ParserEvent[] {
    this.mode = 'command';
    return this.resume();
  }

  /** Takes the bytes held while paused (after STARTTLS: data that arrived before TLS, to drop). */
  takeHeld(): Buffer {
    const out = Buffer.concat(this.held);
    this.held = [];
    this.heldLength = 0;
    return out;
  }

  private hold(chunk: Buffer, first = false): void {
    if (first) this.held.unshift(chunk);
    else this.held.push(chunk);
    this.heldLength += chunk.length;
  }

  private resume(): ParserEvent[] {
    const events: ParserEvent[] = [];
    while (this.held.length > 0 && this.mode !== 'paused' && !this.dead) {
      const chunk = this.held.shift()!;
      this.heldLength -= chunk.length;
      for (const e of this.run(chunk)) events.push(e);
    }
    return events;
  }

  private resetCommand(): void {
    this.raw = { lines: [], literals: [] };
    this.literalBytes = 0;
  }

  /** Marks the start of a line or literal; the same kind going on keeps its number. */
  private begin(kind: 'line' | 'literal', size = 0): void {
    if (this.unit?.kind === kind) return;
    this.unit = kind === 'line' ? { id: ++this.units, kind } : { id: ++this.units, kind, size };
  }

  private run(buf: Buffer): ParserEvent[] {
    const events: ParserEvent[] = [];
    let off = 0;
    while (off < buf.length && !this.dead) {
      if (this.mode === 'paused') {
        this.hold(buf.subarray(off), true);
        break;
      }
      if (this.literal) {
        this.awaitingSync = false;
        this.begin('literal', this.literal.remaining);
        const take = Math.min(this.literal.remaining, buf.length - off);
        if (this.literal.streamed) events.push({ kind: 'literal-data', data: buf.subarray(off, off + take) });
        else {
          this.literal.parts.push(buf.subarray(off, off + take));
          this.literalBytes += take;
        }
        this.literal.remaining -= take;
        off += take;
        if (this.literal.remaining === 0) this.endLiteral();
        continue;
      }
      const lf = buf.indexOf(0x0a, off);
      const end = lf < 0 ? buf.length : lf;
      if (lf < 0) this.begin('line');
      this.lineParts.push(buf.subarray(off, end));
      this.lineLength += end - off;
      off = lf < 0 ? buf.length : lf + 1;
      // A CR still counts until the LF shows it was a line end.
      if (this.lineLength > this.opts.maxLineLength + 1) {
        events.push(this.fatal('Line too long'));
        break;
      }
      if (lf < 0) break;
      let line = Buffer.concat(this.lineParts, this.lineLength);
      this.lineParts = [];
      this.lineLength = 0;
      this.unit = null;
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      this.onLine(line, events);
    }
    return events;
  }

  private onLine(line: Buffer, events: ParserEvent[]): void {
    if (this.mode === 'line') {
      this.mode = 'paused';
      events.push({ kind: 'line', line: line.toString('utf8') });
      return;
    }
    if (this.streamTail) {
      this.endStreamedCommand(line, events);
      return;
    }
    // Empty lines between commands are ignored, as most servers do.
    if (this.raw.lines.length === 0 && line.length === 0) return;
    this.raw.lines.push(line);
    const marker = trailingLiteral(line);
    if (!marker) {
      this.complete(events);
      return;
    }
    const word = readCommandWord(this.raw.lines[0]!);
    const isAppend = word === 'APPEND';
    const streamed = isAppend && this.opts.streamAppend ? this.appendBefore(marker.binary) : undefined;
    // Streaming, only the message may be large; a mailbox-name literal is an ordinary one.
    const isMessage = isAppend && (!this.opts.streamAppend || streamed !== undefined);
    const limit = isMessage ? this.opts.maxAppendSize : this.opts.maxLiteralSize;
    // All literals of one command together: the message plus small ones (a mailbox name),
    // so many literals cannot add up to many times the limit.
    const total = this.raw.literals.reduce((n, l) => n + l.data.length, 0) + marker.size;
    let refusal: ParseError | undefined;
    if (marker.size > limit || total > limit + this.opts.maxLiteralSize) {
      refusal = this.error(
        isMessage ? 'NO' : 'BAD',
        isMessage ? `Message too large (limit ${limit} bytes)` : `Literal too large (limit ${limit} bytes)`,
        { code: 'TOOBIG' },
      );
    } else if (this.raw.literals.length >= this.opts.maxLiterals) {
      refusal = this.error('BAD', 'Too many literals');
    }
    if (refusal) {
      // A non-synchronizing literal is already on its way: its bytes cannot be told apart
      // from commands any more, so the session must close (RFC 7888 section 4).
      refusal.fatal = marker.nonSync;
      if (marker.nonSync) this.dead = true;
      this.resetCommand();
      events.push(refusal);
      return;
    }
    if (streamed) {
      streamed.args.message = { kind: 'streamed', size: marker.size, sync: !marker.nonSync };
      events.push({ kind: 'command', command: streamed });
      this.resetCommand();
      this.awaitingSync = !marker.nonSync && marker.size > 0;
      this.literal = { remaining: marker.size, parts: [], binary: marker.binary, streamed: true };
      if (marker.size === 0) this.endLiteral();
      return;
    }
    if (!marker.nonSync) {
      events.push({
        kind: 'continue',
        tag: readTag(this.raw.lines[0]!) ?? '*',
        text: this.opts.continueText,
        command: word ?? '',
        size: marker.size,
      });
    }
    this.awaitingSync = !marker.nonSync && marker.size > 0;
    this.literal = { remaining: marker.size, parts: [], binary: marker.binary, streamed: false };
    if (marker.size === 0) this.endLiteral();
  }

  /**
   * The APPEND command as it stands if the literal just announced is its message (parsed with
   * an empty stand-in for it and nothing after it), else undefined (it is the mailbox name, or
   * the command is bad: then it is framed and answered as usual).
   */
  private appendBefore(binary: boolean): CommandOf<'APPEND'> | undefined {
    const probe = parseCommand(
      {
        lines: [...this.raw.lines, Buffer.alloc(0)],
        literals: [...this.raw.literals, { data: Buffer.alloc(0), binary }],
      },
      { maxDepth: this.opts.maxDepth, maxTokens: this.opts.maxTokens, utf8: this.utf8 },
    );
    return 'kind' in probe || probe.name !== 'APPEND' ? undefined : probe;
  }

  private endLiteral(): void {
    const lit = this.literal!;
    this.literal = null;
    this.unit = null;
    if (lit.streamed) this.streamTail = true;
    else this.raw.literals.push({ data: Buffer.concat(lit.parts), binary: lit.binary });
  }

  /** The line after a streamed message: empty ends the APPEND; anything else is refused. */
  private endStreamedCommand(line: Buffer, events: ParserEvent[]): void {
    this.streamTail = false;
    if (line.length === 0) {
      events.push({ kind: 'literal-end', ok: true });
      return;
    }
    // A second message (MULTIAPPEND) as LITERAL+ is already on its way: framing is lost.
    const fatal = trailingLiteral(line)?.nonSync === true;
    if (fatal) this.dead = true;
    events.push({
      kind: 'literal-end',
      ok: false,
      text: 'Expected the end of the command after the message (MULTIAPPEND is not supported)',
      fatal,
    });
  }

  private complete(events: ParserEvent[]): void {
    const raw = this.raw;
    this.resetCommand();
    const result = parseCommand(raw, {
      maxDepth: this.opts.maxDepth,
      maxTokens: this.opts.maxTokens,
      utf8: this.utf8,
    });
    if ('kind' in result) {
      events.push(result);
      return;
    }
    events.push({ kind: 'command', command: result });
    if (PAUSE_AFTER.has(result.name)) this.mode = 'paused';
  }

  private error(status: 'BAD' | 'NO', text: string, code?: ParseError['code']): ParseError {
    const out: ParseError = { kind: 'error', status, text, fatal: false };
    const first =
      this.raw.lines[0] ?? (this.lineParts.length > 0 ? Buffer.concat(this.lineParts) : undefined);
    const tag = first ? readTag(first) : undefined;
    if (tag !== undefined) out.tag = tag;
    if (code) out.code = code;
    return out;
  }

  private fatal(text: string): ParseError {
    const out = this.error('BAD', text);
    out.fatal = true;
    this.dead = true;
    return out;
  }
}
