import { describe, expect, it } from 'vitest';
import { CommandParser, type ParserEvent } from '../src/index.ts';
import { feedBytes } from './helpers.ts';

const kinds = (out: ParserEvent[]) => out.map((e) => e.kind);

describe('parser: framing of lines and literals', () => {
  it('asks for a continuation exactly when a synchronizing literal is announced, byte by byte', () => {
    const p = new CommandParser();
    const head = Buffer.from('L1 LOGIN {5}\r\n');
    const seen: Array<[number, ParserEvent]> = [];
    for (let i = 0; i < head.length; i++) for (const e of p.feed(head.subarray(i, i + 1))) seen.push([i, e]);
    expect(seen).toEqual([
      [
        head.length - 1,
        { kind: 'continue', tag: 'L1', text: 'Ready for literal data', command: 'LOGIN', size: 5 },
      ],
    ]);
    expect(feedBytes(p, 'alice {6}\r\n')).toEqual([
      {
        kind: 'continue',
        tag: 'L1',
        text: 'Ready for literal data',
        command: expect.any(String),
        size: expect.any(Number),
      },
    ]);
    expect(feedBytes(p, 'se"c\r\n\r\n')).toEqual([
      {
        kind: 'command',
        command: { tag: 'L1', name: 'LOGIN', uid: false, args: { user: 'alice', password: 'se"c\r\n' } },
      },
    ]);
  });

  it('no continuation for LITERAL+ {n+}', () => {
    const p = new CommandParser();
    expect(feedBytes(p, 'A1 LOGIN {5+}\r\nalice {3+}\r\npwd\r\n')).toEqual([
      {
        kind: 'command',
        command: { tag: 'A1', name: 'LOGIN', uid: false, args: { user: 'alice', password: 'pwd' } },
      },
    ]);
  });

  it('an APPEND literal split at every possible point gives the same command', () => {
    const message = 'From: a@b\r\nSubject: {3}\r\n\r\nbody with "quotes" and {5}\r\n';
    const wire = Buffer.from(`A1 APPEND Sent (\\Seen) {${Buffer.byteLength(message)}}\r\n${message}\r\n`);
    const whole = new CommandParser().feed(wire);
    expect(kinds(whole)).toEqual(['continue', 'command']);
    expect(whole[1]).toMatchObject({ command: { args: { message: Buffer.from(message) } } });
    for (let i = 1; i < wire.length; i++) {
      const p = new CommandParser();
      const out = [...p.feed(wire.subarray(0, i)), ...p.feed(wire.subarray(i))];
      expect(out).toEqual(whole);
    }
  });

  it('several commands in one chunk come out in order; empty lines are ignored', () => {
    const out = new CommandParser().feed(Buffer.from('a NOOP\r\n\r\nb CAPABILITY\r\nc FETCH 1 FLAGS\r\n'));
    expect(out.map((e) => (e.kind === 'command' ? e.command.tag : e.kind))).toEqual(['a', 'b', 'c']);
  });

  it('a literal marker inside a quoted string is not a literal', () => {
    const out = new CommandParser().feed(Buffer.from('a LOGIN user "{3}"\r\n'));
    expect(out).toEqual([
      {
        kind: 'command',
        command: { tag: 'a', name: 'LOGIN', uid: false, args: { user: 'user', password: '{3}' } },
      },
    ]);
  });

  it('zero-length literals', () => {
    const out = new CommandParser().feed(Buffer.from('a LOGIN {0}\r\n {0+}\r\n\r\n'));
    expect(out).toEqual([
      {
        kind: 'continue',
        tag: 'a',
        text: 'Ready for literal data',
        command: expect.any(String),
        size: expect.any(Number),
      },
      { kind: 'command', command: { tag: 'a', name: 'LOGIN', uid: false, args: { user: '', password: '' } } },
    ]);
  });

  it('a session may refuse a synchronizing literal instead of sending +', () => {
    const p = new CommandParser();
    expect(p.feed(Buffer.from('A1 UID SEARCH TEXT {2}\r\n'))).toMatchObject([
      { kind: 'continue', command: 'UID SEARCH', size: 2 },
    ]);
    expect(p.refuseLiteral()).toBe(true);
    expect(p.feed(Buffer.from('A2 APPEND INBOX {5000}\r\n'))).toMatchObject([
      { kind: 'continue', command: 'APPEND', size: 5000 },
    ]);
    expect(p.refuseLiteral()).toBe(true);
    expect(p.refuseLiteral()).toBe(false);
    expect(p.feed(Buffer.from('A3 NOOP\r\n'))).toMatchObject([{ kind: 'command', command: { tag: 'A3' } }]);
    // Once literal bytes flow it is too late to refuse.
    p.feed(Buffer.from('A4 LOGIN {3}\r\nab'));
    expect(p.refuseLiteral()).toBe(false);
  });

  it('the continuation text is an option', () => {
    expect(new CommandParser({ continueText: 'go ahead' }).feed(Buffer.from('a LOGIN {1}\r\n'))).toEqual([
      { kind: 'continue', tag: 'a', text: 'go ahead', command: 'LOGIN', size: 1 },
    ]);
  });
});

describe('parser: line mode and pauses', () => {
  it('IDLE pauses; DONE is read in line mode; pipelined commands wait', () => {
    const p = new CommandParser();
    const out = p.feed(Buffer.from('I1 IDLE\r\nDONE\r\nN1 NOOP\r\n'));
    expect(out).toEqual([{ kind: 'command', command: { tag: 'I1', name: 'IDLE', uid: false, args: {} } }]);
    expect(p.paused).toBe(true);
    expect(p.feed(Buffer.from('N2 NOOP\r\n'))).toEqual([]);
    expect(p.lineMode()).toEqual([{ kind: 'line', line: 'DONE' }]);
    expect(p.paused).toBe(true);
    const rest = p.commandMode();
    expect(rest.map((e) => (e.kind === 'command' ? e.command.tag : e.kind))).toEqual(['N1', 'N2']);
    expect(p.paused).toBe(false);
  });

  it('DONE split across feeds in line mode', () => {
    const p = new CommandParser();
    p.feed(Buffer.from('I1 IDLE\r\n'));
    expect(p.lineMode()).toEqual([]);
    expect(feedBytes(p, 'DONE\r\n')).toEqual([{ kind: 'line', line: 'DONE' }]);
  });

  it('AUTHENTICATE exchange: one line per lineMode() call, then commands again', () => {
    const p = new CommandParser();
    expect(p.feed(Buffer.from('A1 AUTHENTICATE LOGIN\r\n'))).toMatchObject([{ kind: 'command' }]);
    expect(p.lineMode()).toEqual([]);
    expect(p.feed(Buffer.from('Ym9i\r\nc2VjcmV0\r\n'))).toEqual([{ kind: 'line', line: 'Ym9i' }]);
    expect(p.lineMode()).toEqual([{ kind: 'line', line: 'c2VjcmV0' }]);
    expect(p.commandMode()).toEqual([]);
    expect(p.feed(Buffer.from('A2 NOOP\r\n'))).toMatchObject([{ kind: 'command', command: { tag: 'A2' } }]);
  });

  it('a client cancelling AUTHENTICATE with "*" is just a line', () => {
    const p = new CommandParser();
    p.feed(Buffer.from('A1 AUTHENTICATE PLAIN\r\n'));
    p.lineMode();
    expect(p.feed(Buffer.from('*\r\n'))).toEqual([{ kind: 'line', line: '*' }]);
  });

  it('lines in line mode are bounded too', () => {
    const p = new CommandParser({ maxLineLength: 100 });
    p.feed(Buffer.from('A1 AUTHENTICATE PLAIN\r\n'));
    p.lineMode();
    expect(p.feed(Buffer.alloc(200, 0x41))).toMatchObject([
      { kind: 'error', fatal: true, text: 'Line too long' },
    ]);
  });

  it('STARTTLS: bytes after the command are held for the session to drop', () => {
    const p = new CommandParser();
    expect(p.feed(Buffer.from('S1 STARTTLS\r\nX1 LOGIN injected cmd\r\n'))).toMatchObject([
      { kind: 'command', command: { name: 'STARTTLS' } },
    ]);
    expect(p.takeHeld().toString()).toBe('X1 LOGIN injected cmd\r\n');
    expect(p.commandMode()).toEqual([]);
    expect(p.feed(Buffer.from('S2 NOOP\r\n'))).toMatchObject([{ kind: 'command', command: { tag: 'S2' } }]);
  });
});

describe('parser: UTF8=ACCEPT', () => {
  it('mailbox names are UTF-8 once enabled; & is an ordinary character', () => {
    const p = new CommandParser();
    expect(p.feed(Buffer.from('a SELECT "Tom &- Jerry"\r\n'))).toMatchObject([
      { command: { args: { mailbox: 'Tom & Jerry' } } },
    ]);
    p.setUtf8(true);
    expect(p.feed(Buffer.from('b SELECT "Tom & Jerry"\r\n'))).toMatchObject([
      { command: { args: { mailbox: 'Tom & Jerry' } } },
    ]);
    expect(p.feed(Buffer.from('c CREATE "Entwürfe"\r\n'))).toMatchObject([
      { command: { args: { mailbox: 'Entwürfe' } } },
    ]);
  });
});
