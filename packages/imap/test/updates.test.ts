import { lineClient } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, type Harness, message, startHarness } from './fixtures.ts';

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
    const a = await lineClient(h.port);
    await a.read();
    await a.writeLine(`a LOGIN ${ALICE} alice-pw`);
    await a.readUntil(/^a OK/);
    await a.writeLine('b SELECT INBOX');
    await a.readUntil(/^b OK/);

    const other = await h.store.openFolder(ALICE, 'INBOX');
    await other.setFlags([3], '+', ['\\Answered']);
    await a.writeLine('c NOOP');
    expect(await a.read()).toBe('* 3 FETCH (FLAGS (\\Answered \\Recent))');
    expect(await a.read()).toBe('c OK NOOP completed');

    await other.setFlags([1], '+', ['\\Deleted']);
    await other.expunge();
    await a.writeLine('d FETCH 1:* (UID)');
    // Message 1 is gone but the client was not told: no EXPUNGE during FETCH, no data for it.
    expect(await a.read()).toBe('* 2 FETCH (UID 2)');
    expect(await a.read()).toBe('* 3 FETCH (UID 3)');
    expect(await a.read()).toBe('d OK FETCH completed');
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
});
