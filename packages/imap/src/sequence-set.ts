/**
 * Sequence sets (RFC 3501 sequence-set, RFC 5182 `$`): kept as written so a handler resolves
 * `*` against the mailbox it has, and a range may be given in either order.
 */

/** A number as written; '*' is the largest number in use. */
export type SeqNumber = number | '*';

export interface SeqRange {
  start: SeqNumber;
  end: SeqNumber;
}

export type SequenceSet = { kind: 'set'; ranges: SeqRange[] } | { kind: 'saved' };

const NZ_NUMBER = /^[1-9][0-9]{0,9}$/;
const MAX_NZ = 0xffffffff;

function seqNumber(text: string): SeqNumber | null {
  if (text === '*') return '*';
  if (!NZ_NUMBER.test(text)) return null;
  const n = Number(text);
  return n <= MAX_NZ ? n : null;
}

/** Parses `1:*`, `*:4`, `2,4:7,9` or `$`; null when the syntax is wrong. */
export function parseSequenceSet(text: string): SequenceSet | null {
  if (text === '$') return { kind: 'saved' };
  if (text === '') return null;
  const ranges: SeqRange[] = [];
  for (const item of text.split(',')) {
    const colon = item.indexOf(':');
    if (colon < 0) {
      const n = seqNumber(item);
      if (n === null) return null;
      ranges.push({ start: n, end: n });
    } else {
      const start = seqNumber(item.slice(0, colon));
      const end = seqNumber(item.slice(colon + 1));
      if (start === null || end === null) return null;
      ranges.push({ start, end });
    }
  }
  return { kind: 'set', ranges };
}

/** Concrete [low, high] of a range once `*` is resolved to `largest`. */
export function resolveRange(range: SeqRange, largest: number): [number, number] {
  const a = range.start === '*' ? largest : range.start;
  const b = range.end === '*' ? largest : range.end;
  return a <= b ? [a, b] : [b, a];
}

/** Whether `n` is in the set (`*` resolved to `largest`); `$` needs the saved result, so false. */
export function sequenceSetIncludes(set: SequenceSet, n: number, largest: number): boolean {
  if (set.kind === 'saved') return false;
  for (const r of set.ranges) {
    const [lo, hi] = resolveRange(r, largest);
    if (n >= lo && n <= hi) return true;
  }
  return false;
}

/**
 * The members of `candidates` (sorted ascending: sequence numbers or UIDs in use) that the
 * set selects. Iterates over the candidates, not the ranges, so `1:4294967295` costs nothing.
 */
export function selectFromSet(set: SequenceSet, candidates: readonly number[]): number[] {
  const largest = candidates.length > 0 ? candidates[candidates.length - 1]! : 0;
  return candidates.filter((n) => sequenceSetIncludes(set, n, largest));
}

/** Compacts numbers into the wire form: [1,2,3,5] → "1:3,5" (used by COPYUID, APPENDUID, SEARCH). */
export function formatSequenceSet(numbers: readonly number[], sort = true): string {
  const list = sort ? [...numbers].sort((a, b) => a - b) : [...numbers];
  const parts: string[] = [];
  let i = 0;
  while (i < list.length) {
    let j = i;
    while (j + 1 < list.length && list[j + 1] === list[j]! + 1) j++;
    parts.push(j === i ? String(list[i]) : `${list[i]}:${list[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
