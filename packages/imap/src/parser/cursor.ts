/**
 * Grammar primitives over one framed command: text lines with the literals that followed
 * each `{n}` marker. A failure throws `SyntaxFailure` inside the parser only; the public
 * parser catches it and returns a typed error, so bad input never escapes as an exception.
 */
import { parseSequenceSet, type SequenceSet } from '../sequence-set.ts';
import type { ResponseCode } from '../writer/types.ts';
import { isAstringChar, isAtomChar, isDigit, isListChar } from './chars.ts';
import type { ListValue } from './types.ts';

export class SyntaxFailure {
  readonly text: string;
  readonly status: 'BAD' | 'NO';
  readonly code?: ResponseCode;
  constructor(text: string, status: 'BAD' | 'NO' = 'BAD', code?: ResponseCode) {
    this.text = text;
    this.status = status;
    if (code) this.code = code;
  }
}

export interface RawCommand {
  /** Text lines without CRLF; every one but the last ends in a literal marker. */
  lines: Buffer[];
  /** literals[i] follows lines[i]. */
  literals: Array<{ data: Buffer; binary: boolean }>;
}

export interface CursorLimits {
  maxDepth: number;
  maxTokens: number;
  /** UTF8=ACCEPT enabled (RFC 6855): mailbox names are UTF-8, not modified UTF-7. */
  utf8?: boolean;
}

export class Cursor {
  private line = 0;
  private pos = 0;
  private tokens = 0;
  private depth = 0;
  private readonly raw: RawCommand;
  private readonly limits: CursorLimits;

  get utf8(): boolean {
    return this.limits.utf8 === true;
  }

  constructor(raw: RawCommand, limits: CursorLimits) {
    this.raw = raw;
    this.limits = limits;
  }

  private get buf(): Buffer {
    return this.raw.lines[this.line]!;
  }

  /** A position to come back to when a lookahead does not match. */
  mark(): [number, number] {
    return [this.line, this.pos];
  }

  reset(mark: [number, number]): void {
    [this.line, this.pos] = mark;
  }

  fail(text: string): never {
    throw new SyntaxFailure(text);
  }

  /** Counts one token against maxTokens (every primitive calls it; grammars for keywords). */
  count(): void {
    if (++this.tokens > this.limits.maxTokens) throw new SyntaxFailure('Too many arguments');
  }

  /** The next byte, or -1 at the end of a line. */
  peek(): number {
    return this.pos < this.buf.length ? this.buf[this.pos]! : -1;
  }

  peekChar(): string {
    const b = this.peek();
    return b < 0 ? '' : String.fromCharCode(b);
  }

  atEnd(): boolean {
    return this.line === this.raw.lines.length - 1 && this.pos >= this.buf.length;
  }

  /** The command must end here. */
  end(): void {
    if (!this.atEnd()) this.fail('Unexpected extra arguments');
  }

  sp(): void {
    if (this.peek() !== 0x20) this.fail(this.atEnd() ? 'Missing arguments' : 'Expected a space');
    this.pos++;
  }

  /** Consumes SP when one follows; for optional arguments. */
  optionalSp(): boolean {
    if (this.peek() !== 0x20) return false;
    this.pos++;
    return true;
  }

  expect(ch: string): void {
    if (this.peekChar() !== ch) this.fail(`Expected '${ch}'`);
    this.pos++;
  }

  /** Consumes the text when it comes next (case-insensitive). */
  accept(text: string): boolean {
    const got = this.buf.toString('latin1', this.pos, this.pos + text.length);
    if (got.toUpperCase() !== text.toUpperCase()) return false;
    this.pos += text.length;
    return true;
  }

  private run(pred: (b: number) => boolean): string {
    const start = this.pos;
    while (this.pos < this.buf.length && pred(this.buf[this.pos]!)) this.pos++;
    return this.buf.toString('latin1', start, this.pos);
  }

  atom(what = 'atom'): string {
    this.count();
    const s = this.run(isAtomChar);
    if (s === '') this.fail(`Expected ${what}`);
    return s;
  }

  /** A run of chars in `pred`, e.g. a fetch attribute name; may be empty. */
  chars(pred: (b: number) => boolean): string {
    return this.run(pred);
  }

  number(what = 'number'): number {
    this.count();
    const s = this.run(isDigit);
    if (s === '' || s.length > 10 || Number(s) > 0xffffffff) this.fail(`Expected ${what}`);
    return Number(s);
  }

  nzNumber(what = 'number'): number {
    const n = this.number(what);
    if (n === 0) this.fail(`Expected non-zero ${what}`);
    return n;
  }

  private quoted(): Buffer {
    this.pos++; // opening quote
    const bytes: number[] = [];
    const buf = this.buf;
    while (this.pos < buf.length) {
      const b = buf[this.pos++]!;
      if (b === 0x22) return Buffer.from(bytes);
      if (b === 0x5c) {
        const next = buf[this.pos++];
        if (next !== 0x22 && next !== 0x5c) this.fail('Invalid escape in quoted string');
        bytes.push(next);
      } else if (b === 0x00) {
        this.fail('NUL in quoted string');
      } else {
        bytes.push(b);
      }
    }
    return this.fail('Unterminated quoted string');
  }

  /** A literal at this position: the marker must end the line. */
  literal(): { data: Buffer; binary: boolean } {
    const m = /^~?\{[0-9]+\+?\}$/.exec(this.buf.toString('latin1', this.pos));
    if (!m || this.line >= this.raw.literals.length) this.fail('Invalid literal');
    const lit = this.raw.literals[this.line]!;
    this.line++;
    this.pos = 0;
    return lit;
  }

  isLiteralNext(): boolean {
    const b = this.peek();
    return b === 0x7b || (b === 0x7e && this.buf[this.pos + 1] === 0x7b);
  }

  /** string = quoted / literal (literal8 refused: only APPEND takes binary). */
  string(what = 'string'): Buffer {
    this.count();
    const b = this.peek();
    if (b === 0x22) return this.quoted();
    if (b === 0x7b) return this.literal().data;
    return this.fail(`Expected ${what}`);
  }

  /** astring = 1*ASTRING-CHAR / string. */
  astring(what = 'string'): Buffer {
    const b = this.peek();
    if (b === 0x22 || b === 0x7b) return this.string(what);
    this.count();
    const start = this.pos;
    this.run(isAstringChar);
    if (this.pos === start) this.fail(`Expected ${what}`);
    return this.buf.subarray(start, this.pos);
  }

  /** list-mailbox = 1*list-char / string. */
  listMailbox(): Buffer {
    const b = this.peek();
    if (b === 0x22 || b === 0x7b) return this.string('mailbox pattern');
    this.count();
    const start = this.pos;
    this.run(isListChar);
    if (this.pos === start) this.fail('Expected mailbox pattern');
    return this.buf.subarray(start, this.pos);
  }

  /** nstring = string / NIL. */
  nstring(): Buffer | null {
    if (this.peek() !== 0x22 && this.peek() !== 0x7b) {
      const save = this.pos;
      if (this.run(isAtomChar).toUpperCase() === 'NIL') return null;
      this.pos = save;
      this.fail('Expected string or NIL');
    }
    return this.string();
  }

  /** sequence-set, `$` included. */
  sequenceSet(): SequenceSet {
    this.count();
    const text = this.run((b) => isDigit(b) || b === 0x3a || b === 0x2c || b === 0x2a || b === 0x24);
    const set = parseSequenceSet(text);
    if (!set) this.fail(text === '' ? 'Expected a sequence set' : `Invalid sequence set: ${text}`);
    return set;
  }

  /** "(" [item *(SP item)] ")" with bounded nesting; `allowEmpty` for `()`. */
  list<T>(item: () => T, allowEmpty = true): T[] {
    this.expect('(');
    if (++this.depth > this.limits.maxDepth) this.fail('Too deeply nested');
    const out: T[] = [];
    if (this.peek() === 0x29) {
      if (!allowEmpty) this.fail('Empty list');
    } else {
      out.push(item());
      while (this.peek() === 0x20) {
        this.pos++;
        out.push(item());
      }
    }
    this.expect(')');
    this.depth--;
    return out;
  }

  /** Enters a nested group (search parentheses) with the depth bound. */
  nest<T>(inner: () => T): T {
    if (++this.depth > this.limits.maxDepth) this.fail('Too deeply nested');
    const v = inner();
    this.depth--;
    return v;
  }

  /** Any value of extension data: list, string, NIL or a bare token (number, atom, set). */
  value(): ListValue {
    const b = this.peek();
    if (b === 0x28) return this.list(() => this.value());
    if (b === 0x22 || b === 0x7b) return this.string();
    this.count();
    const s = this.run((c) => isListChar(c) || c === 0x5c);
    if (s === '') this.fail('Expected a value');
    return s.toUpperCase() === 'NIL' ? null : s;
  }
}
