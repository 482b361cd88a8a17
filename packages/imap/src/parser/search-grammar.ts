/** SEARCH criteria (RFC 3501 search-key) into a typed tree; top-level keys are ANDed. */
import { isDigit } from './chars.ts';
import { type Cursor, SyntaxFailure } from './cursor.ts';
import type { SearchFlagKey, SearchKey } from './types.ts';
import { flag, searchDate } from './values.ts';

const FLAG_KEYS = new Set<string>([
  'ALL',
  'ANSWERED',
  'DELETED',
  'DRAFT',
  'FLAGGED',
  'NEW',
  'OLD',
  'RECENT',
  'SEEN',
  'UNANSWERED',
  'UNDELETED',
  'UNDRAFT',
  'UNFLAGGED',
  'UNSEEN',
]);
const STRING_KEYS = new Set(['BCC', 'BODY', 'CC', 'FROM', 'SUBJECT', 'TEXT', 'TO']);
const DATE_KEYS = new Set(['BEFORE', 'ON', 'SINCE', 'SENTBEFORE', 'SENTON', 'SENTSINCE']);

/** Charsets whose search strings we can decode; anything else is NO [BADCHARSET]. */
export const SEARCH_CHARSETS = ['US-ASCII', 'UTF-8', 'ISO-8859-1'];

export function decodeSearchString(buf: Buffer, charset: string): string {
  return charset === 'ISO-8859-1' ? buf.toString('latin1') : buf.toString('utf8');
}

const isKeyChar = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);

export function searchKey(c: Cursor, charset: string): SearchKey {
  c.count();
  const b = c.peek();
  if (b === 0x28) {
    const operands = c.list(() => searchKey(c, charset), false);
    return operands.length === 1 ? operands[0]! : { key: 'AND', operands };
  }
  if (isDigit(b) || b === 0x2a || b === 0x24) return { key: 'SEQ', set: c.sequenceSet() };
  const name = c.chars(isKeyChar).toUpperCase();
  const str = (): string => decodeSearchString(c.astring('search string'), charset);
  if (FLAG_KEYS.has(name)) return { key: name as SearchFlagKey };
  if (name === 'KEYWORD' || name === 'UNKEYWORD') {
    c.sp();
    return { key: name, flag: flag(c) };
  }
  if (STRING_KEYS.has(name)) {
    c.sp();
    return { key: name as 'BODY', value: str() };
  }
  if (name === 'HEADER') {
    c.sp();
    const field = c.astring('header field name').toString('latin1');
    c.sp();
    return { key: 'HEADER', field, value: str() };
  }
  if (DATE_KEYS.has(name)) {
    c.sp();
    return { key: name as 'ON', date: searchDate(c) };
  }
  if (name === 'LARGER' || name === 'SMALLER') {
    c.sp();
    return { key: name, size: c.number('size') };
  }
  if (name === 'UID') {
    c.sp();
    return { key: 'UID', set: c.sequenceSet() };
  }
  if (name === 'NOT') {
    c.sp();
    return c.nest(() => ({ key: 'NOT', operand: searchKey(c, charset) }));
  }
  if (name === 'OR') {
    c.sp();
    return c.nest(() => {
      const left = searchKey(c, charset);
      c.sp();
      return { key: 'OR', left, right: searchKey(c, charset) };
    });
  }
  return c.fail(name === '' ? 'Expected a search key' : `Unknown search key: ${name}`);
}

/** [RETURN (opts) SP] [CHARSET SP astring SP] search-key *(SP search-key). */
export function searchArgs(c: Cursor): { charset?: string; criteria: SearchKey; return?: string[] } {
  const out: { charset?: string; criteria: SearchKey; return?: string[] } = { criteria: { key: 'ALL' } };
  if (c.accept('RETURN ')) {
    out.return = c.list(() => c.atom('return option').toUpperCase());
    c.sp();
  }
  let charset = 'UTF-8';
  if (c.accept('CHARSET ')) {
    charset = c.astring('charset').toString('latin1').toUpperCase();
    if (!SEARCH_CHARSETS.includes(charset)) {
      throw new SyntaxFailure(`Unsupported charset ${charset}`, 'NO', {
        code: 'BADCHARSET',
        charsets: SEARCH_CHARSETS,
      });
    }
    out.charset = charset;
    c.sp();
  }
  const keys = [searchKey(c, charset)];
  while (c.optionalSp()) keys.push(searchKey(c, charset));
  out.criteria = keys.length === 1 ? keys[0]! : { key: 'AND', operands: keys };
  return out;
}
