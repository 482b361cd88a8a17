import { describe, expect, it } from 'vitest';
import {
  parseContentType,
  parseDisposition,
  parseLanguage,
  parseTransferEncoding,
} from '../src/mime/content-fields.ts';
import { summarizeBuffer } from '../src/mime/index.ts';

describe('Content-Type parsing (as Dovecot reads it)', () => {
  it('lower-cases type, subtype and parameter names, keeps values, unquotes', () => {
    expect(parseContentType('Text/HTML; Charset="UTF-8"; name="a \\"b\\".html"')).toEqual({
      type: 'text',
      subtype: 'html',
      params: [
        ['charset', 'UTF-8'],
        ['name', 'a "b".html'],
      ],
    });
  });

  it('skips comments and spaces around the slash and the parameters', () => {
    expect(parseContentType(' (c) text (x) / (y) plain (z) ; (p) charset = us-ascii (q)')).toEqual({
      type: 'text',
      subtype: 'plain',
      params: [['charset', 'us-ascii']],
    });
  });

  it('keeps a type without subtype, drops parameters of a broken value, maps an empty type to text/plain', () => {
    expect(parseContentType('image')).toEqual({ type: 'image', subtype: '', params: [] });
    expect(parseContentType('text/')).toEqual({ type: 'text', subtype: '', params: [] });
    expect(parseContentType('text/plain (unclosed; charset=x')).toEqual({
      type: 'text',
      subtype: 'plain',
      params: [],
    });
    expect(parseContentType('')).toEqual({ type: 'text', subtype: 'plain', params: [] });
    expect(parseContentType(';;;')).toEqual({ type: 'text', subtype: 'plain', params: [] });
  });

  it('skips one character after a broken parameter, as Dovecot does, and accepts unquoted encoded words', () => {
    // "junk" stops at the ';' that starts "charset", which is then skipped: Dovecot loses charset too.
    expect(parseContentType('text/plain; junk; charset=utf-8; a b=c; name==?utf-8?q?x?=').params).toEqual([
      ['name', '=?utf-8?q?x?='],
    ]);
    expect(parseContentType('text/plain; a b; charset=utf-8').params).toEqual([['charset', 'utf-8']]);
    expect(parseContentType('text/plain; charset=').params).toEqual([['charset', '']]);
    expect(parseContentType('text/plain; name="unterminated').params).toEqual([]);
  });

  it('joins RFC 2231 continuations after the plain parameters, values left encoded', () => {
    expect(
      parseContentType('application/x; b*1="2"; a=1; b*0="1"; c*=utf-8\'\'%41; d*0*=x\'\'y; d*1=%z; e*2=lost')
        .params,
    ).toEqual([
      ['a', '1'],
      ['b', '12'],
      ['c*', "utf-8''%41"],
      ['d*', "x''y%25z"],
      ['e*2', 'lost'],
    ]);
  });
});

describe('other Content-* fields', () => {
  it('reads Content-Transfer-Encoding only when it is a single token', () => {
    expect(parseTransferEncoding(' Base64 (comment)')).toBe('Base64');
    expect(parseTransferEncoding('base64 junk')).toBeUndefined();
    expect(parseTransferEncoding('')).toBeUndefined();
  });

  it('reads Content-Disposition type and parameters', () => {
    expect(parseDisposition('inline; filename="x.png"; size=3')).toEqual({
      type: 'inline',
      params: [
        ['filename', 'x.png'],
        ['size', '3'],
      ],
    });
  });

  it('reads Content-Language as a list of tags', () => {
    expect(parseLanguage(' en-GB , de (German), fr')).toEqual(['en-GB', 'de', 'fr']);
    expect(parseLanguage('(none)')).toBeUndefined();
  });
});

describe('structure edge cases', () => {
  it('gives an encapsulated message whose first line is a boundary the blank line (Dovecot)', () => {
    const head = 'Content-Type: multipart/mixed; boundary="b"\n\n--b\n';
    const part = 'Content-Type: message/rfc822\n';
    const msg = `${head}${part}\n--b--\n`;
    const s = summarizeBuffer(Buffer.from(msg)).structure;
    const wire = msg.replace(/\n/g, '\r\n');
    const cut = (head + part).replace(/\n/g, '\r\n').length;
    const p = s.parts![0]!;
    expect(p).toMatchObject({
      type: 'message',
      subtype: 'rfc822',
      bodyStart: cut,
      bodyEnd: cut,
      bodyLines: 0,
    });
    expect(p.message!.body).toMatchObject({ headerStart: cut, bodyStart: cut, bodyEnd: cut });
    expect(s.bodyEnd).toBe(wire.length);
  });

  it('defaults a part without Content-Type to message/rfc822 only directly under multipart/digest', () => {
    const msg =
      'Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: in digest\n\nx\n--d\n' +
      'Content-Type: multipart/mixed; boundary=m\n\n--m\n\nplain\n--m--\n--d--\n';
    const s = summarizeBuffer(Buffer.from(msg)).structure;
    expect(s.parts!.map((p) => `${p.type}/${p.subtype}`)).toEqual(['message/rfc822', 'multipart/mixed']);
    expect(s.parts![0]!.message!.envelope).toEqual({ subject: 'in digest' });
    expect(s.parts![1]!.parts!.map((p) => `${p.type}/${p.subtype}`)).toEqual(['text/plain']);
  });

  it('keeps header bytes that are not UTF-8 as one lone surrogate per byte (the bytes come back)', () => {
    const s = summarizeBuffer(
      Buffer.concat([Buffer.from('Subject: caf'), Buffer.from([0xe9]), Buffer.from('\n\nx')]),
    );
    expect(s.envelope.subject).toBe('caf\udce9');
    expect(Buffer.from(s.envelope.subject ?? '', 'latin1')).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  });
});
