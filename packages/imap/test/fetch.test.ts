import { lineClient } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, type Harness, message, selecting, startHarness } from './fixtures.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const MULTIPART = [
  'From: Ann <ann@example.test>',
  `To: ${ALICE}`,
  'Subject: parts',
  'Message-ID: <mp@example.test>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  'preamble',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'first part',
  '--b1',
  'Content-Type: text/html',
  'Content-ID: <h@x>',
  '',
  '<p>second</p>',
  '--b1--',
  '',
].join('\r\n');

const NESTED = [
  'Subject: outer',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="o"',
  '',
  '--o',
  'Content-Type: text/plain',
  '',
  'cover note',
  '--o',
  'Content-Type: message/rfc822',
  '',
  'Subject: inner',
  'From: Inner <in@example.test>',
  '',
  'inner body',
  '--o--',
  '',
].join('\r\n');

describe('FETCH', () => {
  it('addresses parts inside an attached message/rfc822', async () => {
    h = await startHarness();
    await h.deliver(NESTED);
    const client = await lineClient(h.port);
    await client.read();
    await client.writeLine(`a LOGIN ${ALICE} alice-pw`);
    await client.readUntil(/^a OK/);
    await client.writeLine('b EXAMINE INBOX');
    await client.readUntil(/^b OK/);
    const expectSection = async (label: string, value: string): Promise<void> => {
      expect(await client.read()).toBe(`* 1 FETCH (BODY[${label}] {${value.length}}`);
      expect((await client.readBytes(value.length)).toString()).toBe(value);
      expect(await client.read()).toBe(')');
      expect(await client.read()).toMatch(/^[a-z] OK FETCH completed$/);
    };
    await client.writeLine('c FETCH 1 BODY.PEEK[2.HEADER]');
    await expectSection('2.HEADER', 'Subject: inner\r\nFrom: Inner <in@example.test>\r\n\r\n');
    await client.writeLine('d FETCH 1 BODY.PEEK[2.TEXT]');
    await expectSection('2.TEXT', 'inner body');
    await client.writeLine('e FETCH 1 BODY.PEEK[2.1]');
    await expectSection('2.1', 'inner body');
    await client.writeLine('f FETCH 1 BODY.PEEK[1]');
    await expectSection('1', 'cover note');
    await client.writeLine('g FETCH 1 BODY.PEEK[3]');
    expect(await client.read()).toBe('* 1 FETCH (BODY[3] NIL)');
    await client.readUntil(/^g OK/);
    await client.close();
  });

  it('serves flags, envelope, bodystructure and sections to imapflow and sets \\Seen', async () => {
    h = await h_start();
    const uid1 = await h.deliver(message(1));
    const uid2 = await h.deliver(MULTIPART);
    const c = await h.client();
    await c.mailboxOpen('INBOX');
    const m = await c.fetchOne(
      String(uid2),
      { uid: true, flags: true, envelope: true, bodyStructure: true, size: true, internalDate: true },
      { uid: true },
    );
    if (!m) throw new Error('no message');
    expect(m.envelope?.subject).toBe('parts');
    expect(m.envelope?.from?.[0]?.address).toBe('ann@example.test');
    expect(m.bodyStructure?.type).toBe('multipart/mixed');
    expect(m.bodyStructure?.childNodes?.map((p) => p.type)).toEqual(['text/plain', 'text/html']);
    expect(m.size).toBe(Buffer.byteLength(MULTIPART));
    expect(m.flags?.has('\\Seen')).toBe(false);
    const parts = await c.fetchOne(
      String(uid2),
      { bodyParts: ['1', '2', '2.mime', 'text'], headers: ['subject', 'from'] },
      { uid: true },
    );
    if (!parts) throw new Error('no parts');
    expect(parts.bodyParts?.get('1')?.toString()).toBe('first part');
    expect(parts.bodyParts?.get('2')?.toString()).toBe('<p>second</p>');
    expect(parts.bodyParts?.get('2.mime')?.toString()).toBe(
      'Content-Type: text/html\r\nContent-ID: <h@x>\r\n\r\n',
    );
    expect(parts.bodyParts?.get('text')?.toString()).toMatch(/^preamble\r\n--b1/);
    expect(parts.headers?.toString()).toBe('From: Ann <ann@example.test>\r\nSubject: parts\r\n\r\n');
    // imapflow fetches parts with BODY.PEEK: no \Seen.
    const after = await c.fetchOne(String(uid2), { flags: true }, { uid: true });
    if (!after) throw new Error('no message');
    expect(after.flags?.has('\\Seen')).toBe(false);
    const dl = await c.download(String(uid1), undefined, { uid: true });
    const chunks: Buffer[] = [];
    for await (const chunk of dl.content ?? []) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe(message(1));
  });

  it('answers partials, HEADER.FIELDS.NOT, RFC822.* and PEEK without \\Seen on the wire', async () => {
    h = await h_start();
    await h.deliver(message(1));
    const client = await lineClient(h.port);
    await client.read();
    await client.writeLine(`a LOGIN ${ALICE} alice-pw`);
    await client.readUntil(/^a OK/);
    await client.writeLine('b EXAMINE INBOX');
    await client.readUntil(/^b OK \[READ-ONLY\]/);
    await client.writeLine('h FETCH 1 BODY.PEEK[HEADER]');
    const header = message(1).slice(0, message(1).indexOf('\r\n\r\n') + 4);
    expect(await client.read()).toBe(`* 1 FETCH (BODY[HEADER] {${header.length}}`);
    expect((await client.readBytes(header.length)).toString()).toBe(header);
    expect(await client.read()).toBe(')');
    expect(await client.read()).toBe('h OK FETCH completed');
    await client.writeLine(
      'c FETCH 1 (BODY[]<0.4> BODY[HEADER.FIELDS.NOT (To Message-ID Date From)] RFC822.SIZE)',
    );
    expect(await client.read()).toBe(`* 1 FETCH (BODY[]<0> {4}`);
    expect((await client.readBytes(4)).toString()).toBe('From');
    expect(await client.read()).toBe(' BODY[HEADER.FIELDS.NOT (TO MESSAGE-ID DATE FROM)] {22}');
    expect((await client.readBytes(22)).toString()).toBe('Subject: message 1\r\n\r\n');
    expect(await client.read()).toBe(` RFC822.SIZE ${Buffer.byteLength(message(1))})`);
    expect(await client.read()).toBe('c OK FETCH completed');
    // EXAMINE is read-only: BODY[] does not set \Seen.
    await client.writeLine('d FETCH 1 (RFC822.TEXT FLAGS)');
    const text = 'Body of message 1.\r\n';
    expect(await client.read()).toBe(`* 1 FETCH (RFC822.TEXT {${text.length}}`);
    expect((await client.readBytes(text.length)).toString()).toBe(text);
    expect(await client.read()).toBe(' FLAGS ())');
    expect(await client.read()).toBe('d OK FETCH completed');
    // Read-write: BODY[TEXT] sets \Seen and reports the new FLAGS with the data.
    await client.writeLine('e SELECT INBOX');
    await client.readUntil(/^e OK \[READ-WRITE\]/);
    await client.writeLine('f FETCH 1 BODY[TEXT]');
    expect(await client.read()).toBe(`* 1 FETCH (BODY[TEXT] {${text.length}}`);
    expect((await client.readBytes(text.length)).toString()).toBe(text);
    expect(await client.read()).toBe(' FLAGS (\\Seen \\Recent))');
    expect(await client.read()).toBe('f OK FETCH completed');
    await client.close();
  });
  it("keeps ENVELOPE, BODY and BODYSTRUCTURE ready to send in the store's text cache", async () => {
    h = await startHarness();
    const uid = await h.deliver(MULTIPART);
    const client = await selecting(h.port);
    await client.readUntil(/^b OK/);
    await client.writeLine('c FETCH 1 (ENVELOPE BODY BODYSTRUCTURE)');
    const first = await client.readUntil(/^c OK/);
    const folder = await h.store.openFolder(ALICE, 'INBOX');
    const cached = (key: string) => folder.cachedText(uid, key);
    expect(cached('imap.envelope.1')).toMatch(/^ENVELOPE \(/);
    expect(cached('imap.body.1')).toMatch(/^BODY \(\(/);
    expect(cached('imap.bodystructure.1')).toMatch(/^BODYSTRUCTURE \(\(/);
    expect(first[0]).toBe(
      `* 1 FETCH (${cached('imap.envelope.1')} ${cached('imap.body.1')} ${cached('imap.bodystructure.1')})`,
    );
    // What the cache holds is what goes out, without a parse.
    folder.cacheText(uid, 'imap.envelope.1', 'ENVELOPE (NIL "cached" NIL NIL NIL NIL NIL NIL NIL NIL)');
    await client.writeLine('d FETCH 1 ENVELOPE');
    expect(await client.read()).toBe('* 1 FETCH (ENVELOPE (NIL "cached" NIL NIL NIL NIL NIL NIL NIL NIL))');
    await client.readUntil(/^d OK/);
    await folder.close();
    await client.close();
  });
});

function h_start(): Promise<Harness> {
  return startHarness();
}
