import { describe, expect, it } from 'vitest';
import { CommandParser, type ParserEvent } from '../src/index.ts';
import { feedBytes } from './helpers.ts';

const streaming = () => new CommandParser({ streamAppend: true, maxAppendSize: 1000, maxLiteralSize: 100 });

/** Joins the literal-data events, keeping the others. */
function compact(events: ParserEvent[]): unknown[] {
  const out: unknown[] = [];
  for (const e of events) {
    const last = out[out.length - 1] as { kind?: string; data?: string } | undefined;
    if (e.kind !== 'literal-data') out.push(e);
    else if (last?.kind === 'literal-data') last.data += e.data.toString('latin1');
    else out.push({ kind: 'literal-data', data: e.data.toString('latin1') });
  }
  return out;
}

describe('streamAppend', () => {
  it('hands over the APPEND command at the literal, then the bytes, then the end (any chunking)', () => {
    const wire = 'A1 APPEND Sent (\\Seen) {11}\r\nHello\r\nyou!\r\nA2 NOOP\r\n';
    const expected = [
      {
        kind: 'command',
        command: {
          tag: 'A1',
          name: 'APPEND',
          args: { mailbox: 'Sent', flags: ['\\Seen'], message: { kind: 'streamed', size: 11, sync: true } },
        },
      },
      { kind: 'literal-data', data: 'Hello\r\nyou!' },
      { kind: 'literal-end', ok: true },
      { kind: 'command', command: { tag: 'A2', name: 'NOOP' } },
    ];
    expect(compact(streaming().feed(Buffer.from(wire)))).toMatchObject(expected);
    expect(compact(feedBytes(streaming(), wire))).toMatchObject(expected);
  });

  it('streams LITERAL+ and empty messages; a mailbox-name literal is an ordinary, small one', () => {
    expect(compact(streaming().feed(Buffer.from('B1 APPEND INBOX {0+}\r\n\r\n')))).toMatchObject([
      { kind: 'command', command: { args: { message: { kind: 'streamed', size: 0, sync: false } } } },
      { kind: 'literal-end', ok: true },
    ]);
    const p = streaming();
    expect(p.feed(Buffer.from('B2 APPEND {4}\r\n'))).toMatchObject([{ kind: 'continue', size: 4 }]);
    expect(compact(p.feed(Buffer.from('Sent {2}\r\nhi\r\n')))).toMatchObject([
      { kind: 'command', command: { args: { mailbox: 'Sent', message: { kind: 'streamed', size: 2 } } } },
      { kind: 'literal-data', data: 'hi' },
      { kind: 'literal-end', ok: true },
    ]);
    expect(streaming().feed(Buffer.from('B3 APPEND {101}\r\n'))).toMatchObject([
      { kind: 'error', tag: 'B3', status: 'BAD', code: { code: 'TOOBIG' } },
    ]);
  });

  it('refuses what follows the message, fatally when a LITERAL+ literal follows', () => {
    const p = streaming();
    expect(compact(p.feed(Buffer.from('C1 APPEND INBOX {1}\r\nx {1}\r\nC2 NOOP\r\n')))).toMatchObject([
      { kind: 'command' },
      { kind: 'literal-data', data: 'x' },
      { kind: 'literal-end', ok: false, fatal: false },
      { kind: 'command', command: { tag: 'C2' } },
    ]);
    const q = streaming();
    expect(compact(q.feed(Buffer.from('C3 APPEND INBOX {1+}\r\nx {1+}\r\ny\r\n')))).toMatchObject([
      { kind: 'command' },
      { kind: 'literal-data', data: 'x' },
      { kind: 'literal-end', ok: false, fatal: true },
    ]);
    expect(q.closed).toBe(true);
  });

  it('refuseLiteral drops a streamed synchronizing literal before any byte', () => {
    const p = streaming();
    expect(p.feed(Buffer.from('D1 APPEND Nowhere {5}\r\n'))).toHaveLength(1);
    expect(p.refuseLiteral()).toBe(true);
    expect(p.feed(Buffer.from('D2 NOOP\r\n'))).toMatchObject([{ kind: 'command', command: { tag: 'D2' } }]);
  });
});
