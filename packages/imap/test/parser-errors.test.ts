import { describe, expect, it } from 'vitest';
import { CommandParser, type ParseError, type ParserEvent } from '../src/index.ts';
import { events } from './helpers.ts';

function onlyError(out: ParserEvent[]): ParseError {
  const errors = out.filter((e) => e.kind === 'error');
  expect(out.filter((e) => e.kind === 'command')).toEqual([]);
  expect(errors).toHaveLength(1);
  return errors[0] as ParseError;
}

const kindsOf = (out: ParserEvent[]) => out.map((e) => e.kind);

const bad = (line: string): ParseError => onlyError(events(`${line}\r\n`));

describe('parser: every error is a typed BAD with the tag', () => {
  const CASES: Array<[string, string, RegExp]> = [
    ['unterminated quote', 'a1 LOGIN "bob secret', /Unterminated quoted string/],
    ['bad escape in a quoted string', 'a1 LOGIN "b\\ob" x', /Invalid escape/],
    ['sequence set with 0', 'a2 FETCH 0:3 FLAGS', /Invalid sequence set: 0:3/],
    ['sequence set with a double colon', 'a2 FETCH 1::2 FLAGS', /Invalid sequence set/],
    ['sequence set with a trailing comma', 'a2 FETCH 1, FLAGS', /Invalid sequence set/],
    ['sequence set that is a word', 'a2 FETCH abc FLAGS', /Expected a sequence set/],
    ['sequence number beyond 32 bits', 'a2 UID FETCH 1:4294967296 FLAGS', /Invalid sequence set/],
    ['unknown command', 'a4 FROB x', /Unknown command: FROB/],
    ['unknown UID command', 'a4 UID FROB 1', /Unknown UID command: FROB/],
    ['UID LIST is not a UID command', 'a4 UID LIST "" *', /Unknown UID command: LIST/],
    ['command word with junk', 'a4 NOOP! x', /Unknown command/],
    ['missing command', 'a4', /Missing command/],
    ['missing mailbox', 'a5 SELECT', /Missing arguments/],
    ['extra arguments', 'a6 NOOP extra', /Unexpected extra arguments/],
    ['extra arguments after LOGIN', 'a6 LOGIN a b c', /Unexpected extra arguments/],
    ['unclosed fetch list', 'a7 FETCH 1 (FLAGS', /Expected '\)'/],
    ['empty fetch list', 'a7 FETCH 1 ()', /Empty list/],
    ['unknown fetch attribute', 'a7 FETCH 1 (FLAGS BOGUS)', /Unknown fetch attribute: BOGUS/],
    ['bad section', 'a7 FETCH 1 BODY[1.FOO]', /Invalid section: FOO/],
    ['MIME without a part', 'a7 FETCH 1 BODY[MIME]', /Invalid section/],
    ['partial without length', 'a7 FETCH 1 BODY[]<0>', /Expected '\.'/],
    ['zero-length partial', 'a7 FETCH 1 BODY[]<0.0>', /non-zero partial length/],
    ['HEADER.FIELDS without fields', 'a7 FETCH 1 BODY[HEADER.FIELDS ()]', /Empty list/],
    ['BINARY with a text section', 'a7 FETCH 1 BINARY[1.TEXT]', /BINARY takes only a part number/],
    ['bad store item', 'a8 STORE 1 XFLAGS (\\Seen)', /Invalid store item: XFLAGS/],
    ['store without flags', 'a8 STORE 1 +FLAGS', /Missing arguments/],
    ['bad flag', 'a8 STORE 1 FLAGS (\\)', /Expected flag/],
    ['unknown status item', 'a9 STATUS INBOX (MESSAGES BOGUS)', /Unknown status item: BOGUS/],
    ['unknown search key', 'a11 SEARCH FOO', /Unknown search key: FOO/],
    ['bad search date', 'a12 SEARCH BEFORE 32-Jan-2020', /Invalid date/],
    ['bad search month', 'a12 SEARCH SINCE 1-Foo-2020', /Invalid date/],
    ['OR with one operand', 'a12 SEARCH OR SEEN', /Missing arguments/],
    ['empty search group', 'a12 SEARCH ()', /Empty list/],
    ['bad APPEND date', 'a13 APPEND INBOX "32-Jan-2020 10:00:00 +0000" {1}\r\nx', /Invalid date-time/],
    ['APPEND message as a quoted string', 'a13 APPEND INBOX "hello"', /Invalid date-time/],
    ['APPEND message as an atom', 'a13 APPEND INBOX hello', /Expected the message as a literal/],
    ['LIST without pattern', 'a16 LIST ""', /Missing arguments/],
    ['LIST with junk after pattern', 'a16 LIST "" * FOO', /Expected RETURN/],
    ['ENABLE without capability', 'a18 ENABLE', /Missing arguments/],
    ['ID with odd list', 'a19 ID ("name")', /Invalid ID parameter list/],
    ['ID with an atom', 'a19 ID foo', /Expected string or NIL/],
    ['AUTHENTICATE with bad initial response', 'a20 AUTHENTICATE PLAIN $$$', /Invalid initial response/],
    ['literal marker in the middle of a line', 'a21 LOGIN {3}x y', /Expected a space|Invalid literal/],
    ['NUL in a quoted string', 'a22 LOGIN "a\x00b" c', /NUL in quoted string/],
  ];
  for (const [title, line, text] of CASES) {
    it(title, () => {
      const err = bad(line);
      expect(err).toMatchObject({ kind: 'error', tag: line.split(' ')[0], status: 'BAD', fatal: false });
      expect(err.text).toMatch(text);
    });
  }

  it('no tag or a bad tag: error without tag', () => {
    for (const line of ['* NOOP', '+ NOOP', '(a NOOP', ' NOOP', 'a{1 NOOP', '"a" NOOP']) {
      const err = bad(line);
      expect(err.tag).toBeUndefined();
      expect(err).toMatchObject({ status: 'BAD', text: 'Missing or invalid tag', fatal: false });
    }
  });

  it('a mailbox name that is not modified UTF-7 is a NO, not a BAD (no such mailbox; imaptest atoms)', () => {
    for (const line of [
      'a17 SELECT "&Jjo!"',
      'a17 SELECT "&AGE-"',
      "a17 SELECT !#$&'+,-.0123456789:;<=>?@^_`|[}",
    ]) {
      expect(bad(line)).toEqual({
        kind: 'error',
        tag: 'a17',
        status: 'NO',
        text: 'Mailbox name is not valid modified UTF-7',
        fatal: false,
      });
    }
  });

  it('a LIST/LSUB pattern that is not modified UTF-7 is taken as written (it matches nothing)', () => {
    const pattern = "!#$&'+,-.0123456789:;<=>?@^_`|[}%*";
    expect(events(`l1 LIST "" ${pattern}\r\n`)[0]).toMatchObject({
      kind: 'command',
      command: { name: 'LIST', args: { patterns: [pattern] } },
    });
    expect(events(`l2 LSUB "" &Jjo!\r\n`)[0]).toMatchObject({
      kind: 'command',
      command: { name: 'LSUB', args: { pattern: '&Jjo!' } },
    });
  });

  it('unsupported SEARCH charset: NO [BADCHARSET (...)]', () => {
    expect(bad('s1 SEARCH CHARSET KOI8-R TEXT x')).toEqual({
      kind: 'error',
      tag: 's1',
      status: 'NO',
      code: { code: 'BADCHARSET', charsets: ['US-ASCII', 'UTF-8', 'ISO-8859-1'] },
      text: 'Unsupported charset KOI8-R',
      fatal: false,
    });
  });

  it('too deep nesting: parentheses and NOT chains', () => {
    const deep = `${'('.repeat(20)}SEEN${')'.repeat(20)}`;
    expect(onlyError(events(`d1 SEARCH ${deep}\r\n`, { maxDepth: 16 })).text).toBe('Too deeply nested');
    expect(bad(`d2 SEARCH ${'NOT '.repeat(40)}SEEN`).text).toBe('Too deeply nested');
    expect(bad(`d3 SELECT x ${'('.repeat(30)}${')'.repeat(30)}`).text).toBe('Too deeply nested');
    // Just under the limit is fine.
    expect(events(`d4 SEARCH ${'('.repeat(15)}SEEN${')'.repeat(15)}\r\n`, { maxDepth: 16 })[0]!.kind).toBe(
      'command',
    );
  });

  it('too many tokens', () => {
    const out = events(`t1 SEARCH ${'SEEN '.repeat(30)}ALL\r\n`, { maxTokens: 20 });
    expect(onlyError(out)).toMatchObject({ tag: 't1', text: 'Too many arguments' });
  });

  it('a declared {4294967295} is refused at once: no continuation, stream stays usable', () => {
    const p = new CommandParser();
    const out = p.feed(Buffer.from('L1 LOGIN {4294967295}\r\n'));
    expect(out).toEqual([
      {
        kind: 'error',
        tag: 'L1',
        status: 'BAD',
        code: { code: 'TOOBIG' },
        text: 'Literal too large (limit 65536 bytes)',
        fatal: false,
      },
    ]);
    expect(p.feed(Buffer.from('L2 NOOP\r\n'))).toEqual([
      { kind: 'command', command: { tag: 'L2', name: 'NOOP', uid: false, args: {} } },
    ]);
  });

  it('sizes beyond 32 bits are refused without parsing the number', () => {
    const err = onlyError(events(`L1 LOGIN {${'9'.repeat(400)}}\r\n`));
    expect(err).toMatchObject({ tag: 'L1', status: 'BAD', code: { code: 'TOOBIG' } });
  });

  it('APPEND over the APPEND limit: NO [TOOBIG]; limit is an option', () => {
    expect(onlyError(events('A1 APPEND INBOX {4294967295}\r\n'))).toMatchObject({
      tag: 'A1',
      status: 'NO',
      code: { code: 'TOOBIG' },
      fatal: false,
    });
    expect(onlyError(events('A2 APPEND INBOX (\\Seen) {101}\r\n', { maxAppendSize: 100 }))).toMatchObject({
      status: 'NO',
      text: 'Message too large (limit 100 bytes)',
    });
    expect(events('A3 APPEND INBOX {100}\r\n', { maxAppendSize: 100 })).toEqual([
      { kind: 'continue', tag: 'A3', text: 'Ready for literal data', command: 'APPEND', size: 100 },
    ]);
  });

  it('an oversized non-synchronizing literal is fatal: the bytes are already coming', () => {
    const p = new CommandParser({ maxAppendSize: 10 });
    expect(onlyError(p.feed(Buffer.from('A1 APPEND INBOX {11+}\r\nhello world\r\n')))).toMatchObject({
      tag: 'A1',
      status: 'NO',
      fatal: true,
    });
    expect(p.closed).toBe(true);
    expect(p.feed(Buffer.from('A2 NOOP\r\n'))).toEqual([]);
  });

  it('literals of one command add up against the limit', () => {
    const p = new CommandParser({ maxLiteralSize: 10 });
    const first = p.feed(Buffer.from('x SEARCH TEXT {10}\r\n0123456789 TEXT {10}\r\n0123456789'));
    expect(kindsOf(first)).toEqual(['continue', 'continue']);
    expect(onlyError(p.feed(Buffer.from(' TEXT {1}\r\n')))).toMatchObject({
      tag: 'x',
      code: { code: 'TOOBIG' },
    });
  });

  it('too many literals in one command', () => {
    const p = new CommandParser({ maxLiterals: 1 });
    expect(p.feed(Buffer.from('x LOGIN {1}\r\n'))).toHaveLength(1);
    expect(onlyError(p.feed(Buffer.from('a {1}\r\n')))).toMatchObject({
      tag: 'x',
      text: 'Too many literals',
      fatal: false,
    });
  });

  it('a line over the limit is fatal with the tag', () => {
    const p = new CommandParser({ maxLineLength: 1000 });
    const out = p.feed(Buffer.from(`big SEARCH TEXT "${'x'.repeat(2000)}"`));
    expect(onlyError(out)).toMatchObject({ tag: 'big', status: 'BAD', text: 'Line too long', fatal: true });
    expect(p.closed).toBe(true);
  });

  it('a line just at the limit is accepted, byte by byte too', () => {
    const line = `a SEARCH TEXT ${'x'.repeat(986)}`; // 1000 bytes
    expect(line.length).toBe(1000);
    const p = new CommandParser({ maxLineLength: 1000 });
    const out: ParserEvent[] = [];
    for (const b of Buffer.from(`${line}\r\n`)) out.push(...p.feed(Buffer.from([b])));
    expect(out.map((e) => e.kind)).toEqual(['command']);
  });

  it('never throws: random garbage always gives typed events', () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = [
      'a1 ',
      'FETCH ',
      'SEARCH ',
      'UID ',
      '(',
      ')',
      '"',
      '\\',
      '{3}\r\n',
      '{2+}\r\n',
      '~{1}\r\n',
      '[',
      ']',
      '<',
      '>',
      '.',
      '1:*',
      ',',
      '*',
      'BODY',
      'NOT ',
      'OR ',
      '\r\n',
      ' ',
      'NIL',
      '&',
      '-',
      '\x00',
      '\xff',
      'APPEND ',
      'LIST ',
    ];
    const p = new CommandParser({ maxLineLength: 4096 });
    let count = 0;
    for (let i = 0; i < 3000 && !p.closed; i++) {
      let s = '';
      const n = 1 + rand(12);
      for (let k = 0; k < n; k++) s += pieces[rand(pieces.length)];
      for (const e of p.feed(Buffer.from(s, 'latin1'))) {
        expect(['command', 'continue', 'error']).toContain(e.kind);
        count++;
        if (e.kind === 'command' && p.paused) p.commandMode();
      }
    }
    expect(count).toBeGreaterThan(100);
  });
});
