import { describe, expect, it } from 'vitest';
import { CommandParser } from '../src/index.ts';

const feed = (p: CommandParser, text: string) => p.feed(Buffer.from(text));

describe('parser: what the session bounds', () => {
  it('counts held bytes while paused after AUTHENTICATE and releases them with the next mode', () => {
    const p = new CommandParser();
    feed(p, 'a1 AUTHENTICATE PLAIN\r\n');
    expect(p.paused).toBe(true);
    feed(p, 'x'.repeat(1000));
    feed(p, 'y'.repeat(500));
    expect(p.bufferedBytes).toBe(1500);
    p.lineMode();
    // no LF yet: the 1500 bytes are now the partial line
    expect(p.bufferedBytes).toBe(1500);
    expect(p.takeHeld().length).toBe(0);
  });

  it('numbers each partial line and literal so a deadline can tell a new one from the same one', () => {
    const p = new CommandParser();
    expect(p.pendingInput).toBeNull();
    feed(p, 'a1 NO');
    const line = p.pendingInput;
    expect(line).toMatchObject({ kind: 'line' });
    feed(p, 'OP');
    expect(p.pendingInput).toEqual(line);
    feed(p, '\r\na2 LOGIN {10}\r\n');
    // a complete line and an announced literal with no byte yet: nothing in progress
    expect(p.pendingInput).toBeNull();
    feed(p, 'abc');
    expect(p.pendingInput).toMatchObject({ kind: 'literal', size: 10 });
    expect(p.pendingInput?.id).not.toBe(line?.id);
    expect(p.bufferedBytes).toBe('a2 LOGIN {10}'.length + 3);
    feed(p, 'defghij');
    expect(p.pendingInput).toBeNull();
    feed(p, ' pw');
    expect(p.pendingInput).toMatchObject({ kind: 'line' });
  });
});
