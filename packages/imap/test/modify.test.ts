import { lineClient } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, type Harness, message, startHarness } from './fixtures.ts';

let h: Harness | undefined;

/** imapflow answers `false` when a command failed. */
function must<T>(value: T | false | null | undefined): T {
  if (value === false || value === null || value === undefined) throw new Error('command failed');
  return value;
}
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('STORE, EXPUNGE, COPY, MOVE, APPEND', () => {
  it('works for imapflow with UIDPLUS answers', async () => {
    h = await startHarness();
    for (let i = 1; i <= 4; i++) await h.deliver(message(i));
    const c = await h.client();
    await c.mailboxOpen('INBOX');
    expect(await c.messageFlagsAdd('1:2', ['\\Flagged', '$Work'])).toBe(true);
    const second = await c.fetchOne('2', { flags: true });
    expect(second && [...(second.flags ?? [])].sort()).toEqual(['$Work', '\\Flagged', '\\Recent']);
    const copied = await c.messageCopy('1', 'Archive');
    expect(must(copied).destination).toBe('Archive');
    expect(must(copied).uidMap?.size).toBe(1);
    const moved = await c.messageMove('4', 'Trash', { uid: true });
    expect(must(moved).uidMap?.get(4)).toBeGreaterThan(0);
    expect(must(c.mailbox).exists).toBe(3);
    expect(await c.messageDelete('2', { uid: true })).toBe(true);
    expect(must(c.mailbox).exists).toBe(2);
    const appended = await c.append('Drafts', message(9), ['\\Draft'], new Date('2026-01-02T03:04:05Z'));
    expect(must(appended).uid).toBeGreaterThan(0);
    expect(must(appended).uidValidity).toBeGreaterThan(0n);
    const drafts = await c.status('Drafts', { messages: true });
    expect(must(drafts).messages).toBe(1);
    const trash = await c.status('Trash', { messages: true });
    expect(must(trash).messages).toBe(1);
    const inbox = await h.store.openFolder(ALICE, 'INBOX');
    expect(inbox.messages().map((m) => m.uid)).toEqual([1, 3]);
    expect([...(inbox.messages()[0]?.flags ?? [])].sort()).toEqual(['$Work', '\\Flagged']);
    await inbox.close();
  });

  it('answers on the wire: FETCH after STORE, .SILENT, EXPUNGE order, TRYCREATE, read-only', async () => {
    h = await startHarness();
    for (let i = 1; i <= 3; i++) await h.deliver(message(i));
    const client = await lineClient(h.port);
    await client.read();
    await client.writeLine(`a LOGIN ${ALICE} alice-pw`);
    await client.readUntil(/^a OK/);
    await client.writeLine('b SELECT INBOX');
    await client.readUntil(/^b OK/);
    await client.writeLine('c STORE 1,3 +FLAGS (\\Deleted)');
    expect(await client.read()).toBe('* 1 FETCH (FLAGS (\\Deleted \\Recent))');
    expect(await client.read()).toBe('* 3 FETCH (FLAGS (\\Deleted \\Recent))');
    expect(await client.read()).toBe('c OK STORE completed');
    await client.writeLine('d UID STORE 2 +FLAGS.SILENT (\\Seen)');
    expect(await client.read()).toBe('d OK UID STORE completed');
    await client.writeLine('d2 STORE 2 +FLAGS ($Fresh)');
    expect(await client.read()).toBe('* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $Fresh)');
    expect(await client.read()).toMatch(/^\* OK \[PERMANENTFLAGS \(.*\$Fresh \\\*\)\] /);
    expect(await client.read()).toMatch(/^\* 2 FETCH \(FLAGS \((?=.*\$Fresh)(?=.*\\Seen).*\\Recent\)\)$/);
    expect(await client.read()).toBe('d2 OK STORE completed');
    await client.writeLine('e EXPUNGE');
    expect(await client.read()).toBe('* 1 EXPUNGE');
    expect(await client.read()).toBe('* 2 EXPUNGE');
    expect(await client.read()).toBe('e OK EXPUNGE completed');
    await client.writeLine('s COPY 1 INBOX');
    expect(await client.read()).toBe('* 2 EXISTS');
    expect(await client.read()).toBe('* 2 RECENT');
    expect(await client.read()).toMatch(/^s OK \[COPYUID \d+ 2 4\] COPY completed$/);
    await client.writeLine('f COPY 1 Nowhere');
    expect(await client.read()).toBe('f NO [TRYCREATE] no such mailbox');
    // The target is checked before `+`: the client never uploads into a missing mailbox.
    await client.writeLine('g APPEND Nowhere {3}');
    expect(await client.read()).toBe('g NO [TRYCREATE] no such mailbox');
    await client.writeLine('g2 APPEND Nowhere {3+}');
    await client.write('x\r\n\r\n');
    expect(await client.read()).toBe('g2 NO [TRYCREATE] no such mailbox');
    await client.writeLine('h EXAMINE INBOX');
    await client.readUntil(/^h OK \[READ-ONLY\]/);
    await client.writeLine('i STORE 1 +FLAGS (\\Flagged)');
    expect(await client.read()).toBe('i NO [READ-ONLY] mailbox is read-only');
    await client.writeLine('j FETCH 3 FLAGS');
    expect(await client.read()).toBe('j BAD invalid message sequence number');
    await client.writeLine('k UID FETCH 2:99 FLAGS');
    expect(await client.read()).toBe('* 1 FETCH (UID 2 FLAGS (\\Seen $Fresh))');
    expect(await client.read()).toBe('* 2 FETCH (UID 4 FLAGS (\\Seen $Fresh))');
    expect(await client.read()).toBe('k OK UID FETCH completed');
    await client.close();
  });

  it("answers a store refusal mid-command by its kind: the Maildir's 27th keyword is NO [LIMIT]", async () => {
    h = await startHarness({ backend: 'maildir' });
    await h.deliver(message(1));
    const client = await lineClient(h.port);
    await client.read();
    await client.writeLine(`a LOGIN ${ALICE} alice-pw`);
    await client.readUntil(/^a OK/);
    await client.writeLine('b SELECT INBOX');
    await client.readUntil(/^b OK/);
    const keywords = Array.from({ length: 27 }, (_, i) => `$k${i}`).join(' ');
    await client.writeLine(`c STORE 1 +FLAGS.SILENT (${keywords})`);
    expect(await client.readUntil(/^c /)).toContain(
      'c NO [LIMIT] Too many keywords in this folder (Maildir allows 26)',
    );
    await client.close();
  });
});
