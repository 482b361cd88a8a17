import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bufferBlob, type MessageSummary, type MimePart } from '@mailstack/core';
import { memoryMailboxStore } from '@mailstack/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { serializeToBuffer } from '../src/index.ts';
import { parseAddressList } from '../src/writer/address.ts';
import { readValues, type Value } from './read-response.ts';

const fetchWire = (items: Parameters<typeof serializeToBuffer>[0] & { type: 'fetch' }) =>
  serializeToBuffer(items).toString('utf8');
const bodystructure = (structure: MimePart, name: 'BODYSTRUCTURE' | 'BODY' = 'BODYSTRUCTURE') =>
  fetchWire({ type: 'fetch', seq: 1, items: [{ name, structure }] }).slice(
    `* 1 FETCH (${name} `.length,
    -')\r\n'.length,
  );
const envelope = (env: MessageSummary['envelope']) =>
  fetchWire({ type: 'fetch', seq: 1, items: [{ name: 'ENVELOPE', envelope: env }] }).slice(
    '* 1 FETCH (ENVELOPE '.length,
    -')\r\n'.length,
  );

describe('ENVELOPE addresses (RFC 5322 address lists)', () => {
  const CASES: Array<[string, ReturnType<typeof parseAddressList>]> = [
    ['alice@example.org', [{ kind: 'mailbox', name: null, mailbox: 'alice', host: 'example.org' }]],
    [
      'Alice Example <alice@example.org>',
      [{ kind: 'mailbox', name: 'Alice Example', mailbox: 'alice', host: 'example.org' }],
    ],
    [
      '"Example, Alice" <alice@example.org>',
      [{ kind: 'mailbox', name: 'Example, Alice', mailbox: 'alice', host: 'example.org' }],
    ],
    ['"Al \\"the\\" Ice" <a@b.c>', [{ kind: 'mailbox', name: 'Al "the" Ice', mailbox: 'a', host: 'b.c' }]],
    [
      'alice@example.org (Alice Comment)',
      [{ kind: 'mailbox', name: 'Alice Comment', mailbox: 'alice', host: 'example.org' }],
    ],
    [
      'John Q. Public <jqp@example.com>',
      [{ kind: 'mailbox', name: 'John Q. Public', mailbox: 'jqp', host: 'example.com' }],
    ],
    [
      '=?UTF-8?Q?J=C3=BCrgen?= <j@example.de>',
      [{ kind: 'mailbox', name: '=?UTF-8?Q?J=C3=BCrgen?=', mailbox: 'j', host: 'example.de' }],
    ],
    [
      '<@route1,@route2:user@host.org>',
      [{ kind: 'mailbox', name: null, mailbox: 'user', host: 'host.org', route: '@route1,@route2' }],
    ],
    ['"odd local"@example.org', [{ kind: 'mailbox', name: null, mailbox: 'odd local', host: 'example.org' }]],
    ['user@[192.0.2.1]', [{ kind: 'mailbox', name: null, mailbox: 'user', host: '[192.0.2.1]' }]],
    ['localonly', [{ kind: 'mailbox', name: null, mailbox: 'localonly', host: 'MISSING_DOMAIN' }]],
    [
      'Name Only <>',
      [{ kind: 'mailbox', name: 'Name Only', mailbox: 'MISSING_MAILBOX', host: 'MISSING_DOMAIN' }],
    ],
    [
      'a@b.c, "B" <b@c.d>,, c@d.e',
      [
        { kind: 'mailbox', name: null, mailbox: 'a', host: 'b.c' },
        { kind: 'mailbox', name: 'B', mailbox: 'b', host: 'c.d' },
        { kind: 'mailbox', name: null, mailbox: 'c', host: 'd.e' },
      ],
    ],
    [
      'undisclosed-recipients:;',
      [{ kind: 'group-start', name: 'undisclosed-recipients' }, { kind: 'group-end' }],
    ],
    // No comma after the group: the rest is not an address list any more (as in Dovecot).
    [
      'A Group: Ed <ed@x.org>, fred@y.org; after@z.org',
      [
        { kind: 'group-start', name: 'A Group' },
        { kind: 'mailbox', name: 'Ed', mailbox: 'ed', host: 'x.org' },
        { kind: 'mailbox', name: null, mailbox: 'fred', host: 'y.org' },
        { kind: 'group-end' },
      ],
    ],
    [
      'A Group: Ed <ed@x.org>;, after@z.org',
      [
        { kind: 'group-start', name: 'A Group' },
        { kind: 'mailbox', name: 'Ed', mailbox: 'ed', host: 'x.org' },
        { kind: 'group-end' },
        { kind: 'mailbox', name: null, mailbox: 'after', host: 'z.org' },
      ],
    ],
    // imaptest fetch-envelope: a group holding only a comment is an empty group.
    [
      'group:;, group2: (foo) ;',
      [
        { kind: 'group-start', name: 'group' },
        { kind: 'group-end' },
        { kind: 'group-start', name: 'group2' },
        { kind: 'group-end' },
      ],
    ],
    // Odd and obsolete forms, answered as Dovecot answers them (the interop corpus compares).
    ['(lead) alice@x.org', [{ kind: 'mailbox', name: null, mailbox: 'alice', host: 'x.org' }]],
    ['alice@x.org (first) (second)', [{ kind: 'mailbox', name: 'second', mailbox: 'alice', host: 'x.org' }]],
    [
      'Alice Smith',
      [{ kind: 'mailbox', name: 'Alice Smith', mailbox: 'MISSING_MAILBOX', host: 'MISSING_DOMAIN' }],
    ],
    ['Alice <alice>', [{ kind: 'mailbox', name: 'Alice', mailbox: 'alice', host: 'MISSING_DOMAIN' }]],
    ['Alice <alice@>', [{ kind: 'mailbox', name: 'Alice', mailbox: 'alice', host: 'SYNTAX_ERROR' }]],
    ['alice@x.org.', [{ kind: 'mailbox', name: null, mailbox: 'alice', host: 'MISSING_DOMAIN' }]],
    ['Alice@x.org <alice@x.org>', [{ kind: 'mailbox', name: null, mailbox: 'Alice', host: 'x.org' }]],
    ['alice@x.org; bob@y.org', [{ kind: 'mailbox', name: null, mailbox: 'alice', host: 'x.org' }]],
    ['"" <a@b.c>', [{ kind: 'mailbox', name: null, mailbox: 'a', host: 'b.c' }]],
    ['"  " <a@b.c>', [{ kind: 'mailbox', name: '', mailbox: 'a', host: 'b.c' }]],
    [
      'Al <@r1.x, ,@r2.x:a@b.c>',
      [{ kind: 'mailbox', name: 'Al', mailbox: 'a', host: 'b.c', route: '@r1.x,@r2.x' }],
    ],
    [
      'Al <@x.org>',
      [
        {
          kind: 'mailbox',
          name: 'Al',
          mailbox: 'MISSING_MAILBOX',
          host: 'MISSING_DOMAIN',
          route: 'INVALID_ROUTE',
        },
      ],
    ],
    [
      'Al (open <a@b.c>',
      [{ kind: 'mailbox', name: null, mailbox: 'MISSING_MAILBOX', host: 'MISSING_DOMAIN' }],
    ],
    [
      'G: Inner: x@y.org;;',
      [
        { kind: 'group-start', name: 'G' },
        { kind: 'mailbox', name: null, mailbox: 'Inner', host: 'MISSING_DOMAIN' },
        { kind: 'group-end' },
      ],
    ],
    ['', []],
    ['   ', []],
  ];
  for (const [input, expected] of CASES) {
    it(JSON.stringify(input), () => expect(parseAddressList(input)).toEqual(expected));
  }

  it('ENVELOPE: groups, NIL fields, sender and reply-to default to from', () => {
    expect(
      envelope({
        date: 'Wed, 17 Jul 1996 02:23:25 -0700 (PDT)',
        subject: 'IMAP4rev1 WG mtg summary and minutes',
        from: 'Terry Gray <gray@cac.washington.edu>',
        to: 'imap@cac.washington.edu',
        cc: 'minutes@CNRI.Reston.VA.US, "John Klensin" <KLENSIN@MIT.EDU>',
        bcc: 'Hidden: ;',
        messageId: '<B27397-0100000@cac.washington.edu>',
      }),
    ).toBe(
      '("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" ' +
        '(("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ' +
        '(("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ' +
        '((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) ' +
        '((NIL NIL "Hidden" NIL)(NIL NIL NIL NIL)) NIL "<B27397-0100000@cac.washington.edu>")',
    );
    expect(envelope({})).toBe('(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)');
    expect(envelope({ from: 'a@b.c', sender: '', replyTo: 'r@b.c', subject: '' })).toBe(
      '(NIL "" ((NIL NIL "a" "b.c")) ((NIL NIL "a" "b.c")) ((NIL NIL "r" "b.c")) NIL NIL NIL NIL NIL)',
    );
  });
});

const part = (p: Partial<MimePart> & Pick<MimePart, 'type' | 'subtype'>): MimePart => ({
  headerStart: 0,
  bodyStart: 0,
  bodyEnd: 0,
  bodyLines: 0,
  params: [],
  ...p,
});

describe('BODYSTRUCTURE from hand-built MimePart trees', () => {
  const text = part({
    type: 'text',
    subtype: 'plain',
    params: [['charset', 'us-ascii']],
    bodyStart: 100,
    bodyEnd: 3128,
    bodyLines: 73,
  });
  const attachment = part({
    type: 'application',
    subtype: 'pdf',
    params: [['name', 'a b.pdf']],
    id: '<id1@x>',
    description: 'The "report"',
    encoding: 'base64',
    md5: 'Q2hlY2s=',
    bodyStart: 200,
    bodyEnd: 1200,
    disposition: { type: 'attachment', params: [['filename', 'a b.pdf']] },
    language: ['en', 'de'],
    location: 'http://x/a.pdf',
  });

  it('a single text part (RFC 3501 example shape)', () => {
    expect(bodystructure(text)).toBe(
      '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3028 73 NIL NIL NIL NIL)',
    );
    expect(bodystructure(text, 'BODY')).toBe(
      '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3028 73)',
    );
  });

  it('a basic part with every field', () => {
    expect(bodystructure(attachment)).toBe(
      '("application" "pdf" ("name" "a b.pdf") "<id1@x>" "The \\"report\\"" "base64" 1000 "Q2hlY2s=" ' +
        '("attachment" ("filename" "a b.pdf")) ("en" "de") "http://x/a.pdf")',
    );
    expect(bodystructure(attachment, 'BODY')).toBe(
      '("application" "pdf" ("name" "a b.pdf") "<id1@x>" "The \\"report\\"" "base64" 1000)',
    );
  });

  it('multipart with extension data; BODY drops it', () => {
    const mixed = part({
      type: 'multipart',
      subtype: 'mixed',
      params: [['boundary', 'b1']],
      parts: [text, attachment],
      disposition: { type: 'inline', params: [] },
    });
    const wire = bodystructure(mixed);
    expect(wire).toBe(
      `(${bodystructure(text)}${bodystructure(attachment)} "mixed" ("boundary" "b1") ("inline" NIL) NIL NIL)`,
    );
    expect(bodystructure(mixed, 'BODY')).toBe(
      `(${bodystructure(text, 'BODY')}${bodystructure(attachment, 'BODY')} "mixed")`,
    );
  });

  it('message/rfc822 carries envelope, body and lines', () => {
    const msg = part({
      type: 'message',
      subtype: 'rfc822',
      bodyStart: 50,
      bodyEnd: 150,
      bodyLines: 6,
      message: { envelope: { subject: 'inner', from: 'c@d.e' }, body: text },
    });
    expect(bodystructure(msg, 'BODY')).toBe(
      '("message" "rfc822" NIL NIL NIL "7bit" 100 (NIL "inner" ((NIL NIL "c" "d.e")) ((NIL NIL "c" "d.e")) ' +
        '((NIL NIL "c" "d.e")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3028 73) 6)',
    );
  });
});

/** Checks a read-back BODYSTRUCTURE against the MimePart it came from. */
function checkStructure(v: Value, p: MimePart, extended: boolean): void {
  if (!Array.isArray(v)) throw new Error('body is not a list');
  if (p.parts) {
    const children = v.filter((x) => Array.isArray(x)).slice(0, p.parts.length);
    expect(children).toHaveLength(p.parts.length);
    for (const [k, c] of p.parts.entries()) checkStructure(children[k]!, c, extended);
    expect(v[p.parts.length]).toBe(p.subtype);
    expect(v).toHaveLength(p.parts.length + 1 + (extended ? 4 : 0));
    return;
  }
  expect(v.slice(0, 2)).toEqual([p.type, p.subtype]);
  expect(v[6]).toBe(String(p.bodyEnd - p.bodyStart));
  let n = 7;
  // message/global is body-type-basic in IMAP4rev1 (RFC 3501's body-type-msg is RFC822 only).
  if (p.message && p.subtype === 'rfc822') {
    expect(v[7]).toHaveLength(10);
    checkStructure(v[8]!, p.message.body, extended);
    expect(v[9]).toBe(String(p.bodyLines));
    n = 10;
  } else if (p.type === 'text') {
    expect(v[7]).toBe(String(p.bodyLines));
    n = 8;
  }
  expect(v).toHaveLength(n + (extended ? 4 : 0));
}

describe('ENVELOPE and BODYSTRUCTURE over the MIME corpus (summaries from the store)', () => {
  const corpus = join(import.meta.dirname, '../../core/test/corpus');
  const summaries = new Map<string, MessageSummary>();

  beforeAll(async () => {
    const store = memoryMailboxStore();
    const user = 'u@example.org';
    const uids = new Map<string, number>();
    for (const file of readdirSync(corpus).filter((f) => f.endsWith('.eml'))) {
      const { uid } = await store.deliver(user, bufferBlob(readFileSync(join(corpus, file))));
      uids.set(file, uid);
    }
    const folder = await store.openFolder(user, 'INBOX');
    for (const [file, uid] of uids) summaries.set(file, await folder.summary(uid));
    await folder.close();
  });

  it('every message renders to well-formed data that matches its MIME tree', () => {
    expect(summaries.size).toBeGreaterThanOrEqual(30);
    for (const [file, s] of summaries) {
      for (const name of ['BODYSTRUCTURE', 'BODY'] as const) {
        const wire = serializeToBuffer({
          type: 'fetch',
          seq: 1,
          items: [
            { name: 'ENVELOPE', envelope: s.envelope },
            { name, structure: s.structure },
          ],
        });
        const values = readValues(wire);
        expect(values.slice(0, 3), file).toEqual(['*', '1', 'FETCH']);
        const items = values[3] as Value[];
        expect(items[0]).toBe('ENVELOPE');
        expect(items[1], file).toHaveLength(10);
        expect(items[2]).toBe(name);
        checkStructure(items[3]!, s.structure, name === 'BODYSTRUCTURE');
      }
    }
  });

  it('golden renderings', () => {
    const golden = (file: string) => {
      const s = summaries.get(file)!;
      return `${envelope(s.envelope)} ${bodystructure(s.structure)}`;
    };
    expect(golden('01-simple-plain.eml')).toBe(
      '("Mon, 23 Nov 2026 07:59:59 +0100" "Lunch tomorrow?" (("Alice Example" NIL "alice" "example.org")) ' +
        '(("Alice Example" NIL "alice" "example.org")) (("Alice Example" NIL "alice" "example.org")) ' +
        '(("Bob" NIL "bob" "example.net")) NIL NIL NIL "<20261123075959.1234@example.org>") ' +
        '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 62 5 NIL NIL NIL NIL)',
    );
    expect(bodystructure(summaries.get('14-base64-attachment.eml')!.structure)).toBe(
      '(("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 23 0 NIL NIL NIL NIL)' +
        '("application" "pdf" ("name" "report.pdf") NIL NIL "base64" 168 NIL ("attachment" ("filename" "report.pdf")) NIL NIL) ' +
        '"mixed" ("boundary" "----=_Part_0_1234") NIL NIL NIL)',
    );
    expect(bodystructure(summaries.get('27-message-rfc822-plain.eml')!.structure)).toBe(
      '("message" "rfc822" NIL NIL NIL "7bit" 157 ("Sun, 22 Nov 2026 10:00:00 +0000" "the inner message" ' +
        '((NIL NIL "carol" "example.net")) ((NIL NIL "carol" "example.net")) ((NIL NIL "carol" "example.net")) ' +
        '((NIL NIL "alice" "example.org")) NIL NIL NIL NIL) ' +
        '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 40 2 NIL NIL NIL NIL) 7 NIL NIL NIL NIL)',
    );
    expect(bodystructure(summaries.get('15-mixed-with-attachments.eml')!.structure)).toContain(
      '("image" "png" ("name" "dot.png") "<dot@example.org>" "A single dot" "base64" 100 "Q2hlY2sgSW50ZWdyaXR5IQ==" ' +
        '("attachment" ("filename" "dot.png" "size" "68")) NIL "https://example.org/dot.png")',
    );
    // Raw 8-bit header values go out as literals (no UTF8=ACCEPT).
    expect(envelope(summaries.get('12-raw-utf8-headers.eml')!.envelope)).toContain(
      '(({15}\r\nJürgen Müller NIL {7}\r\njürgen "example.de"))',
    );
    // RFC 2047 words stay encoded.
    expect(envelope(summaries.get('11-rfc2047-headers.eml')!.envelope)).toContain(
      '(("=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?=" NIL "juergen" "example.de"))',
    );
  });
});
