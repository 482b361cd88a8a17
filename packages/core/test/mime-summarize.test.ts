import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EnvelopeFields, MessageSummary, MimePart } from '../src/index.ts';
import { MessageSummarizer, summarize, summarizeBuffer } from '../src/mime/index.ts';

const corpusDir = join(dirname(fileURLToPath(import.meta.url)), 'corpus');
const read = (name: string) => readFileSync(join(corpusDir, name));
/** The wire form computed the simple way: every lone LF becomes CRLF. */
const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');
const toWire = (b: Buffer) => Buffer.from(crlf(b.toString('latin1')), 'latin1');

/** What a part must be: its type, its exact body text (LF form), its line count. */
interface Spec {
  type: string;
  body: string;
  lines: number;
  /** The header must start with this text (LF form); '' means an empty header. */
  header?: string;
  params?: Array<[string, string]>;
  fields?: Partial<MimePart>;
  parts?: Spec[];
  message?: { envelope?: EnvelopeFields; body: Spec };
}

function checkPart(wire: Buffer, part: MimePart, spec: Spec, path: string): void {
  const at = `part ${path}`;
  expect(`${part.type}/${part.subtype}`, at).toBe(spec.type);
  expect(wire.subarray(part.bodyStart, part.bodyEnd).toString('utf8'), at).toBe(crlf(spec.body));
  expect(part.bodyLines, at).toBe(spec.lines);
  if (spec.header !== undefined) {
    const header = wire.subarray(part.headerStart, part.bodyStart).toString('utf8');
    if (spec.header === '') expect(header, at).toBe('');
    else expect(header.startsWith(crlf(spec.header)), `${at} header: ${header}`).toBe(true);
  }
  if (spec.params !== undefined) expect(part.params, at).toEqual(spec.params);
  if (spec.fields !== undefined) expect(part, at).toMatchObject(spec.fields);
  if (spec.parts !== undefined) {
    expect(part.parts?.length, at).toBe(spec.parts.length);
    for (const [i, c] of spec.parts.entries()) checkPart(wire, part.parts![i]!, c, `${path}.${i + 1}`);
  } else {
    expect(part.parts, at).toBeUndefined();
  }
  if (spec.message !== undefined) {
    expect(part.message, at).toBeDefined();
    if (spec.message.envelope) expect(part.message!.envelope, at).toEqual(spec.message.envelope);
    checkPart(wire, part.message!.body, spec.message.body, `${path}[msg]`);
  } else {
    expect(part.message, at).toBeUndefined();
  }
}

/** Invariants for every part of every message, independent of the corpus expectations. */
function checkInvariants(wire: Buffer, part: MimePart, lo: number, hi: number): void {
  expect(part.headerStart).toBeGreaterThanOrEqual(lo);
  expect(part.bodyStart).toBeGreaterThanOrEqual(part.headerStart);
  expect(part.bodyEnd).toBeGreaterThanOrEqual(part.bodyStart);
  expect(part.bodyEnd).toBeLessThanOrEqual(hi);
  // Dovecot's rule: the lines of a body are the LFs inside it.
  let lfs = 0;
  for (let i = part.bodyStart; i < part.bodyEnd; i++) if (wire[i] === 10) lfs++;
  expect(part.bodyLines).toBe(lfs);
  let prevEnd = part.bodyStart;
  for (const child of part.parts ?? []) {
    checkInvariants(wire, child, prevEnd, part.bodyEnd);
    prevEnd = child.bodyEnd;
  }
  if (part.message) {
    expect(part.message.body.headerStart).toBe(part.bodyStart);
    expect(part.message.body.bodyEnd).toBe(part.bodyEnd);
    checkInvariants(wire, part.message.body, part.bodyStart, part.bodyEnd);
  }
}

const us = ['charset', 'us-ascii'] as [string, string];

const expected: Record<string, { envelope?: EnvelopeFields; root: Spec }> = {
  '01-simple-plain.eml': {
    envelope: {
      date: 'Mon, 23 Nov 2026 07:59:59 +0100',
      from: 'Alice Example <alice@example.org>',
      to: 'Bob <bob@example.net>',
      subject: 'Lunch tomorrow?',
      messageId: '<20261123075959.1234@example.org>',
    },
    root: {
      type: 'text/plain',
      header: 'Return-Path: <alice@example.org>\n',
      body: 'Hi Bob,\n\nare you free for lunch tomorrow at noon?\n\nAlice\n',
      lines: 5,
      params: [us],
      fields: { encoding: '7bit' },
    },
  },
  '02-no-trailing-newline.eml': {
    root: { type: 'text/plain', body: 'first line\nlast line without newline', lines: 1, params: [us] },
  },
  '03-header-only.eml': {
    envelope: {
      from: 'alice@example.org',
      to: 'bob@example.net',
      subject: 'only a header',
      date: 'Mon, 23 Nov 2026 08:01:00 +0000',
    },
    root: { type: 'text/plain', body: '', lines: 0 },
  },
  '04-empty-body.eml': { root: { type: 'text/plain', body: '', lines: 0, params: [['charset', 'utf-8']] } },
  '05-missing-content-type.eml': {
    root: {
      type: 'text/plain',
      body: 'Grüße aus Köln.\n',
      lines: 1,
      params: [us],
      fields: { encoding: '8bit' },
    },
  },
  '06-content-type-no-subtype.eml': {
    root: { type: 'text/', body: 'A type without a subtype.\n', lines: 1, params: [us] },
  },
  '07-broken-content-type.eml': {
    root: {
      type: 'text/plain',
      body: 'Broken=20type.\n',
      lines: 1,
      params: [us],
      fields: { encoding: 'quoted-printable' },
    },
  },
  '08-folded-headers.eml': {
    envelope: {
      from: '"Alice Example" <alice@example.org>',
      to: 'Bob <bob@example.net>,\tCarol <carol@example.net>,  Dave <dave@example.net>',
      subject: 'a subject folded over\tthree lines',
      date: 'Mon, 23 Nov 2026 08:04:00 +0000',
      messageId: '<folded.1@example.org>',
    },
    root: {
      type: 'text/plain',
      body: 'Folded headers.\n',
      lines: 1,
      params: [
        ['charset', 'iso-8859-1'],
        ['format', 'flowed'],
        ['delsp', 'yes'],
      ],
    },
  },
  '09-duplicate-headers.eml': {
    envelope: {
      from: 'first@example.org',
      to: 'bob@example.net',
      subject: 'first subject',
      date: 'Mon, 23 Nov 2026 08:05:00 +0000',
    },
    root: {
      type: 'text/plain',
      body: 'Only the first of each header counts.\n',
      lines: 1,
      params: [['charset', 'utf-8']],
      fields: { encoding: '8bit' },
    },
  },
  '10-long-header-line.eml': {
    root: { type: 'text/plain', body: 'Long header lines.\n', lines: 1, params: [us] },
  },
  '11-rfc2047-headers.eml': {
    envelope: {
      from: '=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>',
      to: '=?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>',
      subject: '=?UTF-8?B?w5xiZXIgZGllIEJyw7xja2U=?= und =?UTF-8?Q?zur=C3=BCck?=',
      date: 'Mon, 23 Nov 2026 08:06:00 +0100',
    },
    root: { type: 'text/plain', body: 'Encoded words stay encoded in the envelope.\n', lines: 1 },
  },
  '12-raw-utf8-headers.eml': {
    envelope: {
      from: 'Jürgen Müller <jürgen@example.de>',
      to: '山田太郎 <taro@example.jp>',
      subject: 'Größenänderung — 日本語の件名',
      date: 'Mon, 23 Nov 2026 08:07:00 +0900',
    },
    root: { type: 'text/plain', body: 'UTF-8 in header fields (RFC 6532).\n', lines: 1 },
  },
  '13-quoted-printable.eml': {
    root: {
      type: 'text/plain',
      body:
        'Gr=C3=BC=C3=9Fe, this line is long enough that it needs a soft line break=\n' +
        ' in quoted-printable.\nEquals sign: =3D\n',
      lines: 3,
      fields: { encoding: 'quoted-printable' },
    },
  },
  '14-base64-attachment.eml': {
    root: {
      type: 'multipart/mixed',
      body: '', // checked through the parts and invariants
      lines: 14,
      params: [['boundary', '----=_Part_0_1234']],
      parts: [
        {
          type: 'text/plain',
          header: 'Content-Type: text/plain; charset=utf-8\n',
          body: 'The report is attached.',
          lines: 0,
          fields: { encoding: '7bit' },
        },
        {
          type: 'application/pdf',
          body:
            'JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZURl\n' +
            'Y29kZT4+CnN0cmVhbQp4nDPQM1Qo5ypUMABCU0MjBTNTQ4WiVC4XCSUAAFYGBHgKZW5kc3RyZWFt\n' +
            'CmVuZG9iagoK',
          lines: 2,
          params: [['name', 'report.pdf']],
          fields: {
            encoding: 'base64',
            disposition: { type: 'attachment', params: [['filename', 'report.pdf']] },
          },
        },
      ],
    },
  },
  '15-mixed-with-attachments.eml': {
    root: {
      type: 'multipart/mixed',
      body: '',
      lines: 27,
      parts: [
        {
          type: 'text/plain',
          body: 'See the attachments.\n',
          lines: 1,
          params: [
            ['charset', 'utf-8'],
            ['format', 'flowed'],
          ],
          fields: { language: ['en-GB', 'de'], encoding: '7bit' },
        },
        {
          type: 'image/png',
          body:
            'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6\n' +
            'kgAAAABJRU5ErkJggg==\n',
          lines: 2,
          params: [['name', 'dot.png']],
          fields: {
            id: '<dot@example.org>',
            description: 'A single dot',
            encoding: 'base64',
            md5: 'Q2hlY2sgSW50ZWdyaXR5IQ==',
            location: 'https://example.org/dot.png',
            disposition: {
              type: 'attachment',
              params: [
                ['filename', 'dot.png'],
                ['size', '68'],
              ],
            },
          },
        },
        {
          type: 'text/csv',
          body: 'a,b,c\n1,2,3\n',
          lines: 2,
          params: [
            ['charset', 'us-ascii'],
            ['name', 'data.csv'],
          ],
          // Dovecot keeps the disposition type as written; parameter names are lower-cased.
          fields: { disposition: { type: 'ATTACHMENT', params: [['filename', 'data.csv']] } },
        },
      ],
    },
  },
  '16-alternative-in-mixed.eml': {
    root: {
      type: 'multipart/mixed',
      body: '',
      lines: 20,
      parts: [
        {
          type: 'multipart/alternative',
          header: 'Content-Type: multipart/alternative; boundary="alt-1"\n\n',
          body:
            '--alt-1\nContent-Type: text/plain; charset=utf-8\n\nHello in plain text.\n--alt-1\n' +
            'Content-Type: text/html; charset=utf-8\n\n<p>Hello in <b>HTML</b>.</p>\n--alt-1--\n',
          lines: 9,
          parts: [
            { type: 'text/plain', body: 'Hello in plain text.', lines: 0 },
            {
              type: 'text/html',
              body: '<p>Hello in <b>HTML</b>.</p>',
              lines: 0,
              params: [['charset', 'utf-8']],
            },
          ],
        },
        {
          type: 'application/octet-stream',
          body: 'AAECAwQFBgcICQ==',
          lines: 0,
          params: [],
          fields: { disposition: { type: 'attachment', params: [['filename', 'blob.bin']] } },
        },
      ],
    },
  },
  '17-related-inline-image.eml': {
    root: {
      type: 'multipart/related',
      body: '',
      lines: 21,
      params: [
        ['type', 'multipart/alternative'],
        ['boundary', 'rel'],
      ],
      parts: [
        {
          type: 'multipart/alternative',
          body:
            '--alt\nContent-Type: text/plain; charset=us-ascii\n\nNewsletter (plain)\n--alt\n' +
            'Content-Type: text/html; charset=us-ascii\n\n<img src="cid:logo@example.org">\n--alt--\n',
          lines: 9,
          parts: [
            { type: 'text/plain', body: 'Newsletter (plain)', lines: 0 },
            { type: 'text/html', body: '<img src="cid:logo@example.org">', lines: 0 },
          ],
        },
        {
          type: 'image/gif',
          body: 'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7',
          lines: 0,
          fields: { id: '<logo@example.org>', disposition: { type: 'inline', params: [] } },
        },
      ],
    },
  },
  '18-rfc822-attachment-multipart.eml': {
    root: {
      type: 'multipart/mixed',
      body: '',
      lines: 28,
      parts: [
        { type: 'text/plain', body: 'Forwarding the original below.', lines: 0 },
        {
          type: 'message/rfc822',
          body:
            'From: carol@example.net\nTo: alice@example.org\nCc: dave@example.net\nSubject: original\n' +
            'Date: Sun, 22 Nov 2026 18:00:00 +0000\nMessage-ID: <orig.1@example.net>\n' +
            'In-Reply-To: <older.0@example.org>\nMIME-Version: 1.0\n' +
            'Content-Type: multipart/alternative; boundary="inner"\n\n--inner\n' +
            'Content-Type: text/plain; charset=utf-8\n\nOriginal text.\n--inner\n' +
            'Content-Type: text/html; charset=utf-8\n\n<p>Original text.</p>\n--inner--\n',
          lines: 19,
          params: [],
          fields: { disposition: { type: 'attachment', params: [['filename', 'original.eml']] } },
          message: {
            envelope: {
              from: 'carol@example.net',
              to: 'alice@example.org',
              cc: 'dave@example.net',
              subject: 'original',
              date: 'Sun, 22 Nov 2026 18:00:00 +0000',
              messageId: '<orig.1@example.net>',
              inReplyTo: '<older.0@example.org>',
            },
            body: {
              type: 'multipart/alternative',
              header: 'From: carol@example.net\n',
              body:
                '--inner\nContent-Type: text/plain; charset=utf-8\n\nOriginal text.\n--inner\n' +
                'Content-Type: text/html; charset=utf-8\n\n<p>Original text.</p>\n--inner--\n',
              lines: 9,
              parts: [
                { type: 'text/plain', body: 'Original text.', lines: 0 },
                { type: 'text/html', body: '<p>Original text.</p>', lines: 0 },
              ],
            },
          },
        },
      ],
    },
  },
  '19-digest.eml': {
    root: {
      type: 'multipart/digest',
      body: '',
      lines: 18,
      parts: [
        {
          type: 'message/rfc822',
          header: '\n',
          body: 'From: a@example.org\nSubject: first post\n\nFirst post.',
          lines: 3,
          params: [],
          message: {
            envelope: { from: 'a@example.org', subject: 'first post' },
            body: { type: 'text/plain', body: 'First post.', lines: 0, params: [us] },
          },
        },
        {
          type: 'message/rfc822',
          body: 'From: b@example.org\nSubject: second post\nContent-Type: text/plain; charset=utf-8\n\nSecond post.',
          lines: 4,
          message: {
            body: { type: 'text/plain', body: 'Second post.', lines: 0, params: [['charset', 'utf-8']] },
          },
        },
        { type: 'text/plain', body: 'Footer of the digest.', lines: 0, params: [us] },
      ],
    },
  },
  '20-rfc2231-params.eml': {
    root: {
      type: 'multipart/mixed',
      body: '',
      lines: 18,
      parts: [
        {
          type: 'application/octet-stream',
          body: 'euro rates.',
          lines: 0,
          // As Dovecot: continuations joined, the extended value left encoded, name gets a '*'.
          params: [['name*', "utf-8''%E2%82%AC%20rates%20for%202026.txt"]],
          fields: {
            disposition: {
              type: 'attachment',
              params: [
                ['size', '12'],
                ['filename*', "utf-8''%E2%82%AC%20rates for 2026.txt"],
              ],
            },
          },
        },
        {
          type: 'text/plain',
          body: 'Parameters.',
          lines: 0,
          params: [
            ['charset', 'us-ascii'],
            ['note', 'split value'],
            ['title*', "us-ascii'en'This%20is%20%2A%2A%2Afun%2A%2A%2A"],
          ],
        },
      ],
    },
  },
  '21-preamble-epilogue.eml': {
    root: {
      type: 'multipart/mixed',
      body: '',
      lines: 15,
      parts: [
        { type: 'text/plain', header: '\n', body: 'Part one has no header at all.', lines: 0, params: [us] },
        { type: 'text/plain', body: 'Part two.\n', lines: 1 },
      ],
    },
  },
  '22-missing-final-boundary.eml': {
    root: {
      type: 'multipart/mixed',
      body: '',
      lines: 8,
      parts: [
        { type: 'text/plain', body: 'Part one.', lines: 0 },
        { type: 'text/plain', body: 'Part two runs to the end of the message.\n', lines: 1 },
      ],
    },
  },
  '23-broken-boundary.eml': {
    root: {
      type: 'multipart/mixed',
      body: '--different\nContent-Type: text/plain\n\nThis text is not a part.\n--different--\n',
      lines: 5,
      // Dovecot shows a multipart without parts as one empty text/plain part.
      parts: [{ type: 'text/plain', header: '', body: '', lines: 0, params: [us] }],
    },
  },
  '24-multipart-no-boundary-param.eml': {
    root: {
      type: 'multipart/mixed',
      body: '--\nContent-Type: text/plain\n\nNot a part either.\n',
      lines: 4,
      params: [],
      parts: [{ type: 'text/plain', header: '', body: '', lines: 0 }],
    },
  },
  '25-deep-nesting.eml': { root: deepSpec(0) },
  '26-comments-in-headers.eml': {
    envelope: {
      from: 'alice@example.org (Alice)',
      to: 'bob@example.net (Bob)',
      subject: 'comments (in MIME headers)',
    },
    root: {
      type: 'text/plain',
      body: 'Q29tbWVudHMgYXJlIHNraXBwZWQu\n',
      lines: 1,
      params: [
        ['charset', 'utf-8'],
        ['format', 'flowed'],
      ],
      fields: { encoding: 'base64' },
    },
  },
  '27-message-rfc822-plain.eml': {
    root: {
      type: 'message/rfc822',
      body:
        'From: carol@example.net\nTo: alice@example.org\nSubject: the inner message\n' +
        'Date: Sun, 22 Nov 2026 10:00:00 +0000\n\nInner body line 1.\nInner body line 2.\n',
      lines: 7,
      message: {
        envelope: {
          from: 'carol@example.net',
          to: 'alice@example.org',
          subject: 'the inner message',
          date: 'Sun, 22 Nov 2026 10:00:00 +0000',
        },
        body: { type: 'text/plain', body: 'Inner body line 1.\nInner body line 2.\n', lines: 2 },
      },
    },
  },
  '28-nested-rfc822.eml': {
    root: {
      type: 'multipart/mixed',
      body: '',
      lines: 16,
      parts: [
        {
          type: 'message/rfc822',
          body:
            'From: carol@example.net\nSubject: Fwd: deep\nMIME-Version: 1.0\nContent-Type: message/rfc822\n\n' +
            'From: dave@example.net\nSubject: deep\nReply-To: dave-list@example.net\n' +
            'Sender: bounce@example.net\nBcc: hidden@example.net\n\nInnermost.',
          lines: 11,
          message: {
            envelope: { from: 'carol@example.net', subject: 'Fwd: deep' },
            body: {
              type: 'message/rfc822',
              body:
                'From: dave@example.net\nSubject: deep\nReply-To: dave-list@example.net\n' +
                'Sender: bounce@example.net\nBcc: hidden@example.net\n\nInnermost.',
              lines: 6,
              message: {
                envelope: {
                  from: 'dave@example.net',
                  subject: 'deep',
                  replyTo: 'dave-list@example.net',
                  sender: 'bounce@example.net',
                  bcc: 'hidden@example.net',
                },
                body: { type: 'text/plain', body: 'Innermost.', lines: 0 },
              },
            },
          },
        },
      ],
    },
  },
  '29-signed-multipart.eml': {
    root: {
      type: 'multipart/signed',
      body: '',
      lines: 19,
      params: [
        ['micalg', 'pgp-sha1'],
        ['protocol', 'application/pgp-signature'],
        ['boundary', '=-GNQXLhuj24Pl1aCkk4/d'],
      ],
      parts: [
        {
          type: 'text/plain',
          body: 'There was a day=20\na happy=20day\n',
          lines: 2,
          fields: { encoding: 'quoted-printable' },
        },
        {
          type: 'application/pgp-signature',
          body:
            '-----BEGIN PGP SIGNATURE-----\nVersion: GnuPG v1.2.4 (GNU/Linux)\n\ninvalid\n' +
            '-----END PGP SIGNATURE-----\n',
          lines: 5,
          params: [['name', 'signature.asc']],
        },
      ],
    },
  },
  '30-empty-parts.eml': {
    root: {
      type: 'multipart/mixed',
      body: '',
      lines: 8,
      parts: [
        // The blank line before "--e" belongs to the boundary, so the header ends at its own line.
        { type: 'text/plain', header: 'Content-Type: text/plain\n', body: '', lines: 0 },
        { type: 'text/plain', header: '', body: '', lines: 0 },
        { type: 'application/octet-stream', body: '', lines: 0, params: [] },
      ],
    },
  },
  '31-boundary-padding.eml': {
    root: {
      type: 'multipart/alternative',
      body: '',
      lines: 9,
      parts: [
        { type: 'text/plain', body: 'padded one', lines: 0 },
        { type: 'text/plain', body: 'padded two', lines: 0 },
      ],
    },
  },
  '32-non-mime-content-headers.eml': {
    // No MIME-Version and no Content-Type: the Content-* fields are not MIME (Dovecot drops them).
    root: { type: 'text/plain', body: 'Tm90IE1JTUU=\n', lines: 1, params: [us] },
  },
  '33-uppercase-types.eml': {
    root: {
      type: 'text/html',
      body: '<P>UPPER</P>\n',
      lines: 1,
      params: [
        ['charset', 'UTF-8'],
        ['format', 'Flowed'],
      ],
      fields: { encoding: 'QUOTED-PRINTABLE' },
    },
  },
  '34-message-global.eml': {
    root: {
      type: 'multipart/mixed',
      body: '',
      lines: 8,
      parts: [
        {
          type: 'message/global',
          body: 'From: =?utf-8?q?J=C3=BCrgen?= <j@example.de>\nSubject: Grüße\n\nInner UTF-8 message.',
          lines: 3,
          message: {
            envelope: { from: '=?utf-8?q?J=C3=BCrgen?= <j@example.de>', subject: 'Grüße' },
            body: { type: 'text/plain', body: 'Inner UTF-8 message.', lines: 0 },
          },
        },
      ],
    },
  },
  '35-blank-line-before-boundary.eml': {
    root: {
      type: 'multipart/mixed',
      body: '',
      lines: 9,
      parts: [
        {
          type: 'text/plain',
          header:
            'Content-Type: text/plain\nContent-Description: header, blank line, then the next boundary\n',
          body: '',
          lines: 0,
          fields: { description: 'header, blank line, then the next boundary' },
        },
        { type: 'text/plain', body: 'not empty', lines: 0 },
      ],
    },
  },
};

function deepBody(level: number): string {
  if (level === 11) return '--L11\nContent-Type: text/plain\n\nThe innermost text.\n--L11--\n';
  // The close delimiter of the inner level is followed directly by ours: no CRLF is taken from it.
  return `--L${level}\nContent-Type: multipart/mixed; boundary="L${level + 1}"\n\n${deepBody(level + 1)}--L${level}--\n`;
}

function deepSpec(level: number): Spec {
  if (level === 12) return { type: 'text/plain', body: 'The innermost text.', lines: 0 };
  return {
    type: 'multipart/mixed',
    body: deepBody(level),
    lines: 49 - 4 * level,
    params: [['boundary', `L${level}`]],
    parts: [deepSpec(level + 1)],
  };
}

const corpus = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.eml'))
  .sort();

describe('MIME summary of the corpus', () => {
  it('has at least 30 messages, each with expectations', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(expected).sort()).toEqual(corpus);
  });

  for (const name of corpus) {
    it(name, () => {
      const raw = read(name);
      expect(raw.includes(13), 'corpus files are stored with LF line ends').toBe(false);
      const wire = toWire(raw);
      const s = summarizeBuffer(raw);
      const e = expected[name]!;
      expect(s.structure.headerStart).toBe(0);
      expect(s.structure.bodyEnd).toBe(wire.length);
      if (e.envelope) expect(s.envelope).toEqual(e.envelope);
      // A '' body on a multipart means: checked through its parts and the invariants only.
      const root = e.root;
      const spec = root.parts && root.body === '' ? withBody(root, wire, s.structure) : root;
      checkPart(wire, s.structure, spec, 'T');
      checkInvariants(wire, s.structure, 0, wire.length);
    });
  }

  it('gives identical summaries for the LF and the CRLF form of every message', () => {
    for (const name of corpus) {
      const raw = read(name);
      expect(summarizeBuffer(toWire(raw)), name).toEqual(summarizeBuffer(raw));
    }
  });

  it('gives identical summaries whatever the chunking, down to one byte', async () => {
    for (const name of corpus) {
      const raw = read(name);
      const whole = summarizeBuffer(raw);
      for (const size of [1, 2, 3, 7, 64, 1000]) {
        const s = new MessageSummarizer();
        for (let i = 0; i < raw.length; i += size) s.push(raw.subarray(i, i + size));
        expect(s.finish(), `${name} in chunks of ${size}`).toEqual(whole);
      }
      const wire = toWire(raw);
      const chunks: Buffer[] = [];
      for (let i = 0; i < wire.length; i += 5) chunks.push(wire.subarray(i, i + 5));
      expect(await summarize(Readable.from(chunks)), `${name} as a CRLF stream`).toEqual(whole);
    }
  });
});

/** Multipart bodies: the exact text between the header and the end, taken from the LF source. */
function withBody(spec: Spec, wire: Buffer, part: MimePart): Spec {
  const text = wire.subarray(part.bodyStart, part.bodyEnd).toString('utf8');
  // Independent check of where the body starts: right after the first blank line of the header.
  const all = wire.toString('utf8');
  const headerEnd = all.indexOf('\r\n\r\n', part.headerStart) + 4;
  expect(Buffer.byteLength(all.slice(0, headerEnd))).toBe(part.bodyStart);
  return { ...spec, body: text.replace(/\r\n/g, '\n') };
}

describe('line ends', () => {
  it('counts a lone LF as CRLF, keeps CRLF, keeps a bare CR as one byte', () => {
    const mixed = Buffer.from('Subject: x\r\nContent-Type: text/plain\n\r\na\rb\nc\r\nd');
    const s = summarizeBuffer(mixed);
    const wire = Buffer.from('Subject: x\r\nContent-Type: text/plain\r\n\r\na\rb\r\nc\r\nd');
    expect(s.structure).toMatchObject({ bodyStart: 40, bodyEnd: wire.length, bodyLines: 2 });
    expect(wire.subarray(40).toString()).toBe('a\rb\r\nc\r\nd');
  });

  it('handles a CR and its LF split across chunks', () => {
    const msg = Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n');
    const whole = summarizeBuffer(msg);
    for (let cut = 1; cut < msg.length; cut++) {
      const s = new MessageSummarizer();
      s.push(msg.subarray(0, cut));
      s.push(msg.subarray(cut));
      expect(s.finish(), `cut at ${cut}`).toEqual(whole);
    }
    expect(whole.structure.parts![0]).toMatchObject({ bodyStart: 52, bodyEnd: 53, bodyLines: 0 });
  });
});

describe('limits and hostile input', () => {
  it('keeps only 64 KiB of one header block but keeps counting offsets', () => {
    const huge = `Subject: ${'x'.repeat(200_000)}\nContent-Type: text/html\n\nbody\n`;
    const s = summarizeBuffer(Buffer.from(huge));
    expect(s.structure.bodyStart).toBe(huge.length - 5 + 3);
    expect(s.structure.bodyEnd).toBe(huge.length + 4);
    // The subject did not fit and was dropped whole; the Content-Type after it still fits.
    expect(s.envelope.subject).toBeUndefined();
    expect(s.structure.subtype).toBe('html');
  });

  it('does not nest deeper than 100 levels or count more than 10,000 parts', () => {
    let deep = '';
    for (let i = 0; i < 150; i++) deep += `Content-Type: multipart/mixed; boundary="b${i}"\n\n--b${i}\n`;
    deep += 'Content-Type: text/plain\n\ninner\n';
    let s = summarizeBuffer(Buffer.from(deep)).structure;
    let depth = 0;
    while (s.parts !== undefined) {
      s = s.parts[0]!;
      depth++;
    }
    expect(depth).toBe(99);
    expect(s.type).toBe('multipart');

    let many = 'Content-Type: multipart/mixed; boundary=m\n\n';
    for (let i = 0; i < 12_000; i++) many += '--m\n\nx\n';
    const wide = summarizeBuffer(Buffer.from(many)).structure;
    expect(wide.parts!.length).toBe(9_999);
    expect(wide.parts![9_998]!.bodyEnd).toBe(wide.bodyEnd);
  });

  it('never throws, hangs or leaves [0, size] on truncations and random bytes', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = Buffer.from('-\r\n\n\n: ;="\\()ab-\t b--\n--');
    for (const name of corpus) {
      const raw = read(name);
      for (let k = 0; k < 20; k++) {
        const cut = raw.subarray(0, rand(raw.length + 1));
        const mutated = Buffer.from(cut);
        for (let j = 0; j < 5 && mutated.length > 0; j++) {
          mutated[rand(mutated.length)] = rand(3) === 0 ? rand(256) : alphabet[rand(alphabet.length)]!;
        }
        for (const input of [cut, mutated]) {
          const wire = toWire(input);
          const s = summarizeBuffer(input);
          expect(s.structure.bodyEnd).toBe(wire.length);
          checkInvariants(wire, s.structure, 0, wire.length);
          expect(summarizeBuffer(wire)).toEqual(s);
        }
      }
    }
    for (let k = 0; k < 200; k++) {
      const noise = Buffer.alloc(rand(3000));
      for (let i = 0; i < noise.length; i++)
        noise[i] = rand(4) === 0 ? alphabet[rand(alphabet.length)]! : rand(256);
      const wire = toWire(noise);
      const s: MessageSummary = summarizeBuffer(noise);
      checkInvariants(wire, s.structure, 0, wire.length);
    }
  });
});
