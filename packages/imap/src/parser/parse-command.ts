/** One framed command → a typed command or a typed error (never throws on bad input). */
import { readTag } from './chars.ts';
import { GRAMMARS, UID_COMMANDS, uidExpunge } from './command-grammar.ts';
import { Cursor, type CursorLimits, type RawCommand, SyntaxFailure } from './cursor.ts';
import type { Command, CommandName, ParseError } from './types.ts';

const isLetter = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);

export function parseCommand(raw: RawCommand, limits: CursorLimits): Command | ParseError {
  const first = raw.lines[0] ?? Buffer.alloc(0);
  const tag = readTag(first);
  if (tag === undefined) {
    return { kind: 'error', status: 'BAD', text: 'Missing or invalid tag', fatal: false };
  }
  const c = new Cursor(raw, limits);
  try {
    c.chars((b) => b !== 0x20); // the tag, already read
    if (c.atEnd()) c.fail('Missing command');
    c.sp();
    let word = c.chars(isLetter).toUpperCase();
    let uid = false;
    if (word === 'UID') {
      c.sp();
      word = c.chars(isLetter).toUpperCase();
      uid = true;
      if (!UID_COMMANDS.has(word as CommandName)) c.fail(`Unknown UID command: ${word}`);
    }
    if (word === '' || !Object.hasOwn(GRAMMARS, word)) {
      c.fail(word === '' ? 'Missing command' : `Unknown command: ${word}`);
    }
    if (c.peek() !== 0x20 && !c.atEnd()) c.fail(`Unknown command: ${word}${c.peekChar()}`);
    const name = word as CommandName;
    const args = uid && name === 'EXPUNGE' ? uidExpunge(c) : GRAMMARS[name](c as never);
    return { tag, name, uid, args } as Command;
  } catch (err) {
    // Anything else is a parser bug (or a stack overflow from a huge maxDepth): still a typed
    // answer, so one bad command never takes the session down.
    if (!(err instanceof SyntaxFailure)) {
      return { kind: 'error', tag, status: 'BAD', text: 'Invalid command', fatal: false };
    }
    const out: ParseError = { kind: 'error', tag, status: err.status, text: err.text, fatal: false };
    if (err.code) out.code = err.code;
    return out;
  }
}
