import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  formatSectionLabel,
  type Response,
  ResponseStreamError,
  ResponseWriter,
  serializeToBuffer,
} from '../src/index.ts';
import { formatDateTime } from '../src/writer/encode.ts';
import { command } from './helpers.ts';

const wire = (r: Response, opts?: Parameters<typeof serializeToBuffer>[1]) =>
  serializeToBuffer(r, opts).toString('utf8');

describe('writer: status responses and response codes', () => {
  const GOLDEN: Array<[Response, string]> = [
    [{ type: 'tagged', tag: 'A1', status: 'OK', text: 'LOGIN completed' }, 'A1 OK LOGIN completed\r\n'],
    [
      { type: 'tagged', tag: 'A2', status: 'OK', code: { code: 'READ-WRITE' }, text: 'SELECT completed' },
      'A2 OK [READ-WRITE] SELECT completed\r\n',
    ],
    [
      {
        type: 'tagged',
        tag: 'A3',
        status: 'OK',
        code: { code: 'APPENDUID', uidValidity: 38505, uids: [3955] },
        text: 'APPEND completed',
      },
      'A3 OK [APPENDUID 38505 3955] APPEND completed\r\n',
    ],
    [
      {
        type: 'tagged',
        tag: 'A4',
        status: 'OK',
        code: { code: 'COPYUID', uidValidity: 38505, source: [304, 319, 320], target: [3956, 3957, 3958] },
        text: 'Done',
      },
      'A4 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n',
    ],
    [
      {
        type: 'tagged',
        tag: 'A5',
        status: 'NO',
        code: { code: 'TRYCREATE' },
        text: 'Mailbox does not exist',
      },
      'A5 NO [TRYCREATE] Mailbox does not exist\r\n',
    ],
    [
      {
        type: 'tagged',
        tag: 'A6',
        status: 'NO',
        code: { code: 'BADCHARSET', charsets: ['US-ASCII', 'UTF-8'] },
        text: 'x',
      },
      'A6 NO [BADCHARSET (US-ASCII UTF-8)] x\r\n',
    ],
    [
      { type: 'tagged', tag: 'A7', status: 'BAD', text: 'line one\r\nline two' },
      'A7 BAD line one line two\r\n',
    ],
    [
      { type: 'tagged', tag: 'A8', status: 'NO', code: { code: 'TOOBIG' }, text: '' },
      'A8 NO [TOOBIG] NO\r\n',
    ],
    [
      {
        type: 'untagged',
        status: 'OK',
        code: { code: 'UIDVALIDITY', value: 3857529045 },
        text: 'UIDs valid',
      },
      '* OK [UIDVALIDITY 3857529045] UIDs valid\r\n',
    ],
    [
      {
        type: 'untagged',
        status: 'OK',
        code: { code: 'PERMANENTFLAGS', flags: ['\\Deleted', '\\Seen', '$Junk', '\\*'] },
        text: 'Limited',
      },
      '* OK [PERMANENTFLAGS (\\Deleted \\Seen $Junk \\*)] Limited\r\n',
    ],
    [
      {
        type: 'untagged',
        status: 'OK',
        code: { code: 'CAPABILITY', capabilities: ['IMAP4rev1', 'LITERAL+', 'IDLE'] },
        text: 'ready',
      },
      '* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] ready\r\n',
    ],
    [
      { type: 'untagged', status: 'OK', code: { code: 'ALERT' }, text: 'Maintenance at 5' },
      '* OK [ALERT] Maintenance at 5\r\n',
    ],
    [{ type: 'untagged', status: 'BYE', text: 'Logging out' }, '* BYE Logging out\r\n'],
    [{ type: 'untagged', status: 'PREAUTH', text: 'Welcome' }, '* PREAUTH Welcome\r\n'],
    [
      { type: 'untagged', status: 'OK', code: { code: 'UIDNEXT', value: 4392 }, text: 'Predicted next UID' },
      '* OK [UIDNEXT 4392] Predicted next UID\r\n',
    ],
    [
      { type: 'tagged', tag: 'A9', status: 'OK', code: { code: 'READ-ONLY' }, text: 'EXAMINE completed' },
      'A9 OK [READ-ONLY] EXAMINE completed\r\n',
    ],
    [
      { type: 'tagged', tag: 'B1', status: 'OK', code: { code: 'APPENDLIMIT', value: 1000 }, text: 'x' },
      'B1 OK [APPENDLIMIT 1000] x\r\n',
    ],
    [{ type: 'continue', text: 'Ready for literal data' }, '+ Ready for literal data\r\n'],
    [{ type: 'continue', text: '' }, '+ \r\n'],
  ];
  for (const [response, expected] of GOLDEN) {
    it(JSON.stringify(expected), () => expect(wire(response)).toBe(expected));
  }
});

describe('writer: untagged data', () => {
  const GOLDEN: Array<[Response, string]> = [
    [
      { type: 'capability', capabilities: ['IMAP4rev1', 'STARTTLS', 'AUTH=PLAIN'] },
      '* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\n',
    ],
    [
      { type: 'list', attributes: ['\\HasNoChildren'], delimiter: '/', mailbox: 'INBOX' },
      '* LIST (\\HasNoChildren) "/" INBOX\r\n',
    ],
    [
      { type: 'list', attributes: ['\\HasNoChildren', '\\Drafts'], delimiter: '/', mailbox: 'Entwürfe' },
      '* LIST (\\HasNoChildren \\Drafts) "/" Entw&APw-rfe\r\n',
    ],
    [
      { type: 'list', attributes: [], delimiter: '/', mailbox: '~peter/mail/台北/日本語' },
      '* LIST () "/" ~peter/mail/&U,BTFw-/&ZeVnLIqe-\r\n',
    ],
    [
      { type: 'list', attributes: ['\\Noselect'], delimiter: null, mailbox: '' },
      '* LIST (\\Noselect) NIL ""\r\n',
    ],
    [
      { type: 'lsub', attributes: [], delimiter: '/', mailbox: 'Sent Items' },
      '* LSUB () "/" "Sent Items"\r\n',
    ],
    [{ type: 'lsub', attributes: [], delimiter: '/', mailbox: 'nil' }, '* LSUB () "/" "nil"\r\n'],
    [
      {
        type: 'list',
        attributes: ['\\Subscribed'],
        delimiter: '/',
        mailbox: 'Foo',
        extended: [['CHILDINFO', ['SUBSCRIBED']]],
      },
      '* LIST (\\Subscribed) "/" Foo ("CHILDINFO" ("SUBSCRIBED"))\r\n',
    ],
    [
      {
        type: 'status',
        mailbox: 'blurdybloop',
        items: [
          ['MESSAGES', 231],
          ['UIDNEXT', 44292],
        ],
      },
      '* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n',
    ],
    [
      { type: 'flags', flags: ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', '$Forwarded'] },
      '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)\r\n',
    ],
    // The keyword NIL is an atom in a flag list (imaptest's nil group); `"NIL"` breaks clients.
    [{ type: 'flags', flags: ['\\Seen', 'NIL', 'nil'] }, '* FLAGS (\\Seen NIL nil)\r\n'],
    [{ type: 'fetch', seq: 1, items: [{ name: 'FLAGS', flags: ['NIL'] }] }, '* 1 FETCH (FLAGS (NIL))\r\n'],
    [{ type: 'exists', count: 172 }, '* 172 EXISTS\r\n'],
    [{ type: 'recent', count: 1 }, '* 1 RECENT\r\n'],
    [{ type: 'expunge', count: 3 }, '* 3 EXPUNGE\r\n'],
    [{ type: 'search', ids: [2, 3, 6] }, '* SEARCH 2 3 6\r\n'],
    [{ type: 'search', ids: [] }, '* SEARCH\r\n'],
    [{ type: 'search', ids: [2, 5], modseq: 917162500 }, '* SEARCH 2 5 (MODSEQ 917162500)\r\n'],
    [{ type: 'enabled', capabilities: ['CONDSTORE'] }, '* ENABLED CONDSTORE\r\n'],
    [{ type: 'enabled', capabilities: [] }, '* ENABLED\r\n'],
    [
      { type: 'namespace', personal: [{ prefix: '', delimiter: '/' }], other: null, shared: null },
      '* NAMESPACE (("" "/")) NIL NIL\r\n',
    ],
    [
      {
        type: 'namespace',
        personal: [{ prefix: '', delimiter: '/' }],
        other: [{ prefix: '~', delimiter: '/' }],
        shared: [
          { prefix: '#shared/', delimiter: '/' },
          { prefix: '#public/', delimiter: null },
        ],
      },
      '* NAMESPACE (("" "/")) (("~" "/")) (("#shared/" "/")("#public/" NIL))\r\n',
    ],
    [
      {
        type: 'id',
        params: [
          ['name', 'Mailstack'],
          ['version', null],
        ],
      },
      '* ID ("name" "Mailstack" "version" NIL)\r\n',
    ],
    [{ type: 'id', params: null }, '* ID NIL\r\n'],
    [
      {
        type: 'fetch',
        seq: 12,
        items: [
          { name: 'UID', value: 4827313 },
          { name: 'FLAGS', flags: ['\\Seen', '$MDNSent'] },
          { name: 'INTERNALDATE', date: new Date('1996-07-17T09:44:25Z') },
          { name: 'RFC822.SIZE', value: 4286 },
          { name: 'MODSEQ', value: 12121231000 },
        ],
      },
      '* 12 FETCH (UID 4827313 FLAGS (\\Seen $MDNSent) INTERNALDATE "17-Jul-1996 09:44:25 +0000" RFC822.SIZE 4286 MODSEQ (12121231000))\r\n',
    ],
    [
      {
        type: 'fetch',
        seq: 1,
        items: [
          { name: 'SECTION', label: 'BODY[HEADER.FIELDS (FROM)]', data: Buffer.from('From: a@b\r\n\r\n') },
          { name: 'SECTION', label: 'BODY[2]', data: null },
          { name: 'SECTION', label: 'BODY[]<0>', data: '' },
        ],
      },
      '* 1 FETCH (BODY[HEADER.FIELDS (FROM)] {13}\r\nFrom: a@b\r\n\r\n BODY[2] NIL BODY[]<0> {0}\r\n)\r\n',
    ],
  ];
  for (const [response, expected] of GOLDEN) {
    it(JSON.stringify(expected), () => expect(wire(response)).toBe(expected));
  }

  it('INTERNALDATE in another zone', () => {
    expect(formatDateTime(new Date('1996-07-17T09:44:25Z'), -420)).toBe('17-Jul-1996 02:44:25 -0700');
    expect(formatDateTime(new Date('2026-03-05T23:30:00Z'), 330)).toBe('06-Mar-2026 05:00:00 +0530');
  });

  it('section labels echo what was asked', () => {
    const label = (line: string) => {
      const cmd = command(`a FETCH 1 ${line}\r\n`);
      if (cmd.name !== 'FETCH') throw new Error('not FETCH');
      const att = cmd.args.attributes[0]!;
      if (att.kind !== 'section') throw new Error('not a section');
      return formatSectionLabel(att);
    };
    expect(label('BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100>')).toBe(
      'BODY[1.2.HEADER.FIELDS (FROM TO)]<0>',
    );
    expect(label('BODY[]')).toBe('BODY[]');
    expect(label('BODY[3.MIME]')).toBe('BODY[3.MIME]');
    expect(label('BINARY.PEEK[1]<5.10>')).toBe('BINARY[1]<5>');
    expect(label('BINARY.SIZE[2]')).toBe('BINARY.SIZE[2]');
  });
});

describe('writer: strings chosen by content', () => {
  const listed = (mailbox: string, opts?: { utf8?: boolean }) =>
    wire({ type: 'status', mailbox, items: [] }, opts).slice('* STATUS '.length, -' ()\r\n'.length);

  it('atoms, quoted with escapes, literals for CR/LF/NUL/8-bit/long', () => {
    expect(listed('Work')).toBe('Work');
    expect(listed('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(listed('with space')).toBe('"with space"');
    expect(listed('')).toBe('""');
    expect(listed('a(b')).toBe('"a(b"');
    expect(listed('x%')).toBe('"x%"');
    const id = (v: string, opts?: { utf8?: boolean; maxQuotedLength?: number }) =>
      wire({ type: 'id', params: [['k', v]] }, opts).slice('* ID ("k" '.length, -')\r\n'.length);
    expect(id('two\r\nlines')).toBe('{10}\r\ntwo\r\nlines');
    expect(id('caf\u00e9')).toBe('{5}\r\ncaf\u00e9');
    expect(id('caf\u00e9', { utf8: true })).toBe('"caf\u00e9"');
    expect(id('x'.repeat(20), { maxQuotedLength: 10 })).toBe(`{20}\r\n${'x'.repeat(20)}`);
    expect(id('a\x00b')).toBe('{3}\r\na\x00b');
  });

  it('mailbox names stay UTF-8 when UTF8=ACCEPT is on', () => {
    expect(listed('Entwürfe', { utf8: true })).toBe('{9}\r\nEntwürfe'.replace('{9}\r\n', '"').concat('"'));
  });
});

/** A sink that acknowledges writes asynchronously and records the largest backlog it saw. */
function slowSink(highWaterMark: number) {
  const chunks: Buffer[] = [];
  let maxBacklog = 0;
  const sink = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      setImmediate(cb);
    },
  });
  const origWrite = sink.write.bind(sink);
  sink.write = ((chunk: Buffer) => {
    const ok = origWrite(chunk);
    maxBacklog = Math.max(maxBacklog, sink.writableLength);
    return ok;
  }) as typeof sink.write;
  return { sink, output: () => Buffer.concat(chunks), maxBacklog: () => maxBacklog };
}

describe('writer: coalescing', () => {
  it('writes what one tick sends as one segment (corked until the tick ends)', async () => {
    const batches: number[] = [];
    const sink = new Writable({
      writev(chunks, callback) {
        batches.push(chunks.length);
        callback();
      },
      write(_chunk, _encoding, callback) {
        batches.push(1);
        callback();
      },
    });
    const writer = new ResponseWriter(sink);
    await writer.write({ type: 'flags', flags: ['\\Seen'] });
    await writer.write({ type: 'exists', count: 3 });
    await writer.write({ type: 'recent', count: 0 });
    await writer.write({ type: 'tagged', tag: 'a', status: 'OK', text: 'SELECT completed' });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(batches).toEqual([4]);
    await writer.write({ type: 'exists', count: 4 });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(batches).toEqual([4, 1]);
  });
});

describe('writer: streamed body literals', () => {
  it('streams BODY[] of a known length with backpressure', async () => {
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = 0x41 + (i % 26);
    const pieces = Array.from({ length: 16 }, (_, i) => body.subarray(i * 65536, (i + 1) * 65536));
    const { sink, output, maxBacklog } = slowSink(1024);
    const writer = new ResponseWriter(sink);
    await writer.write({
      type: 'fetch',
      seq: 7,
      items: [
        { name: 'UID', value: 70 },
        { name: 'SECTION', label: 'BODY[]', data: { stream: Readable.from(pieces), length: body.length } },
        { name: 'FLAGS', flags: ['\\Seen'] },
      ],
    });
    await writer.write({ type: 'tagged', tag: 'F1', status: 'OK', text: 'FETCH completed' });
    await new Promise<void>((resolve) => sink.end(resolve));
    const expected = Buffer.concat([
      Buffer.from(`* 7 FETCH (UID 70 BODY[] {${body.length}}\r\n`),
      body,
      Buffer.from(' FLAGS (\\Seen))\r\nF1 OK FETCH completed\r\n'),
    ]);
    expect(output().equals(expected)).toBe(true);
    // Never more than one chunk beyond the mark queued: the writer waited for 'drain'.
    expect(maxBacklog()).toBeLessThanOrEqual(1024 + 65536);
  });

  it('a stream longer than announced is cut to the announced length', async () => {
    const { sink, output } = slowSink(16);
    await new ResponseWriter(sink).write({
      type: 'fetch',
      seq: 1,
      items: [
        {
          name: 'SECTION',
          label: 'BODY[]<0>',
          data: { stream: Readable.from([Buffer.from('hello world')]), length: 5 },
        },
      ],
    });
    await new Promise<void>((resolve) => sink.end(resolve));
    expect(output().toString()).toBe('* 1 FETCH (BODY[]<0> {5}\r\nhello)\r\n');
  });

  it('a stream shorter than announced fails so the session closes', async () => {
    const { sink } = slowSink(16);
    const write = new ResponseWriter(sink).write({
      type: 'fetch',
      seq: 1,
      items: [
        {
          name: 'SECTION',
          label: 'BODY[]',
          data: { stream: Readable.from([Buffer.from('abc')]), length: 10 },
        },
      ],
    });
    await expect(write).rejects.toBeInstanceOf(ResponseStreamError);
  });

  it('writing to a closed output rejects instead of hanging', async () => {
    const { sink } = slowSink(16);
    sink.destroy();
    await expect(new ResponseWriter(sink).write({ type: 'exists', count: 1 })).rejects.toBeInstanceOf(
      ResponseStreamError,
    );
  });

  it('serializeToBuffer refuses streamed literals', () => {
    expect(() =>
      serializeToBuffer({
        type: 'fetch',
        seq: 1,
        items: [{ name: 'SECTION', label: 'BODY[]', data: { stream: Readable.from([]), length: 0 } }],
      }),
    ).toThrow(TypeError);
  });
});
