import { type LineClient, lineClient } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, type Harness, message, startHarness } from './fixtures.ts';

let h: Harness | undefined;
let client: LineClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await h?.close();
  h = undefined;
});

async function loggedIn(harness: Harness): Promise<LineClient> {
  const c = await lineClient(harness.port);
  await c.read();
  await c.writeLine(`a LOGIN ${ALICE} alice-pw`);
  await c.readUntil(/^a OK/);
  return c;
}

describe('mailbox commands on the wire', () => {
  it('lists with %, *, INBOX in any case, the empty pattern and LSUB', async () => {
    h = await startHarness();
    await h.store.createFolder(ALICE, 'Lists/Work');
    client = await loggedIn(h);
    const c = client;
    await c.writeLine('l1 LIST "" ""');
    expect(await c.readUntil(/^l1 /)).toEqual(['* LIST (\\Noselect) "/" ""', 'l1 OK LIST completed']);
    await c.writeLine('l2 LIST "" inbox');
    expect(await c.readUntil(/^l2 /)).toEqual(['* LIST (\\HasNoChildren) "/" INBOX', 'l2 OK LIST completed']);
    await c.writeLine('l3 LIST "" %');
    const top = await c.readUntil(/^l3 /);
    expect(top).toContain('* LIST (\\HasChildren) "/" Lists');
    expect(top).toContain('* LIST (\\HasNoChildren \\Trash) "/" Trash');
    expect(top.some((l) => l.includes('Lists/Work'))).toBe(false);
    await c.writeLine('l4 LIST Lists/ *');
    expect(await c.readUntil(/^l4 /)).toEqual([
      '* LIST (\\HasNoChildren) "/" Lists/Work',
      'l4 OK LIST completed',
    ]);
    await c.writeLine('l5 UNSUBSCRIBE Trash');
    await c.readUntil(/^l5 OK/);
    await c.writeLine('l6 LSUB "" *');
    const subscribed = await c.readUntil(/^l6 /);
    expect(subscribed.some((l) => l.endsWith(' Trash'))).toBe(false);
    expect(subscribed).toContain('* LSUB (\\HasNoChildren \\Sent) "/" Sent');
    // RFC 3501 6.3.9: Lists/Work subscribed, Lists not: `%` shows Lists as \Noselect.
    await c.writeLine('l6a SUBSCRIBE Lists/Work');
    await c.readUntil(/^l6a OK/);
    await c.writeLine('l6b UNSUBSCRIBE Lists');
    await c.readUntil(/^l6b /);
    await c.writeLine('l6c LSUB "" %');
    const top2 = await c.readUntil(/^l6c /);
    expect(top2).toContain('* LSUB (\\Noselect) "/" Lists');
    expect(top2.some((l) => l.includes('Lists/Work'))).toBe(false);
    await c.writeLine('l6d LSUB "" Lists/%');
    expect(await c.readUntil(/^l6d /)).toEqual([
      '* LSUB (\\HasNoChildren) "/" Lists/Work',
      'l6d OK LSUB completed',
    ]);
    await c.writeLine('l7 CREATE INBOX');
    expect(await c.read()).toBe('l7 NO [ALREADYEXISTS] INBOX always exists');
    await c.writeLine('l8 DELETE Nope');
    expect(await c.read()).toBe('l8 NO [NONEXISTENT] No such mailbox: Nope');
    await c.writeLine('l9 CREATE Lists/Work');
    expect(await c.read()).toBe('l9 NO [ALREADYEXISTS] Mailbox already exists: Lists/Work');
    await c.writeLine('l10 CREATE Starred (USE (\\Flagged))');
    expect(await c.read()).toBe('l10 OK CREATE completed');
    await c.writeLine('l11 CREATE Odd (USE (\\Bogus))');
    expect(await c.read()).toBe('l11 NO [USEATTR] unknown special-use attribute');
    await c.writeLine('l12 LIST (SPECIAL-USE) "" *');
    const special = await c.readUntil(/^l12 /);
    expect(special).toContain('* LIST (\\HasNoChildren \\Flagged) "/" Starred');
    expect(special.some((l) => l.endsWith(' INBOX') || l.endsWith(' Lists'))).toBe(false);
  });

  it('CLOSE expunges silently, UNSELECT does not, STATUS counts', async () => {
    h = await startHarness();
    for (let i = 1; i <= 3; i++) await h.deliver(message(i));
    client = await loggedIn(h);
    const c = client;
    await c.writeLine('s1 SELECT INBOX');
    const sel = await c.readUntil(/^s1 /);
    expect(sel).toContain('* 3 EXISTS');
    expect(sel).toContain('* 3 RECENT');
    expect(sel).toContain('* OK [UNSEEN 1] first unseen');
    expect(sel.at(-1)).toBe('s1 OK [READ-WRITE] SELECT completed');
    await c.writeLine('s2 STORE 1 +FLAGS.SILENT (\\Deleted)');
    await c.readUntil(/^s2 OK/);
    await c.writeLine('s3 UNSELECT');
    expect(await c.read()).toBe('s3 OK UNSELECT completed');
    await c.writeLine('s4 STATUS INBOX (MESSAGES UNSEEN DELETED)');
    expect(await c.read()).toBe('* STATUS INBOX (MESSAGES 3 UNSEEN 3 DELETED 1)');
    await c.readUntil(/^s4 OK/);
    await c.writeLine('s5 SELECT INBOX');
    const again = await c.readUntil(/^s5 /);
    expect(again).toContain('* 0 RECENT');
    await c.writeLine('s6 CLOSE');
    expect(await c.read()).toBe('s6 OK CLOSE completed');
    await c.writeLine('s7 STATUS INBOX (MESSAGES)');
    expect(await c.read()).toBe('* STATUS INBOX (MESSAGES 2)');
    await c.readUntil(/^s7 OK/);
    await c.writeLine('s8 FETCH 1 FLAGS');
    expect(await c.read()).toBe('s8 BAD FETCH not valid in this state');
  });

  it('IDLE pushes EXISTS and EXPUNGE and ends on DONE; APPEND with LITERAL+ to the selected box', async () => {
    h = await startHarness();
    await h.deliver(message(1));
    client = await loggedIn(h);
    const c = client;
    await c.writeLine('i1 SELECT INBOX');
    await c.readUntil(/^i1 OK/);
    await c.writeLine('i2 IDLE');
    expect(await c.read()).toBe('+ idling');
    await h.deliver(message(2));
    expect(await c.read()).toBe('* 2 EXISTS');
    expect(await c.read()).toBe('* 2 RECENT');
    const other = await h.store.openFolder(ALICE, 'INBOX');
    await other.expunge([1]);
    await other.close();
    expect(await c.read()).toBe('* 1 EXPUNGE');
    await c.writeLine('DONE');
    expect(await c.read()).toBe('i2 OK IDLE terminated');
    const text = message(3);
    await c.write(`i3 APPEND INBOX (\\Flagged) {${Buffer.byteLength(text)}+}\r\n${text}\r\n`);
    const appended = await c.readUntil(/^i3 /);
    expect(appended).toEqual([
      '* 2 EXISTS',
      '* 2 RECENT',
      expect.stringMatching(/^i3 OK \[APPENDUID \d+ 3\] APPEND completed$/),
    ]);
  });
});
