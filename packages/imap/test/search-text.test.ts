import { Readable } from 'node:stream';
import { summarize } from '@mailstack/core';
import { describe, expect, it } from 'vitest';
import { decodedBodyText, mayNeedDecoding } from '../src/search/body-text.ts';

const MIXED = Buffer.concat([
  Buffer.from(
    [
      'Subject: mixed',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'plain words',
      '--b',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'soft=\r\nbroken caf=C3=A9',
      '--b',
      'Content-Type: text/plain; charset=iso-8859-1',
      'Content-Transfer-Encoding: 8bit',
      '',
      '',
    ].join('\r\n'),
    'latin1',
  ),
  Buffer.from('cr\u00e8me\r\n--b--\r\n', 'latin1'),
]);

describe('SEARCH text decoding', () => {
  it('decodes only the parts a search of the raw bytes cannot read', async () => {
    const { structure } = await summarize(Readable.from([MIXED]));
    const all = decodedBodyText(MIXED, structure);
    expect(all).toContain('plain words');
    const encoded = decodedBodyText(MIXED, structure, true);
    expect(encoded).not.toContain('plain words');
    expect(encoded).toContain('softbroken café');
    expect(encoded).toContain('crème');
  });

  it('needs no MIME parse for a message that declares no encoding or other charset', () => {
    expect(mayNeedDecoding(Buffer.from('Subject: a\r\n\r\nhello\r\n'))).toBe(false);
    expect(mayNeedDecoding(Buffer.from('Content-Type: text/plain; charset="UTF-8"\r\n\r\nhi\r\n'))).toBe(
      false,
    );
    expect(mayNeedDecoding(Buffer.from('Content-Type: text/plain; charset=us-ascii\r\n\r\nhi\r\n'))).toBe(
      false,
    );
    expect(mayNeedDecoding(Buffer.from('Content-Transfer-Encoding: Base64\r\n\r\naGk=\r\n'))).toBe(true);
    expect(mayNeedDecoding(Buffer.from('Content-Type: text/plain; charset=iso-8859-1\r\n\r\nhi\r\n'))).toBe(
      true,
    );
    expect(mayNeedDecoding(Buffer.from('Content-Type: text/plain; charset="utf-16"\r\n\r\nhi\r\n'))).toBe(
      true,
    );
    expect(mayNeedDecoding(MIXED)).toBe(true);
  });
});
