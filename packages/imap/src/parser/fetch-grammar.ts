/** FETCH attributes (RFC 3501 fetch-att, RFC 3516 BINARY, RFC 7162 MODSEQ) and section specs. */
import { isAstringChar, isDigit } from './chars.ts';
import type { Cursor } from './cursor.ts';
import type { FetchAttribute, SectionSpec, SimpleFetchName } from './types.ts';

const SIMPLE = new Set<string>([
  'ENVELOPE',
  'FLAGS',
  'INTERNALDATE',
  'RFC822',
  'RFC822.HEADER',
  'RFC822.SIZE',
  'RFC822.TEXT',
  'BODY',
  'BODYSTRUCTURE',
  'UID',
  'MODSEQ',
]);

type SectionName = (FetchAttribute & { kind: 'section' })['name'];

const simple = (name: SimpleFetchName): FetchAttribute => ({ kind: 'simple', name });

export const FETCH_MACROS: Record<'ALL' | 'FAST' | 'FULL', FetchAttribute[]> = {
  FAST: [simple('FLAGS'), simple('INTERNALDATE'), simple('RFC822.SIZE')],
  ALL: [simple('FLAGS'), simple('INTERNALDATE'), simple('RFC822.SIZE'), simple('ENVELOPE')],
  FULL: [simple('FLAGS'), simple('INTERNALDATE'), simple('RFC822.SIZE'), simple('ENVELOPE'), simple('BODY')],
};

const isNameChar = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2e;

/** section-spec inside [...]: part path, then HEADER / HEADER.FIELDS[.NOT] (list) / TEXT / MIME. */
export function sectionSpec(c: Cursor, binary: boolean): SectionSpec {
  c.expect('[');
  const spec: SectionSpec = { part: [] };
  while (isDigit(c.peek())) {
    spec.part.push(c.nzNumber('section part'));
    if (c.peekChar() !== '.') break;
    c.expect('.');
  }
  if (c.peekChar() !== ']') {
    if (binary) c.fail('BINARY takes only a part number');
    const name = c.chars(isNameChar).toUpperCase();
    if (name === 'HEADER' || name === 'TEXT') {
      spec.specifier = name;
    } else if (name === 'MIME' && spec.part.length > 0) {
      spec.specifier = 'MIME';
    } else if (name === 'HEADER.FIELDS' || name === 'HEADER.FIELDS.NOT') {
      spec.specifier = name;
      c.sp();
      spec.fields = c.list(() => c.astring('header field name').toString('latin1').toUpperCase(), false);
      if (spec.fields.some((f) => f === '' || /[\x00-\x20:\x7f-\xff]/.test(f)))
        c.fail('Invalid header field name');
    } else {
      c.fail(`Invalid section: ${name || c.peekChar()}`);
    }
  }
  c.expect(']');
  return spec;
}

/** One fetch-att. */
export function fetchAttribute(c: Cursor): FetchAttribute {
  c.count();
  const name = c.chars((b) => isNameChar(b) || isDigit(b)).toUpperCase();
  if (c.peekChar() !== '[') {
    if (!SIMPLE.has(name))
      c.fail(name === '' ? 'Expected a fetch attribute' : `Unknown fetch attribute: ${name}`);
    return simple(name as SimpleFetchName);
  }
  const kinds: Record<string, [SectionName, boolean]> = {
    BODY: ['BODY', false],
    'BODY.PEEK': ['BODY', true],
    BINARY: ['BINARY', false],
    'BINARY.PEEK': ['BINARY', true],
    'BINARY.SIZE': ['BINARY.SIZE', true],
  };
  const kind = kinds[name];
  if (!kind) c.fail(`Unknown fetch attribute: ${name}[`);
  const section = sectionSpec(c, kind[0] !== 'BODY');
  const att: FetchAttribute = { kind: 'section', name: kind[0], peek: kind[1], section };
  if (c.peekChar() === '<') {
    if (kind[0] === 'BINARY.SIZE') c.fail('BINARY.SIZE takes no partial');
    c.expect('<');
    const offset = c.number('partial offset');
    c.expect('.');
    const length = c.nzNumber('partial length');
    c.expect('>');
    att.partial = { offset, length };
  }
  return att;
}

/** The fetch items: a macro, one attribute or a parenthesised list. */
export function fetchItems(c: Cursor): { attributes: FetchAttribute[]; macro?: 'ALL' | 'FAST' | 'FULL' } {
  if (c.peekChar() === '(') return { attributes: c.list(() => fetchAttribute(c), false) };
  const start = c.mark();
  const word = c.chars(isAstringChar).toUpperCase();
  if (word === 'ALL' || word === 'FAST' || word === 'FULL')
    return { attributes: FETCH_MACROS[word], macro: word };
  c.reset(start);
  return { attributes: [fetchAttribute(c)] };
}

/** The section label a FETCH response names, e.g. BODY[1.HEADER.FIELDS (FROM TO)]<0>. */
export function formatSectionLabel(att: FetchAttribute & { kind: 'section' }): string {
  const s = att.section;
  let spec = s.part.join('.');
  if (s.specifier) spec += (spec ? '.' : '') + s.specifier;
  if (s.fields) spec += ` (${s.fields.join(' ')})`;
  const name = att.name === 'BINARY.SIZE' ? 'BINARY.SIZE' : att.name;
  return `${name}[${spec}]${att.partial ? `<${att.partial.offset}>` : ''}`;
}
