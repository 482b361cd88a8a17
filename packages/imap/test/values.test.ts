import { describe, expect, it } from 'vitest';
import {
  decodeMailboxUtf7,
  encodeMailboxUtf7,
  formatSequenceSet,
  parseSequenceSet,
  selectFromSet,
  sequenceSetIncludes,
} from '../src/index.ts';

describe('modified UTF-7 (RFC 3501 5.1.3)', () => {
  const PAIRS: Array<[string, string]> = [
    ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
    ['Entwürfe', 'Entw&APw-rfe'],
    ['Tom & Jerry', 'Tom &- Jerry'],
    ['&&', '&-&-'],
    ['INBOX', 'INBOX'],
    ['Ελληνικά', '&A5UDuwO7A7cDvQO5A7oDrA-'],
    ['emoji 📬', 'emoji &2D3c7A-'],
    ['', ''],
  ];
  for (const [utf8, wire] of PAIRS) {
    it(`round trips ${JSON.stringify(utf8)}`, () => {
      expect(encodeMailboxUtf7(utf8)).toBe(wire);
      expect(decodeMailboxUtf7(wire)).toBe(utf8);
    });
  }

  it('rejects what is not modified UTF-7', () => {
    for (const bad of [
      '&U,BTFw',
      '&Jjo!-',
      '&AGE-',
      '&2D0-',
      '&3Gw-',
      'a\u00e9',
      '&U,BTF-',
      'tab\there',
      '&A-',
    ]) {
      expect(decodeMailboxUtf7(bad)).toBeNull();
    }
  });
});

describe('sequence sets', () => {
  it('parses ranges in any order, * and $', () => {
    expect(parseSequenceSet('2,4:7,9,*:4')).toEqual({
      kind: 'set',
      ranges: [
        { start: 2, end: 2 },
        { start: 4, end: 7 },
        { start: 9, end: 9 },
        { start: '*', end: 4 },
      ],
    });
    expect(parseSequenceSet('$')).toEqual({ kind: 'saved' });
    for (const bad of ['', '0', '1:', ':1', '1,,2', '01', '4294967296', '1:*:2', '$,1', 'a']) {
      expect(parseSequenceSet(bad)).toBeNull();
    }
  });

  it('resolves * against the largest number in use', () => {
    const s = parseSequenceSet('*:4,1')!;
    expect(selectFromSet(s, [1, 2, 3, 4, 5, 6])).toEqual([1, 4, 5, 6]);
    expect(sequenceSetIncludes(parseSequenceSet('10:*')!, 7, 7)).toBe(true); // 10:* with max 7 is 7:10
    expect(selectFromSet(parseSequenceSet('1:4294967295')!, [3, 90000])).toEqual([3, 90000]);
    expect(selectFromSet(parseSequenceSet('*')!, [])).toEqual([]);
  });

  it('formats compact sets', () => {
    expect(formatSequenceSet([5, 1, 2, 3, 9, 10])).toBe('1:3,5,9:10');
    expect(formatSequenceSet([304, 319, 320], false)).toBe('304,319:320');
    expect(formatSequenceSet([3, 2, 1], false)).toBe('3,2,1');
    expect(formatSequenceSet([])).toBe('');
  });
});
