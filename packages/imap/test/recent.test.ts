import { type LineClient, lineClient } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, type Harness, message, startHarness } from './fixtures.ts';

let h: Harness | undefined;
const clients: LineClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await h?.close();
  h = undefined;
});

async function session(port: number, select?: string): Promise<LineClient> {
  const c = await lineClient(port);
  clients.push(c);
  await c.read();
  await c.writeLine(`a LOGIN ${ALICE} alice-pw`);
  await c.readUntil(/^a OK/);
  if (select) {
    await c.writeLine(`s SELECT ${select}`);
    await c.readUntil(/^s OK/);
  }
  return c;
}

async function append(
  c: LineClient,
  tag: string,
  mailbox: string,
  flags: string,
  text: string,
): Promise<string[]> {
  await c.writeLine(`${tag} APPEND ${mailbox} ${flags}{${Buffer.byteLength(text)}}`);
  expect(await c.read()).toMatch(/^\+ /);
  await c.write(`${text}\r\n`);
  return c.readUntil(new RegExp(`^${tag} `));
}

const recentOf = (lines: string[]): number =>
  Number(lines.find((l) => / RECENT$/.test(l))?.match(/^\* (\d+) RECENT$/)?.[1] ?? 0);

describe('\\Recent across sessions', () => {
  it('EXAMINE reports unclaimed \\Recent without claiming them; SELECT then claims them (imaptest select)', async () => {
    h = await startHarness();
    const a = await session(h.port);
    await append(a, 'p1', 'INBOX', '', message(1));
    await append(a, 'p2', 'INBOX', '', message(2));
    // Opens INBOX with `verb`, returns its RECENT count, closes it and returns STATUS's RECENT.
    const openClose = async (verb: string): Promise<[number, string]> => {
      await a.writeLine(`o ${verb} INBOX`);
      const recent = recentOf(await a.readUntil(/^o OK/));
      await a.writeLine('c CLOSE');
      await a.readUntil(/^c OK/);
      await a.writeLine('t STATUS INBOX (RECENT)');
      const status = await a.read();
      await a.readUntil(/^t OK/);
      return [recent, status];
    };
    expect(await openClose('EXAMINE')).toEqual([2, '* STATUS INBOX (RECENT 2)']);
    expect(await openClose('SELECT')).toEqual([2, '* STATUS INBOX (RECENT 0)']);
  });

  for (const backend of ['memory', 'maildir'] as const)
    it(`gives COPY results to the session that has the target selected, as \\Recent with their flags (imaptest copy, ${backend})`, async () => {
      h = await startHarness({ backend });
      await h.store.createFolder(ALICE, 'Target');
      const b = await session(h.port, 'Target');
      const a = await session(h.port, 'INBOX');
      await append(a, 'p1', 'INBOX', '(\\Seen) ', message(1));
      await append(a, 'p2', 'INBOX', '(\\Flagged $kw1) ', message(2));
      await a.writeLine('n NOOP');
      await a.readUntil(/^n OK/);
      await a.writeLine('c COPY 1:2 Target');
      await a.readUntil(/^c OK/);
      await b.writeLine('n NOOP');
      const untagged = await b.readUntil(/^n OK/);
      expect(untagged).toContain('* 2 EXISTS');
      expect(recentOf(untagged)).toBe(2);
      await b.writeLine('f FETCH 1:2 FLAGS');
      const flags = await b.readUntil(/^f OK/);
      expect(flags).toContain('* 1 FETCH (FLAGS (\\Seen \\Recent))');
      expect(flags).toContain('* 2 FETCH (FLAGS (\\Flagged $kw1 \\Recent))');
    });

  it('gives a message appended with flags to the one session that has the mailbox selected', async () => {
    h = await startHarness();
    const b = await session(h.port, 'INBOX');
    const a = await session(h.port); // authenticated, INBOX not selected
    const out = await append(a, 'p', 'INBOX', '(\\Seen) ', message(1));
    expect(out.at(-1)).toMatch(/^p OK \[APPENDUID \d+ 1\]/);
    await b.writeLine('n NOOP');
    expect(await b.readUntil(/^n OK/)).toEqual(['* 1 EXISTS', '* 1 RECENT', 'n OK NOOP completed']);
    await b.writeLine('f FETCH 1 FLAGS');
    expect(await b.read()).toBe('* 1 FETCH (FLAGS (\\Seen \\Recent))');
    await b.readUntil(/^f OK/);
    // Claimed: a later session sees it, but not as recent.
    const c = await session(h.port);
    await c.writeLine('s SELECT INBOX');
    expect(await c.readUntil(/^s OK/)).toContain('* 0 RECENT');
  });

  it('gives a message appended to a mailbox two sessions have selected to exactly one of them', async () => {
    h = await startHarness();
    const a = await session(h.port, 'INBOX');
    const b = await session(h.port, 'INBOX');
    // B idles, so its own refresh races A's claim as it would in real use.
    await b.writeLine('i IDLE');
    expect(await b.read()).toMatch(/^\+ /);
    for (const [tag, flags] of [
      ['p', ''],
      ['q', '(\\Flagged) '],
    ] as const) {
      const out = await append(a, tag, 'INBOX', flags, message(tag === 'p' ? 1 : 2));
      expect(out.at(-1)).toMatch(new RegExp(`^${tag} OK \\[APPENDUID`));
    }
    await a.writeLine('f FETCH 1:2 FLAGS');
    const aFlags = await a.readUntil(/^f OK/);
    await b.writeLine('DONE');
    await b.readUntil(/^i OK/);
    await b.writeLine('f FETCH 1:2 FLAGS');
    const bFlags = await b.readUntil(/^f OK/);
    const recentIn = (lines: string[], seq: number) =>
      lines.some((l) => l.startsWith(`* ${seq} FETCH (`) && l.includes('\\Recent'));
    for (const seq of [1, 2])
      expect([recentIn(aFlags, seq), recentIn(bFlags, seq)].filter(Boolean)).toHaveLength(1);
    expect(recentIn(aFlags, 2) || recentIn(bFlags, 2)).toBe(true);
  });

  it('counts in STATUS (RECENT) the messages no session has claimed; EXAMINE claims none', async () => {
    h = await startHarness();
    await h.deliver(message(1));
    await h.deliver(message(2));
    const a = await session(h.port);
    const out = await append(a, 'p', 'INBOX', '(\\Seen) ', message(3));
    expect(out.at(-1)).toMatch(/^p OK/);
    await a.writeLine('t STATUS INBOX (MESSAGES RECENT UNSEEN)');
    expect(await a.read()).toBe('* STATUS INBOX (MESSAGES 3 RECENT 3 UNSEEN 2)');
    await a.readUntil(/^t OK/);
    const e = await session(h.port);
    await e.writeLine('x EXAMINE INBOX');
    // EXAMINE reports the \Recent count (as Dovecot does) but claims none.
    expect(recentOf(await e.readUntil(/^x OK/))).toBe(3);
    await a.writeLine('u STATUS INBOX (RECENT)');
    expect(await a.read()).toBe('* STATUS INBOX (RECENT 3)');
    await a.readUntil(/^u OK/);
    const s = await session(h.port);
    await s.writeLine('s SELECT INBOX');
    expect(recentOf(await s.readUntil(/^s OK/))).toBe(3);
    await s.writeLine('v STATUS INBOX (RECENT)');
    expect(await s.read()).toBe('* STATUS INBOX (RECENT 3)');
    await a.writeLine('w STATUS INBOX (RECENT)');
    expect(await a.read()).toBe('* STATUS INBOX (RECENT 0)');
  });

  for (const backend of ['memory', 'maildir'] as const)
    it(`makes messages COPYed or MOVEd into another mailbox \\Recent for the next session to select it (${backend})`, async () => {
      h = await startHarness({ backend });
      for (let i = 1; i <= 3; i++) await h.deliver(message(i));
      const a = await session(h.port, 'INBOX');
      await a.writeLine('c COPY 1:2 Archive');
      expect((await a.readUntil(/^c /)).at(-1)).toMatch(/^c OK \[COPYUID \d+ 1:2 1:2\]/);
      await a.writeLine('m MOVE 3 Archive');
      expect((await a.readUntil(/^m /)).at(-1)).toMatch(/^m OK/);
      await a.writeLine('t STATUS Archive (MESSAGES RECENT)');
      expect(await a.read()).toBe('* STATUS Archive (MESSAGES 3 RECENT 3)');
      await a.readUntil(/^t OK/);
      // EXAMINE counts them and leaves them for the SELECT that follows (RFC 3501 6.3.2).
      const e = await session(h.port);
      await e.writeLine('x EXAMINE Archive');
      expect(recentOf(await e.readUntil(/^x OK/))).toBe(3);
      const b = await session(h.port);
      await b.writeLine('s SELECT Archive');
      expect(recentOf(await b.readUntil(/^s OK/))).toBe(3);
      await b.writeLine('f FETCH 1:3 FLAGS');
      const flags = await b.readUntil(/^f OK/);
      expect(flags.filter((l) => l.includes('\\Recent'))).toHaveLength(3);
      // Claimed by B: nobody else's.
      const c = await session(h.port);
      await c.writeLine('s SELECT Archive');
      expect(recentOf(await c.readUntil(/^s OK/))).toBe(0);
      await a.writeLine('u STATUS Archive (RECENT)');
      expect(await a.read()).toBe('* STATUS Archive (RECENT 0)');
    });
});
