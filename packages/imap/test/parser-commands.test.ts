import { describe, expect, it } from 'vitest';
import type { Command, FetchAttribute, SimpleFetchName } from '../src/index.ts';
import { command, set } from './helpers.ts';

const none = {};
const simple = (name: string): FetchAttribute => ({ kind: 'simple', name: name as SimpleFetchName });

/**
 * Command lines as real clients send them (imapflow, Thunderbird, mutt, Apple Mail, Outlook,
 * Python imaplib), written from the RFC grammar and the clients' habits.
 */
const TABLE: Array<[string, string, Omit<Command, 'tag'> & { tag?: string }]> = [
  ['imapflow capability', 'A1 CAPABILITY', { name: 'CAPABILITY', uid: false, args: none }],
  ['lower-case verb (imaplib)', 'GDNE1 capability', { name: 'CAPABILITY', uid: false, args: none }],
  ['noop', 'a NOOP', { name: 'NOOP', uid: false, args: none }],
  ['logout', '7 LOGOUT', { name: 'LOGOUT', uid: false, args: none }],
  ['starttls', 'A2 STARTTLS', { name: 'STARTTLS', uid: false, args: none }],
  [
    'login with quoted password (Thunderbird)',
    '2 login "bob@example.org" "p a\\"ss\\\\w"',
    { name: 'LOGIN', uid: false, args: { user: 'bob@example.org', password: 'p a"ss\\w' } },
  ],
  [
    'login with atoms (mutt)',
    'a0001 LOGIN bob secret',
    { name: 'LOGIN', uid: false, args: { user: 'bob', password: 'secret' } },
  ],
  [
    'AUTHENTICATE PLAIN with SASL-IR (imapflow)',
    'A3 AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=',
    { name: 'AUTHENTICATE', uid: false, args: { mechanism: 'PLAIN', initialResponse: 'AGJvYgBzZWNyZXQ=' } },
  ],
  [
    'AUTHENTICATE with an empty initial response',
    'A3 AUTHENTICATE plain =',
    { name: 'AUTHENTICATE', uid: false, args: { mechanism: 'PLAIN', initialResponse: '=' } },
  ],
  [
    'AUTHENTICATE LOGIN (Outlook)',
    'A4 AUTHENTICATE LOGIN',
    { name: 'AUTHENTICATE', uid: false, args: { mechanism: 'LOGIN' } },
  ],
  [
    'select INBOX any case',
    'A5 select inbox',
    { name: 'SELECT', uid: false, args: { mailbox: 'INBOX', params: [] } },
  ],
  [
    'select with CONDSTORE (imapflow)',
    'A6 SELECT "INBOX" (CONDSTORE)',
    { name: 'SELECT', uid: false, args: { mailbox: 'INBOX', params: ['CONDSTORE'] } },
  ],
  [
    'select with QRESYNC params',
    'A6 SELECT Lists (QRESYNC (67890007 20050715194045000 41,43:211,214:541))',
    {
      name: 'SELECT',
      uid: false,
      args: { mailbox: 'Lists', params: ['QRESYNC', ['67890007', '20050715194045000', '41,43:211,214:541']] },
    },
  ],
  [
    'examine',
    'A7 EXAMINE "Sent Items"',
    { name: 'EXAMINE', uid: false, args: { mailbox: 'Sent Items', params: [] } },
  ],
  [
    'create with modified UTF-7 (Apple Mail)',
    'A8 CREATE "Entw&APw-rfe"',
    { name: 'CREATE', uid: false, args: { mailbox: 'Entwürfe', params: [] } },
  ],
  [
    'create special-use (RFC 6154)',
    'A8 CREATE MySpecial (USE (\\Drafts))',
    { name: 'CREATE', uid: false, args: { mailbox: 'MySpecial', params: ['USE', ['\\Drafts']] } },
  ],
  ['delete', 'A9 DELETE "Trash/old"', { name: 'DELETE', uid: false, args: { mailbox: 'Trash/old' } }],
  [
    'rename',
    'A10 RENAME "Work" "Archive/Work"',
    { name: 'RENAME', uid: false, args: { from: 'Work', to: 'Archive/Work' } },
  ],
  ['subscribe', 'A11 SUBSCRIBE Drafts', { name: 'SUBSCRIBE', uid: false, args: { mailbox: 'Drafts' } }],
  [
    'unsubscribe',
    'A12 UNSUBSCRIBE "Drafts"',
    { name: 'UNSUBSCRIBE', uid: false, args: { mailbox: 'Drafts' } },
  ],
  [
    'list all (Thunderbird)',
    '5 list "" "*"',
    { name: 'LIST', uid: false, args: { reference: '', patterns: ['*'], selection: [], return: [] } },
  ],
  [
    'list hierarchy delimiter probe',
    'A13 LIST "" ""',
    { name: 'LIST', uid: false, args: { reference: '', patterns: [''], selection: [], return: [] } },
  ],
  [
    'list with atom pattern and %',
    'A14 LIST "" %',
    { name: 'LIST', uid: false, args: { reference: '', patterns: ['%'], selection: [], return: [] } },
  ],
  [
    'LIST-EXTENDED with SPECIAL-USE return (imapflow)',
    'A15 LIST (SUBSCRIBED RECURSIVEMATCH) "" "*" RETURN (SPECIAL-USE CHILDREN STATUS (MESSAGES UNSEEN))',
    {
      name: 'LIST',
      uid: false,
      args: {
        reference: '',
        patterns: ['*'],
        selection: ['SUBSCRIBED', 'RECURSIVEMATCH'],
        return: ['SPECIAL-USE', 'CHILDREN', 'STATUS'],
        returnStatus: ['MESSAGES', 'UNSEEN'],
      },
    },
  ],
  [
    'LIST with several patterns',
    'A16 LIST "" ("INBOX" "Drafts" Sent*)',
    {
      name: 'LIST',
      uid: false,
      args: { reference: '', patterns: ['INBOX', 'Drafts', 'Sent*'], selection: [], return: [] },
    },
  ],
  [
    'RFC 3501 modified UTF-7 example',
    'A17 LIST "" "~peter/mail/&U,BTFw-/&ZeVnLIqe-"',
    {
      name: 'LIST',
      uid: false,
      args: { reference: '', patterns: ['~peter/mail/台北/日本語'], selection: [], return: [] },
    },
  ],
  ['lsub', 'A18 LSUB "" "*"', { name: 'LSUB', uid: false, args: { reference: '', pattern: '*' } }],
  [
    'status (Thunderbird)',
    '9 STATUS "INBOX" (UIDNEXT MESSAGES UNSEEN RECENT)',
    {
      name: 'STATUS',
      uid: false,
      args: { mailbox: 'INBOX', items: ['UIDNEXT', 'MESSAGES', 'UNSEEN', 'RECENT'] },
    },
  ],
  [
    'status with APPENDLIMIT and SIZE',
    'A19 status Sent (uidvalidity size appendlimit)',
    { name: 'STATUS', uid: false, args: { mailbox: 'Sent', items: ['UIDVALIDITY', 'SIZE', 'APPENDLIMIT'] } },
  ],
  ['check', 'A20 CHECK', { name: 'CHECK', uid: false, args: none }],
  ['close', 'A21 CLOSE', { name: 'CLOSE', uid: false, args: none }],
  ['unselect', 'A22 UNSELECT', { name: 'UNSELECT', uid: false, args: none }],
  ['expunge', 'A23 EXPUNGE', { name: 'EXPUNGE', uid: false, args: none }],
  [
    'uid expunge',
    'A24 UID EXPUNGE 3000:3002',
    { name: 'EXPUNGE', uid: true, args: { uids: set([3000, 3002]) } },
  ],
  ['idle', 'A25 IDLE', { name: 'IDLE', uid: false, args: none }],
  ['namespace', 'A26 NAMESPACE', { name: 'NAMESPACE', uid: false, args: none }],
  [
    'enable',
    'A27 ENABLE CONDSTORE utf8=accept',
    { name: 'ENABLE', uid: false, args: { capabilities: ['CONDSTORE', 'UTF8=ACCEPT'] } },
  ],
  [
    'ID (imapflow)',
    'A28 ID ("name" "imapflow" "version" "1.0.0" "vendor" NIL)',
    {
      name: 'ID',
      uid: false,
      args: {
        params: [
          ['name', 'imapflow'],
          ['version', '1.0.0'],
          ['vendor', null],
        ],
      },
    },
  ],
  ['ID NIL', 'A29 ID NIL', { name: 'ID', uid: false, args: { params: null } }],
  [
    'uid fetch (imapflow sync)',
    'A30 UID FETCH 1:* (UID FLAGS)',
    {
      name: 'FETCH',
      uid: true,
      args: { set: set([1, '*']), attributes: [simple('UID'), simple('FLAGS')], modifiers: [] },
    },
  ],
  [
    'fetch macro FAST',
    'A31 FETCH 1:10 fast',
    {
      name: 'FETCH',
      uid: false,
      args: {
        set: set([1, 10]),
        macro: 'FAST',
        attributes: [simple('FLAGS'), simple('INTERNALDATE'), simple('RFC822.SIZE')],
        modifiers: [],
      },
    },
  ],
  [
    'fetch single attribute without parens (mutt)',
    'a0005 FETCH 2 RFC822.HEADER',
    {
      name: 'FETCH',
      uid: false,
      args: { set: set([2, 2]), attributes: [simple('RFC822.HEADER')], modifiers: [] },
    },
  ],
  [
    'Thunderbird header fetch',
    '12 UID fetch 4:7 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])',
    {
      name: 'FETCH',
      uid: true,
      args: {
        set: set([4, 7]),
        attributes: [
          simple('UID'),
          simple('RFC822.SIZE'),
          simple('FLAGS'),
          {
            kind: 'section',
            name: 'BODY',
            peek: true,
            section: {
              part: [],
              specifier: 'HEADER.FIELDS',
              fields:
                'FROM TO CC BCC SUBJECT DATE MESSAGE-ID PRIORITY X-PRIORITY REFERENCES NEWSGROUPS IN-REPLY-TO CONTENT-TYPE REPLY-TO'.split(
                  ' ',
                ),
            },
          },
        ],
        modifiers: [],
      },
    },
  ],
  [
    'Apple Mail partial body fetch with section and partial',
    'A32 UID FETCH 5 (BODY.PEEK[1.2.HEADER.FIELDS.NOT (Received "X-Spam")]<0.100> BODY[2.MIME] BODY[TEXT]<10.20> BODY[])',
    {
      name: 'FETCH',
      uid: true,
      args: {
        set: set([5, 5]),
        attributes: [
          {
            kind: 'section',
            name: 'BODY',
            peek: true,
            section: { part: [1, 2], specifier: 'HEADER.FIELDS.NOT', fields: ['RECEIVED', 'X-SPAM'] },
            partial: { offset: 0, length: 100 },
          },
          { kind: 'section', name: 'BODY', peek: false, section: { part: [2], specifier: 'MIME' } },
          {
            kind: 'section',
            name: 'BODY',
            peek: false,
            section: { part: [], specifier: 'TEXT' },
            partial: { offset: 10, length: 20 },
          },
          { kind: 'section', name: 'BODY', peek: false, section: { part: [] } },
        ],
        modifiers: [],
      },
    },
  ],
  [
    'fetch ENVELOPE BODYSTRUCTURE INTERNALDATE, reversed range, CHANGEDSINCE',
    'A33 FETCH *:4,2 (ENVELOPE BODYSTRUCTURE INTERNALDATE RFC822.TEXT RFC822 BODY MODSEQ) (CHANGEDSINCE 12345)',
    {
      name: 'FETCH',
      uid: false,
      args: {
        set: set(['*', 4], [2, 2]),
        attributes: [
          'ENVELOPE',
          'BODYSTRUCTURE',
          'INTERNALDATE',
          'RFC822.TEXT',
          'RFC822',
          'BODY',
          'MODSEQ',
        ].map(simple),
        modifiers: ['CHANGEDSINCE', '12345'],
      } as never,
    },
  ],
  [
    'BINARY.PEEK and BINARY.SIZE recognised',
    'A34 UID FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[2])',
    {
      name: 'FETCH',
      uid: true,
      args: {
        set: set([1, 1]),
        attributes: [
          { kind: 'section', name: 'BINARY', peek: true, section: { part: [1] } },
          { kind: 'section', name: 'BINARY.SIZE', peek: true, section: { part: [2] } },
        ],
        modifiers: [],
      },
    },
  ],
  [
    'store silent add (imapflow)',
    'A35 UID STORE 100:200 +FLAGS.SILENT (\\Seen)',
    {
      name: 'STORE',
      uid: true,
      args: { set: set([100, 200]), op: '+', silent: true, flags: ['\\Seen'], modifiers: [] },
    },
  ],
  [
    'store replace without parens (mutt), system flags normalised',
    'a6 STORE 1,3 FLAGS \\seen \\FLAGGED $Label1',
    {
      name: 'STORE',
      uid: false,
      args: {
        set: set([1, 1], [3, 3]),
        op: '=',
        silent: false,
        flags: ['\\Seen', '\\Flagged', '$Label1'],
        modifiers: [],
      },
    },
  ],
  [
    'store remove with UNCHANGEDSINCE',
    'A36 STORE 2 (UNCHANGEDSINCE 320162338) -FLAGS (\\Deleted)',
    {
      name: 'STORE',
      uid: false,
      args: {
        set: set([2, 2]),
        op: '-',
        silent: false,
        flags: ['\\Deleted'],
        modifiers: ['UNCHANGEDSINCE', '320162338'],
      },
    },
  ],
  [
    'store empty flag list',
    'A37 STORE 1 FLAGS ()',
    {
      name: 'STORE',
      uid: false,
      args: { set: set([1, 1]), op: '=', silent: false, flags: [], modifiers: [] },
    },
  ],
  [
    'copy',
    'A38 COPY 2:4 "Saved Messages"',
    { name: 'COPY', uid: false, args: { set: set([2, 4]), mailbox: 'Saved Messages' } },
  ],
  [
    'uid copy',
    'A39 UID COPY 4827313:4828442 Trash',
    { name: 'COPY', uid: true, args: { set: set([4827313, 4828442]), mailbox: 'Trash' } },
  ],
  [
    'uid move',
    'A40 UID MOVE 42 "Junk"',
    { name: 'MOVE', uid: true, args: { set: set([42, 42]), mailbox: 'Junk' } },
  ],
  [
    'move with $ (SEARCHRES)',
    'A41 MOVE $ Archive',
    { name: 'MOVE', uid: false, args: { set: { kind: 'saved' }, mailbox: 'Archive' } },
  ],
  [
    'mutt header cache fetch',
    'a0009 UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM SENDER SUBJECT TO CC MESSAGE-ID REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST X-LABEL X-ORIGINAL-TO)])',
    {
      name: 'FETCH',
      uid: true,
      args: {
        set: set([1, '*']),
        attributes: [
          ...['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE'].map(simple),
          {
            kind: 'section',
            name: 'BODY',
            peek: true,
            section: {
              part: [],
              specifier: 'HEADER.FIELDS',
              fields:
                'DATE FROM SENDER SUBJECT TO CC MESSAGE-ID REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST X-LABEL X-ORIGINAL-TO'.split(
                  ' ',
                ),
            },
          },
        ],
        modifiers: [],
      },
    },
  ],
  [
    'imapflow message list fetch',
    '5 UID FETCH 1:* (UID FLAGS BODYSTRUCTURE ENVELOPE INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (references)])',
    {
      name: 'FETCH',
      uid: true,
      args: {
        set: set([1, '*']),
        attributes: [
          ...['UID', 'FLAGS', 'BODYSTRUCTURE', 'ENVELOPE', 'INTERNALDATE', 'RFC822.SIZE'].map(simple),
          {
            kind: 'section',
            name: 'BODY',
            peek: true,
            section: { part: [], specifier: 'HEADER.FIELDS', fields: ['REFERENCES'] },
          },
        ],
        modifiers: [],
      },
    },
  ],
  [
    'Apple Mail ID',
    '1.1 ID ("name" "Mac OS X Mail" "version" "16.0 (3774.300.61.1.2)" "os" "macOS" "os-version" "14.0 (23A344)")',
    {
      name: 'ID',
      uid: false,
      args: {
        params: [
          ['name', 'Mac OS X Mail'],
          ['version', '16.0 (3774.300.61.1.2)'],
          ['os', 'macOS'],
          ['os-version', '14.0 (23A344)'],
        ],
      },
    },
  ],
  [
    'Thunderbird SPECIAL-USE list',
    '3 list (SPECIAL-USE) "" "*"',
    {
      name: 'LIST',
      uid: false,
      args: { reference: '', patterns: ['*'], selection: ['SPECIAL-USE'], return: [] },
    },
  ],
  [
    'Outlook fetch by sequence with FULL macro',
    'C4 FETCH 1:3 FULL',
    {
      name: 'FETCH',
      uid: false,
      args: {
        set: set([1, 3]),
        macro: 'FULL',
        attributes: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'].map(simple),
        modifiers: [],
      },
    },
  ],
  [
    'imaplib fetch (RFC822)',
    'GDNE5 FETCH 1 (RFC822)',
    { name: 'FETCH', uid: false, args: { set: set([1, 1]), attributes: [simple('RFC822')], modifiers: [] } },
  ],
  [
    'list with reference and pattern',
    'A60 LIST ~/Mail/ %',
    { name: 'LIST', uid: false, args: { reference: '~/Mail/', patterns: ['%'], selection: [], return: [] } },
  ],
  ['tag with ] and dots', 'a.b]c NOOP', { tag: 'a.b]c', name: 'NOOP', uid: false, args: none }],
];

describe('parser: command lines from real clients', () => {
  for (const [title, line, expected] of TABLE) {
    it(title, () => {
      const cmd = command(`${line}\r\n`);
      expect(cmd).toEqual({ tag: expected.tag ?? line.split(' ')[0], ...expected });
    });
  }

  it('accepts a bare LF line end', () => {
    expect(command('x NOOP\n')).toEqual({ tag: 'x', name: 'NOOP', uid: false, args: {} });
  });

  it('APPEND with flags, date-time and a literal (Thunderbird saving a draft)', () => {
    const cmd = command(
      'A50 APPEND "Drafts" (\\Draft \\Seen) " 5-Mar-2026 09:07:01 +0100" {11}\r\nHello\r\nyou!\r\n',
    );
    expect(cmd).toEqual({
      tag: 'A50',
      name: 'APPEND',
      uid: false,
      args: {
        mailbox: 'Drafts',
        flags: ['\\Draft', '\\Seen'],
        date: new Date('2026-03-05T08:07:01Z'),
        message: Buffer.from('Hello\r\nyou!'),
        binary: false,
      },
    });
  });

  it('APPEND with LITERAL+ and no flags, and with literal8', () => {
    expect(command('A51 APPEND INBOX {3+}\r\nabc\r\n').args).toEqual({
      mailbox: 'INBOX',
      flags: [],
      message: Buffer.from('abc'),
      binary: false,
    });
    expect(command('A52 APPEND INBOX ~{2}\r\n\x00\x01\r\n').args).toMatchObject({
      message: Buffer.from([0, 1]),
      binary: true,
    });
  });

  it('LOGIN with literals for user and password (8-bit password)', () => {
    const cmd = command('L1 LOGIN {5}\r\nalice {7}\r\np\u00e4ss\u00fc\r\n');
    expect(cmd.args).toEqual({ user: 'alice', password: 'p\u00e4ss\u00fc' });
  });

  it('8-bit mailbox names are taken as UTF-8', () => {
    expect(command('A1 SELECT "Entwürfe"\r\n').args).toEqual({ mailbox: 'Entwürfe', params: [] });
  });

  it('INBOX is case-insensitive but other names are not', () => {
    expect(command('A1 SELECT InBoX\r\n').args).toEqual({ mailbox: 'INBOX', params: [] });
    expect(command('A1 SELECT InBoX/Sub\r\n').args).toEqual({ mailbox: 'InBoX/Sub', params: [] });
    expect(command('A1 RENAME inbox Old\r\n').args).toEqual({ from: 'INBOX', to: 'Old' });
  });
});

describe('parser: SEARCH into a typed tree', () => {
  const criteria = (line: string) => {
    const cmd = command(`S ${line}\r\n`);
    if (cmd.name !== 'SEARCH') throw new Error('not SEARCH');
    return cmd.args;
  };

  it('every RFC 3501 key', () => {
    const line =
      'SEARCH ALL ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN ' +
      'KEYWORD $Forwarded UNKEYWORD $Junk BCC b CC c FROM "Jürgen" SUBJECT {5}\r\nhello TEXT t TO to BODY body ' +
      'HEADER X-Mailer "Apple Mail" BEFORE 1-Feb-1994 ON "15-Mar-2026" SINCE 01-jan-2000 SENTBEFORE 2-Feb-1994 ' +
      'SENTON 3-Feb-1994 SENTSINCE 4-Feb-1994 LARGER 1024 SMALLER 4096 UID 1:100 1,3:*';
    const args = criteria(line);
    expect(args.criteria).toEqual({
      key: 'AND',
      operands: [
        ...['ALL', 'ANSWERED', 'DELETED', 'DRAFT', 'FLAGGED', 'NEW', 'OLD', 'RECENT', 'SEEN'].map((key) => ({
          key,
        })),
        ...['UNANSWERED', 'UNDELETED', 'UNDRAFT', 'UNFLAGGED', 'UNSEEN'].map((key) => ({ key })),
        { key: 'KEYWORD', flag: '$Forwarded' },
        { key: 'UNKEYWORD', flag: '$Junk' },
        { key: 'BCC', value: 'b' },
        { key: 'CC', value: 'c' },
        { key: 'FROM', value: 'Jürgen' },
        { key: 'SUBJECT', value: 'hello' },
        { key: 'TEXT', value: 't' },
        { key: 'TO', value: 'to' },
        { key: 'BODY', value: 'body' },
        { key: 'HEADER', field: 'X-Mailer', value: 'Apple Mail' },
        { key: 'BEFORE', date: '1994-02-01' },
        { key: 'ON', date: '2026-03-15' },
        { key: 'SINCE', date: '2000-01-01' },
        { key: 'SENTBEFORE', date: '1994-02-02' },
        { key: 'SENTON', date: '1994-02-03' },
        { key: 'SENTSINCE', date: '1994-02-04' },
        { key: 'LARGER', size: 1024 },
        { key: 'SMALLER', size: 4096 },
        { key: 'UID', set: set([1, 100]) },
        { key: 'SEQ', set: set([1, 1], [3, '*']) },
      ],
    });
  });

  it('nested OR / NOT / parenthesised groups (Outlook style)', () => {
    const args = criteria('UID SEARCH OR (FROM alice SUBJECT "re: x") NOT (OR SEEN DELETED) UNDELETED');
    expect(args.criteria).toEqual({
      key: 'AND',
      operands: [
        {
          key: 'OR',
          left: {
            key: 'AND',
            operands: [
              { key: 'FROM', value: 'alice' },
              { key: 'SUBJECT', value: 're: x' },
            ],
          },
          right: { key: 'NOT', operand: { key: 'OR', left: { key: 'SEEN' }, right: { key: 'DELETED' } } },
        },
        { key: 'UNDELETED' },
      ],
    });
  });

  it('a single key is not wrapped, CHARSET and RETURN are read', () => {
    expect(criteria('SEARCH UNSEEN')).toEqual({ criteria: { key: 'UNSEEN' } });
    expect(criteria('SEARCH CHARSET utf-8 TEXT "caf\u00e9"')).toEqual({
      charset: 'UTF-8',
      criteria: { key: 'TEXT', value: 'caf\u00e9' },
    });
    expect(criteria('SEARCH RETURN (MIN MAX COUNT) CHARSET US-ASCII SEEN')).toEqual({
      charset: 'US-ASCII',
      return: ['MIN', 'MAX', 'COUNT'],
      criteria: { key: 'SEEN' },
    });
    const latin1 = command(Buffer.from('S SEARCH CHARSET ISO-8859-1 SUBJECT {4}\r\ncaf\xe9\r\n', 'latin1'));
    expect(latin1.args).toMatchObject({ criteria: { value: 'caf\u00e9' } });
  });

  it('UID SEARCH keeps the uid flag', () => {
    const cmd = command('U1 UID SEARCH 1:* NOT DELETED\r\n');
    expect(cmd).toMatchObject({ name: 'SEARCH', uid: true });
  });
});
