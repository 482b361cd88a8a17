/**
 * Generated messages for the ENVELOPE/BODYSTRUCTURE comparison with Dovecot: RFC 5322's
 * obsolete and odd syntax (section 4, and what real mail carries), one variation per message
 * so a difference names its cause:
 * - address lists (To) with comments inside and around addresses, groups with comments,
 *   display names given only as comments, source routes, quoted-pairs, folding and RFC 2047
 *   encoded words in odd places, missing parts, 8-bit bytes;
 * - the same address forms in From with odd or empty Sender/Reply-To;
 * - Subject, Date, Message-ID and In-Reply-To with comments, folding, encoded words, 8-bit;
 * - Content-Type and the other MIME fields: RFC 2231 continuations, comments, missing or
 *   odd boundaries, repeated fields, nested message/rfc822 (several levels).
 * LF line ends like the corpus; the store writes them as they are, both servers serve CRLF.
 */

export interface CorpusMessage {
  name: string;
  body: Buffer;
}

const HEAD = ['Date: Mon, 23 Nov 2026 10:00:00 +0000', 'Subject: generated', 'Message-ID: <gen@example.org>'];

/** Header lines (folded lines given with their `\n `), a blank line and a body. */
function message(headers: string[], body = 'body\n'): Buffer {
  return Buffer.from(`${headers.join('\n')}\n\n${body}`, 'latin1');
}

/** 8-bit header bytes as written (`\xfc` is one byte): latin1 keeps every code unit < 256 as one byte. */
const utf8Bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

/** Values of an address field, each in its own message. */
export const ADDRESS_VALUES: readonly string[] = [
  'alice@example.org',
  '(comment) alice@example.org',
  'alice(comment)@example.org',
  'alice@(comment)example.org',
  'alice@example.org(comment)',
  'alice @ example.org',
  'alice . smith @ example . org',
  'alice.(dot comment)smith@example.org',
  '"alice smith"@example.org',
  '"alice\\"q"@example.org',
  '"al\\ice"@example.org',
  'Alice (the first) <alice@example.org>',
  '(lead) Alice <alice@example.org> (trail)',
  'Alice <alice@example.org> (trail comment)',
  '<alice@example.org> (Alice Only)',
  'alice@example.org (Alice (nested) Only)',
  'alice@example.org (first) (second)',
  'alice@example.org ()',
  '(only a comment)',
  '"Alice" <alice@example.org>',
  '"Ali\\ce" <alice@example.org>',
  '"Al\\"ice" <alice@example.org>',
  '"Alice\\\\" <alice@example.org>',
  'Alice "the" Smith <alice@example.org>',
  'Alice. Smith <alice@example.org>',
  'Alice Q. Smith <alice@example.org>',
  'Alice  Smith <alice@example.org>',
  'Alice\tSmith\t<alice@example.org>',
  '"" <alice@example.org>',
  '"  " <alice@example.org>',
  'Alice (comment "with quote) <alice@example.org>',
  'Alice (comment \\) paren) <alice@example.org>',
  'Alice@example.org <alice@example.org>',
  '"alice@example.org" <alice@example.org>',
  '<@route.example:alice@example.org>',
  'Alice <@r1.example,@r2.example:alice@example.org>',
  'Alice <@r1.example, ,@r2.example:alice@example.org>',
  'Alice <@r1.example (c) , @r2.example:alice@example.org>',
  'Alice < alice @ example.org >',
  'Alice <alice@[192.0.2.1]>',
  'alice@[ 192.0.2.1 ]',
  'alice@[IPv6:2001:db8::1]',
  'Group: alice@example.org, bob@example.net;',
  'Group (comment): alice@example.org;',
  'Group: (only a comment);',
  'Group:;',
  'Group: ;',
  '"Quoted Group": alice@example.org;',
  'Group: alice@example.org',
  'Group: Alice <alice@example.org>, (c) bob@example.net (Bob);, carol@example.net',
  'a@example.org, Group: c@example.net;, e@example.org, Group2: ;',
  'Group: Inner: x@example.org;;',
  'Group: alice@example.org;; bob@example.net',
  '=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= <alice@example.org>',
  '=?UTF-8?B?QWxpY2U=?= <alice@example.org>',
  '"=?UTF-8?Q?Quoted_Encoded?=" <alice@example.org>',
  'Alice =?UTF-8?Q?M=C3=BCller?= Smith <alice@example.org>',
  '=?UTF-8?Q?a?= =?UTF-8?Q?b?= <alice@example.org>',
  'alice@example.org (=?UTF-8?Q?J=C3=BCrgen?=)',
  '=?UTF-8?Q?Group?=: alice@example.org;',
  '=?ISO-8859-1?Q?Andr=E9?= <andre@example.org>',
  '=?utf-8?q?broken <alice@example.org>',
  '=?UTF-8?Q?alice?=@example.org',
  'Alice\n <alice@example.org>',
  '"Alice\n Smith" <alice@example.org>',
  'Alice <alice@\n example.org>',
  'alice@example.org (a\n comment)',
  'alice@example.org,\n bob@example.net,\n\tcarol@example.net',
  'alice',
  '@example.org',
  'Alice',
  'Alice Smith',
  'Alice <>',
  '<>',
  'Alice <alice>',
  'Alice <alice@>',
  'Alice <@example.org>',
  'alice@example.org,',
  ', alice@example.org',
  'alice@example.org,,bob@example.net',
  'alice@example.org, , ,bob@example.net',
  'alice@example.org; bob@example.net',
  'Alice <alice@example.org',
  '"Alice <alice@example.org>',
  'Alice (unterminated comment <alice@example.org>',
  'alice@example.org bob@example.net',
  'Alice <alice@example.org> Bob <bob@example.net>',
  'Alice <alice@example.org> trailing words',
  'alice.@example.org',
  '.alice@example.org',
  'al..ice@example.org',
  'alice@example.org.',
  'alice@example..org',
  'ALICE@EXAMPLE.ORG',
  'alice@xn--mller-kva.example',
  utf8Bytes('Jürgen <j@example.de>'),
  utf8Bytes('"Jürgen Müller" <j@example.de>'),
  utf8Bytes('jürgen@example.de'),
  'J\xfcrgen <j@example.de>',
  'Alice <alice@example.org> , Bob <bob@example.net>',
  'Undisclosed recipients:;',
  'a\\b@example.org',
  'Alice <alice@example.org>\n (comment on a continuation line)',
  Array.from({ length: 30 }, (_, i) => `u${i}@example.org`).join(', '),
];

/** From with odd Sender and Reply-To (each falls back to From when empty or without address). */
const SENDER_CASES: ReadonlyArray<[string, string | null, string | null]> = [
  ['Alice <alice@example.org>', '(comment only)', ''],
  ['(Alice) alice@example.org', 'Group:;', 'Group: ;'],
  ['alice@example.org (Alice)', '<>', '"" <>'],
  ['Group: alice@example.org;', null, null],
  ['', 'bob@example.net', null],
  ['(only comment)', null, 'reply@example.org'],
  ['alice@example.org, bob@example.net', 'alice@example.org', null],
  ['Alice', '  ', '\n '],
];

/** Subject values. */
const SUBJECTS: readonly string[] = [
  '=?UTF-8?Q?encoded?= plain',
  'plain =?UTF-8?B?ZW5jb2RlZA==?=',
  '=?UTF-8?Q?one?= =?UTF-8?Q?two?=',
  '=?UTF-8?Q?one?=\n =?UTF-8?Q?two?=',
  'folded\n over\n\tthree lines',
  '  leading and trailing spaces  ',
  '(not a comment) subject',
  '"quoted" subject',
  'Re: Fwd: RE: re[2]: nested',
  '=?UTF-8?Q?broken',
  '=?UTF-8?X?unknown_encoding?=',
  '=?UNKNOWN-CHARSET?Q?text?=',
  '=?UTF-8*en?Q?with_language?=',
  utf8Bytes('8-bit Grüße'),
  'latin1 Gr\xfc\xdfe',
  'tab\tinside',
  '',
];

const DATES: readonly string[] = [
  'Mon, 23 Nov 2026 10:00:00 +0000 (UTC)',
  '23 Nov 2026 10:00 +0000',
  'Mon, 23 Nov 26 10:00:00 GMT',
  'Mon, 23 Nov 2026 10:00:00 EST',
  'Mon , 23 Nov 2026 10 : 00 : 00 -0500',
  'Mon,\n 23 Nov 2026 10:00:00 +0000',
  'not a date',
  '(comment) Mon, 23 Nov 2026 10:00:00 +0000',
];

const IDS: ReadonlyArray<[string, string]> = [
  ['<a@example.org> (comment)', '<b@example.org>'],
  ['(comment) <a@example.org>', '<b@example.org> <c@example.org>'],
  ['<a@example.org>\n', '\n <b@example.org>'],
  ['a@example.org', 'b@example.org'],
  ['<a (comment) @example.org>', '"quoted" <b@example.org>'],
  ['<"quoted local"@example.org>', '<b@[192.0.2.1]>'],
  ['<a@example.org><b@example.org>', 'junk'],
  ['   ', '<>'],
];

/** MIME messages: Content-Type and the other MIME fields in odd forms (header lines, blank line, body). */
const MIME: ReadonlyArray<[string, string]> = [
  ['2231-continuation', 'Content-Type: text/plain; name*0="long"; name*1="name.txt"\n\nx\n'],
  ['2231-encoded', "Content-Type: text/plain; name*=UTF-8''%E2%82%AC%20euro.txt\n\nx\n"],
  ['2231-encoded-continuation', "Content-Type: text/plain; name*0*=UTF-8''%E2%82%AC; name*1=rest.txt\n\nx\n"],
  [
    '2231-language',
    "Content-Type: text/plain; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A\n\nx\n",
  ],
  ['2231-out-of-order', 'Content-Type: text/plain; name*1="b"; name*0="a"\n\nx\n'],
  ['2231-gap', 'Content-Type: text/plain; name*0="a"; name*2="c"\n\nx\n'],
  ['2231-and-plain', 'Content-Type: text/plain; name="plain"; name*="utf-8\'\'star"\n\nx\n'],
  ['2231-disposition', "Content-Disposition: attachment; filename*0*=UTF-8''%C3%A4; filename*1=.txt\n\nx\n"],
  ['param-comment', 'Content-Type: text/plain; (comment) charset=utf-8 (another)\n\nx\n'],
  ['param-folded', 'Content-Type: text/plain;\n charset="utf-8";\n\tformat=flowed\n\nx\n'],
  ['param-no-space', 'Content-Type: text/plain;charset=utf-8;format=flowed\n\nx\n'],
  ['param-trailing-semicolon', 'Content-Type: text/plain; charset=utf-8;\n\nx\n'],
  ['param-no-value', 'Content-Type: text/plain; charset\n\nx\n'],
  ['param-empty-value', 'Content-Type: text/plain; charset=""\n\nx\n'],
  ['param-duplicate', 'Content-Type: text/plain; charset=utf-8; charset=iso-8859-1\n\nx\n'],
  ['param-quoted-pair', 'Content-Type: text/plain; name="a\\"b\\\\c"\n\nx\n'],
  ['param-8bit', `Content-Type: text/plain; name="${utf8Bytes('grüße.txt')}"\n\nx\n`],
  ['param-encoded-word', 'Content-Type: text/plain; name="=?UTF-8?Q?gr=C3=BC=C3=9Fe.txt?="\n\nx\n'],
  ['param-space-around-equals', 'Content-Type: text/plain; charset = utf-8\n\nx\n'],
  ['type-missing-subtype', 'Content-Type: text\n\nx\n'],
  ['type-with-comment', 'Content-Type: text/plain (a comment); charset=us-ascii\n\nx\n'],
  ['type-spaces', 'Content-Type: text / plain ; charset=us-ascii\n\nx\n'],
  ['type-unknown', 'Content-Type: application/x-whatever; foo=bar\n\nx\n'],
  ['content-type-twice', 'Content-Type: text/html\nContent-Type: text/plain\n\nx\n'],
  ['cte-odd-case-space', 'Content-Type: text/plain\nContent-Transfer-Encoding:  Base64 \n\neA==\n'],
  ['cte-unknown', 'Content-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\nx\n'],
  ['cte-comment', 'Content-Type: text/plain\nContent-Transfer-Encoding: 7bit (comment)\n\nx\n'],
  ['content-id-odd', 'Content-Type: text/plain\nContent-ID: (c) <id@example.org> (d)\n\nx\n'],
  [
    'description-encoded',
    'Content-Type: text/plain\nContent-Description: =?UTF-8?Q?gr=C3=BC=C3=9Fe?=\n\nx\n',
  ],
  ['language-list', 'Content-Type: text/plain\nContent-Language: en (English), de\n\nx\n'],
  ['location-folded', 'Content-Type: text/plain\nContent-Location: https://example.org/\n a/b\n\nx\n'],
  ['disposition-no-params', 'Content-Type: text/plain\nContent-Disposition: inline\n\nx\n'],
  ['disposition-odd', 'Content-Type: text/plain\nContent-Disposition: ; filename=x\n\nx\n'],
  [
    'disposition-comment',
    'Content-Type: text/plain\nContent-Disposition: attachment (c); filename="a b"\n\nx\n',
  ],
  ['md5', 'Content-Type: text/plain\nContent-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n\nx\n'],
  [
    'multipart-no-boundary',
    'Content-Type: multipart/mixed\n\n--x\nContent-Type: text/plain\n\nnot a part\n--x--\n',
  ],
  [
    'multipart-empty-boundary',
    'Content-Type: multipart/mixed; boundary=""\n\n--\nContent-Type: text/plain\n\npart\n----\n',
  ],
  [
    'multipart-boundary-spaces',
    'Content-Type: multipart/mixed; boundary="a b c"\n\n--a b c\nContent-Type: text/plain\n\none\n--a b c\n\ntwo\n--a b c--\n',
  ],
  [
    'multipart-boundary-2231',
    'Content-Type: multipart/mixed; boundary*0=ab; boundary*1=cd\n\n--abcd\nContent-Type: text/plain\n\none\n--abcd--\n',
  ],
  ['multipart-no-parts', 'Content-Type: multipart/mixed; boundary=b\n\njust a preamble\n'],
  [
    'multipart-no-end',
    'Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\none\n--b\nContent-Type: text/html\n\n<p>two</p>\n',
  ],
  [
    'multipart-digest',
    'Content-Type: multipart/digest; boundary=d\n\n--d\n\nFrom: (c) a@example.org\nSubject: in digest\n\nbody\n--d\nContent-Type: text/plain\n\nplain\n--d--\n',
  ],
  [
    'multipart-part-without-headers',
    'Content-Type: multipart/mixed; boundary=b\n\n--b\n\nno headers\n--b\n\n\n--b--\n',
  ],
];

/** message/rfc822 inside message/rfc822 (up to three levels), the innermost with odd addresses. */
const NESTED: ReadonlyArray<[string, string]> = [
  ['rfc822-1', 'Content-Type: message/rfc822\n\nFrom: <@r.example:x@example.org>\nTo: (only)\n\ninnermost\n'],
  [
    'rfc822-3',
    'Content-Type: message/rfc822\n\nFrom: (level 1) level1@example.org\nTo: Group1: (c) ;\nSubject: level 1\nContent-Type: message/rfc822\n\nFrom: (level 0) level0@example.org\nTo: Group0: (c) ;\nSubject: level 0\nContent-Type: message/rfc822\n\nFrom: "x\\"y" <x@example.org>\nSubject: =?UTF-8?Q?in?=\n\ninnermost\n',
  ],
  ['rfc822-empty', 'Content-Type: message/rfc822\n\n'],
  ['rfc822-headers-only', 'Content-Type: message/rfc822\n\nFrom: a@example.org\nSubject: no body\n'],
  [
    'rfc822-in-multipart',
    'Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain\n\nhi\n--m\nContent-Type: message/rfc822\n\nFrom: (level 0) level0@example.org\nTo: Group0: (c) ;\nSubject: level 0\nContent-Type: message/rfc822\n\nFrom: Group: a@example.org;\nContent-Type: text/plain; name*0=a; name*1=b\n\ninnermost\n\n--m--\n',
  ],
  [
    'rfc822-multipart-inside',
    'Content-Type: message/rfc822\n\nFrom: a@example.org\nContent-Type: multipart/alternative; boundary=z\n\n--z\nContent-Type: text/plain\n\none\n--z\nContent-Type: text/html\n\n<b>two</b>\n--z--\n',
  ],
];

const pad = (n: number): string => String(n).padStart(3, '0');

export const OBSOLETE_MESSAGES: ReadonlyArray<CorpusMessage> = [
  ...ADDRESS_VALUES.map((v, i) => ({
    name: `g-to-${pad(i)}.eml`,
    body: message(['From: Fixed <fixed@example.org>', `To: ${v}`, ...HEAD]),
  })),
  ...ADDRESS_VALUES.filter((_, i) => i % 3 === 0).map((v, i) => ({
    name: `g-from-${pad(i)}.eml`,
    body: message([`From: ${v}`, `Cc: ${v}`, `Bcc: ${v}`, ...HEAD]),
  })),
  ...SENDER_CASES.map(([from, sender, replyTo], i) => ({
    name: `g-sender-${pad(i)}.eml`,
    body: message([
      `From: ${from}`,
      ...(sender === null ? [] : [`Sender: ${sender}`]),
      ...(replyTo === null ? [] : [`Reply-To: ${replyTo}`]),
      ...HEAD,
    ]),
  })),
  ...SUBJECTS.map((s, i) => ({
    name: `g-subject-${pad(i)}.eml`,
    body: message(['From: a@example.org', `Subject: ${s}`, 'Date: Mon, 23 Nov 2026 10:00:00 +0000']),
  })),
  ...DATES.map((d, i) => ({
    name: `g-date-${pad(i)}.eml`,
    body: message(['From: a@example.org', `Date: ${d}`, 'Subject: date']),
  })),
  ...IDS.map(([id, reply], i) => ({
    name: `g-ids-${pad(i)}.eml`,
    body: message(['From: a@example.org', `Message-ID: ${id}`, `In-Reply-To: ${reply}`, 'Subject: ids']),
  })),
  ...[...MIME, ...NESTED].map(([name, text]) => ({
    name: `g-mime-${name}.eml`,
    body: Buffer.from(`From: a@example.org\nSubject: mime\nMIME-Version: 1.0\n${text}`, 'latin1'),
  })),
];
