import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/dispatch.ts';
import { LineSplitter } from '../src/line-splitter.ts';

describe('LineSplitter', () => {
  it('splits CRLF and bare LF lines across chunks and counts octets', () => {
    const s = new LineSplitter(100);
    expect(s.push(Buffer.from('STAT\r\nLI'))).toEqual([{ kind: 'line', text: 'STAT', octets: 6 }]);
    expect(s.push(Buffer.from('ST 1\nQUIT\r\n'))).toEqual([
      { kind: 'line', text: 'LIST 1', octets: 7 },
      { kind: 'line', text: 'QUIT', octets: 6 },
    ]);
  });

  it('reports an over-long line once and drops it up to its LF', () => {
    const s = new LineSplitter(10);
    expect(s.push(Buffer.from('x'.repeat(8)))).toEqual([]);
    expect(s.push(Buffer.from('y'.repeat(8)))).toEqual([{ kind: 'overflow' }]);
    expect(s.push(Buffer.from('z'.repeat(5000)))).toEqual([]);
    expect(s.push(Buffer.from('zz\r\nNOOP\r\n'))).toEqual([{ kind: 'line', text: 'NOOP', octets: 6 }]);
  });
});

describe('parseCommand', () => {
  it('checks verb, state and argument count', () => {
    const ok = parseCommand('list 1', 'transaction');
    expect(ok.kind === 'command' && ok.command.verb).toBe('LIST');
    expect(parseCommand('LIST', 'authorization')).toEqual({
      kind: 'bad',
      text: 'LIST not valid in this state',
    });
    expect(parseCommand('FROB', 'authorization')).toEqual({ kind: 'bad', text: 'unknown command' });
    expect(parseCommand('RETR', 'transaction').kind).toBe('bad');
    expect(parseCommand('TOP 1 2 3', 'transaction').kind).toBe('bad');
    expect(parseCommand('', 'transaction').kind).toBe('bad');
    expect(parseCommand('APOP a b', 'authorization').kind).toBe('bad');
  });

  it('gives PASS the rest of the line, spaces included', () => {
    const p = parseCommand('PASS with two  spaces', 'authorization');
    expect(p.kind === 'command' && p.args).toEqual(['with two  spaces']);
  });
});
