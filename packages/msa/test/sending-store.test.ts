import { join } from 'node:path';
import { tempDir } from '@mailstack/testkit';
import { describe, expect, it } from 'vitest';
import { SendingLimiter } from '../src/sending-limits.ts';
import { createMemorySendingStore, openSqliteSendingStore } from '../src/sending-store.ts';

const HOUR = 3_600_000;

describe('sending count stores', () => {
  it('memory: counts inside the window only', () => {
    const store = createMemorySendingStore();
    store.record('a', 1_000, 0);
    store.record('a', 2_000, 0);
    store.record('b', 2_000, 0);
    expect(store.count('a', 0)).toBe(2);
    expect(store.count('a', 1_000)).toBe(1);
    expect(store.count('c', 0)).toBe(0);
  });

  it('SQLite: two openers of one file (two processes) count one budget, and a reopen keeps it', async () => {
    const dir = await tempDir('mailstack-sending-');
    try {
      const file = join(dir.path, 'sending-counts.sqlite');
      let now = 10 * HOUR;
      const limits = { messagesPerHour: 3 };
      const storeA = openSqliteSendingStore(file);
      const storeB = openSqliteSendingStore(file);
      const a = new SendingLimiter(limits, () => now, storeA);
      const b = new SendingLimiter(limits, () => now, storeB);
      a.recordMessage('alice');
      b.recordMessage('alice');
      expect(a.mayStartMessage('alice')).toBe(true);
      a.recordMessage('alice');
      expect(b.mayStartMessage('alice')).toBe(false);
      expect(a.mayStartMessage('bob')).toBe(true);
      storeA.close();
      storeB.close();

      const reopened = openSqliteSendingStore(file);
      const c = new SendingLimiter(limits, () => now, reopened);
      expect(c.mayStartMessage('alice')).toBe(false);
      now += HOUR; // the window slides past all three
      expect(c.mayStartMessage('alice')).toBe(true);
      c.recordMessage('alice'); // and the sweep drops the old rows
      expect(reopened.count('alice', 0)).toBe(1);
      reopened.close();
    } finally {
      await dir.cleanup();
    }
  });
});
