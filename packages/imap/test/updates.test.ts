import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, type Harness, message, selecting, startHarness } from './fixtures.ts';

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('untagged updates', () => {
  it('pushes EXISTS to an idling imapflow client when a message is delivered', async () => {
    h = await startHarness();
    await h.deliver(message(1));
    const c = await h.client();
    await c.mailboxOpen('INBOX');
    const seen = new Promise<{ count: number; prevCount: number }>((resolve) => c.on('exists', resolve));
    const idling = c.idle();
    await h.deliver(message(2));
    const ev = await seen;
    expect(ev).toMatchObject({ count: 2, prevCount: 1 });
    await c.noop(); // ends IDLE
    await idling;
  });

  it('reports other sessions’ flag changes and expunges, holding EXPUNGE back during FETCH', async () => {
    h = await startHarness();
    for (let i = 1; i <= 3; i++) await h.deliver(message(i));
    const a = await selecting(h.port);
    await a.readUntil(/^b OK/);

    const other = await h.store.openFolder(ALICE, 'INBOX');
    await other.setFlags([3], '+', ['\\Answered']);
    await a.writeLine('c NOOP');
    expect(await a.read()).toBe('* 3 FETCH (FLAGS (\\Answered \\Recent))');
    expect(await a.read()).toBe('c OK NOOP completed');

    await other.setFlags([1], '+', ['\\Deleted']);
    await other.expunge();
    await a.writeLine('d FETCH 1:* (UID)');
    // Message 1 is gone but the client was not told: no EXPUNGE during FETCH, no data for it,
    // the rest answered and OK [EXPUNGEISSUED] (RFC 9051 7.1; Dovecot answers the same), not NO.
    expect(await a.read()).toBe('* 2 FETCH (UID 2)');
    expect(await a.read()).toBe('* 3 FETCH (UID 3)');
    expect(await a.read()).toMatch(/^d OK \[EXPUNGEISSUED\] /);
    await h.deliver(message(4));
    await a.writeLine('e NOOP');
    expect(await a.read()).toBe('* 1 EXPUNGE');
    expect(await a.read()).toBe('* 3 EXISTS');
    expect(await a.read()).toBe('* 3 RECENT');
    expect(await a.read()).toBe('e OK NOOP completed');
    await a.writeLine('f UID FETCH 4 (UID FLAGS)');
    expect(await a.read()).toBe('* 3 FETCH (UID 4 FLAGS (\\Recent))');
    expect(await a.read()).toBe('f OK UID FETCH completed');
    await other.close();
    await a.close();
  });

  // The view's bookkeeping against both stores: the in-memory one and the Maildir's shared index.
  for (const backend of ['memory', 'maildir'] as const) {
    it(`${backend}: never drops from FLAGS a keyword a message still has, names every keyword defined`, async () => {
      h = await startHarness({ backend });
      for (let i = 1; i <= 2; i++) await h.deliver(message(i));
      const other = await h.store.openFolder(ALICE, 'INBOX');
      await other.setFlags([1], '+', ['$Defined']);
      await other.setFlags([1], '-', ['$Defined']);
      await other.setFlags([2], '+', ['$Used']);
      const a = await selecting(h.port);
      const flags = (await a.readUntil(/^b OK/)).find((l) => l.startsWith('* FLAGS'));
      expect(flags).toContain('$Defined');
      expect(flags).toContain('$Used');
      // Another session expunges the message with $Used and adds $New to message 1: during FETCH
      // the expunged message is still in A's view, so a new FLAGS must still name $Used.
      await other.setFlags([1], '+', ['$New']);
      await other.expunge([2]);
      await a.writeLine('c FETCH 1 (FLAGS)');
      const during = await a.readUntil(/^c /);
      const update = during.find((l) => l.startsWith('* FLAGS'));
      expect(update).toContain('$New');
      expect(update).toContain('$Used');
      expect(during.find((l) => l.startsWith('* 1 FETCH'))).toMatch(
        /^\* 1 FETCH \(FLAGS \(\$New( \\Recent)?\)\)$/,
      );
      expect(during.filter((l) => /^\* \d+ FETCH/.test(l))).toHaveLength(1);
      await a.writeLine('d NOOP');
      expect(await a.readUntil(/^d OK/)).toEqual(['* 2 EXPUNGE', 'd OK NOOP completed']);
      await a.close();
      await other.close();
    });

    it(`${backend}: echoes a session’s own STORE once and another session’s change once`, async () => {
      h = await startHarness({ backend });
      for (let i = 1; i <= 2; i++) await h.deliver(message(i));
      const a = await selecting(h.port);
      await a.readUntil(/^b OK/);
      await a.writeLine('c STORE 1 +FLAGS (\\Seen)');
      expect(await a.readUntil(/^c OK/)).toEqual([
        '* 1 FETCH (FLAGS (\\Seen \\Recent))',
        'c OK STORE completed',
      ]);
      await a.writeLine('d NOOP');
      expect(await a.readUntil(/^d OK/)).toEqual(['d OK NOOP completed']);
      const other = await h.store.openFolder(ALICE, 'INBOX');
      await other.setFlags([2], '+', ['\\Flagged']);
      await a.writeLine('e FETCH 2 FLAGS');
      expect(await a.readUntil(/^e OK/)).toEqual([
        '* 2 FETCH (FLAGS (\\Flagged \\Recent))',
        'e OK FETCH completed',
      ]);
      await a.writeLine('f NOOP');
      expect(await a.readUntil(/^f OK/)).toEqual(['f OK NOOP completed']);
      await a.close();
      await other.close();
    });
  }
});
