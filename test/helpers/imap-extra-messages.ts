/**
 * Messages that the MIME corpus of packages/core/test/corpus does not cover, for the
 * ENVELOPE comparison with Dovecot: group syntax, empty and odd address lists, non-UTF-8
 * 8-bit header bytes, duplicated envelope fields. LF line ends like the corpus; the store
 * writes them as they are and both servers serve the CRLF form.
 */
export const EXTRA_MESSAGES: ReadonlyArray<{ name: string; body: Buffer }> = [
  {
    name: 'x01-group-addresses.eml',
    body: Buffer.from(
      [
        'From: Alice <alice@example.org>',
        'To: undisclosed-recipients:;',
        'Cc: Friends: bob@example.net, "Carol C." <carol@example.net>;, dave@example.net',
        'Bcc: =?UTF-8?Q?Gr=C3=BCppe?=: eve@example.net (Eve);',
        'Subject: group syntax',
        'Date: Mon, 23 Nov 2026 09:00:00 +0000',
        'Message-ID: <group.1@example.org>',
        '',
        'Groups in To, Cc and Bcc.',
        '',
      ].join('\n'),
    ),
  },
  {
    name: 'x02-empty-address-fields.eml',
    body: Buffer.from(
      [
        'From: alice@example.org',
        'To:',
        'Cc:   ',
        'Reply-To:',
        'Sender: ',
        'Bcc: <>',
        'Subject:',
        'In-Reply-To:',
        'Message-ID: ',
        'Date: Mon, 23 Nov 2026 09:01:00 +0000',
        '',
        'Every address field is empty; Sender and Reply-To must fall back to From.',
        '',
      ].join('\n'),
    ),
  },
  {
    name: 'x03-odd-addresses.eml',
    body: Buffer.from(
      [
        'From: "Quoted \\"Nick\\" Name" <nick@example.org>',
        'Sender: <@relay.example.net,@relay2.example.net:sender@example.org>',
        'Reply-To: replies@[192.0.2.7] (Reply Desk)',
        'To: bob, @example.net, "Dave" <dave@example.net>',
        'Cc: Mixed Case <MiXeD@Example.NET>, =?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>',
        'Subject: odd address lists',
        'Date: 23 Nov 2026 09:02 GMT',
        'In-Reply-To: <parent.1@example.org> <parent.0@example.org>',
        'Message-ID: <odd.1@example.org> (a comment)',
        '',
        'Missing domains, missing local parts, source routes, comments, address literals.',
        '',
      ].join('\n'),
    ),
  },
  {
    name: 'x04-latin1-header-bytes.eml',
    body: Buffer.concat([
      Buffer.from('From: '),
      Buffer.from('Andr\xe9 <andre@example.fr>', 'latin1'),
      Buffer.from('\nTo: bob@example.net\nSubject: '),
      Buffer.from('caf\xe9 cr\xe8me', 'latin1'),
      Buffer.from('\nDate: Mon, 23 Nov 2026 09:03:00 +0000\nMIME-Version: 1.0\n'),
      Buffer.from('Content-Type: text/plain; charset=iso-8859-1; name="r\xe9sum\xe9.txt"\n', 'latin1'),
      Buffer.from('Content-Transfer-Encoding: 8bit\n\n'),
      Buffer.from('Latin-1 bytes that are not UTF-8: caf\xe9.\n', 'latin1'),
    ]),
  },
  {
    name: 'x05-duplicate-envelope-fields.eml',
    body: Buffer.from(
      [
        'Subject: the first subject wins',
        'From: first@example.org',
        'To: one@example.net',
        'Date: Mon, 23 Nov 2026 09:04:00 +0000',
        'Message-ID: <first@example.org>',
        'Message-ID: <second@example.org>',
        'To: two@example.net',
        'Subject: the second subject loses',
        'Date: Tue, 24 Nov 2026 09:04:00 +0000',
        '',
        'Duplicated Subject, To, Date and Message-ID.',
        '',
      ].join('\n'),
    ),
  },
  {
    name: 'x06-rfc2047-everywhere.eml',
    body: Buffer.from(
      [
        'From: =?UTF-8?B?w4Fsdm9ybw==?= <alvaro@example.es>',
        'To: "=?UTF-8?Q?quoted_encoded?=" <q@example.net>, =?UTF-8?Q?a?= =?UTF-8?Q?b?= <ab@example.net>',
        'Subject: =?UTF-8?Q?=E2=82=AC_and?=\n =?UTF-8?Q?_folded?= plain "quotes" and \\ backslash',
        'Date: Mon, 23 Nov 2026 09:05:00 +0000',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="enc"',
        '',
        '--enc',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Description: =?UTF-8?Q?Beschreibung_=C3=BC?=',
        'Content-Disposition: inline; filename="=?UTF-8?Q?f=C3=BCr.txt?="',
        '',
        'inline part',
        '--enc',
        'Content-Type: application/octet-stream; name==?UTF-8?Q?x=C3=BC.bin?=',
        'Content-Disposition: attachment',
        'Content-Location: http://example.org/x.bin',
        'Content-Language: de',
        '',
        'AAAA',
        '--enc--',
        '',
      ].join('\n'),
    ),
  },
  {
    name: 'x07-null-list-members.eml',
    body: Buffer.from(
      [
        'From: alice@example.org',
        'To: carol@example.net, , dave@example.net,, eve@example.net,',
        'Cc: , frank@example.net',
        'Subject: null members in address lists',
        'Date: Mon, 23 Nov 2026 09:06:00 +0000',
        '',
        'RFC 5322 obs-addr-list: empty members between commas.',
        '',
      ].join('\n'),
    ),
  },
  {
    name: 'x08-quoted-local-part.eml',
    body: Buffer.from(
      [
        'From: "john doe"@example.org',
        'To: "Smith, J" <"j.smith"@example.org>, "a\\"b"@example.net',
        'Subject: quoted local parts',
        'Date: Mon, 23 Nov 2026 09:07:00 +0000',
        '',
        'Local parts that need quoting.',
        '',
      ].join('\n'),
    ),
  },
];
