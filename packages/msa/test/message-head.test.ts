import { describe, expect, it } from 'vitest';
import { addressesOf, readHead } from '../src/message-head.ts';

describe('addressesOf', () => {
  it.each([
    ['alice@example.test', ['alice@example.test']],
    ['Alice <alice@example.test>', ['alice@example.test']],
    ['"Smith, Alice" <alice@example.test>, bob@example.test', ['alice@example.test', 'bob@example.test']],
    ['"bob@example.test" <alice@example.test>', ['alice@example.test']],
    ['"Bob <bob@example.test>" <alice@example.test>', ['alice@example.test']],
    ['alice@example.test (Alice <bob@example.test>)', ['alice@example.test']],
    ['Team: alice@example.test, Bob <bob@example.test>;', ['alice@example.test', 'bob@example.test']],
    ['undisclosed-recipients:;', []],
    ['Jöran <jöran@exämple.test>', ['jöran@exämple.test']],
  ])('%s', (value, expected) => {
    expect(addressesOf(value)).toEqual(expected);
  });
});

describe('readHead', () => {
  it('finds the end of the header section and unfolds fields', () => {
    const m = Buffer.from('From: a@b\r\nSubject: one\r\n two\r\n\r\nbody\r\n\r\nmore');
    const head = readHead(m);
    expect(head.end).toBe(m.indexOf('\r\n\r\n') + 2);
    expect(head.fields).toEqual([
      { name: 'from', value: 'a@b' },
      { name: 'subject', value: 'one two' },
    ]);
  });

  it('handles a message without header fields and one without a body', () => {
    expect(readHead(Buffer.from('\r\nbody')).end).toBe(0);
    const only = Buffer.from('From: a@b\r\n');
    expect(readHead(only).end).toBe(only.length);
  });
});
