import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempStore, USER } from './helpers.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('UIDVALIDITY', () => {
  it('differs for a folder deleted and re-created within the same second by a restarted process', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const t = await tempStore();
    try {
      await t.store.createFolder(USER, 'Box');
      const first = await t.store.openFolder(USER, 'Box');
      const before = first.uidValidity;
      await first.close();
      await t.store.deleteFolder(USER, 'Box');
      // A fresh copy of the package: a restarted process keeps nothing in memory.
      vi.resetModules();
      const { createMaildirStore } = await import('../src/index.ts');
      const restarted = createMaildirStore({ root: t.root, hostname: 'test.host' });
      await restarted.createFolder(USER, 'Box');
      const again = await restarted.openFolder(USER, 'Box');
      expect(again.uidValidity).toBeGreaterThan(before);
      await again.close();
      // Kept where Dovecot keeps it, in hex.
      const stored = await readFile(join(t.maildir, 'dovecot-uidvalidity'), 'utf8');
      expect(Number.parseInt(stored, 16)).toBe(again.uidValidity);
    } finally {
      await t.cleanup();
    }
  });
});
