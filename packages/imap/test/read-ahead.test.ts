import { describe, expect, it } from 'vitest';
import { readAhead } from '../src/fetch/ahead.ts';

describe('readAhead', () => {
  it('prepares up to `ahead` at once and consumes strictly in order', async () => {
    let inFlight = 0;
    let most = 0;
    const prepare = async (n: number): Promise<number> => {
      inFlight++;
      most = Math.max(most, inFlight);
      // Later items take fewer turns, so they finish first: the order must still hold.
      for (let i = 0; i < 10 - n; i++) await Promise.resolve();
      inFlight--;
      return n * 10;
    };
    const seen: number[] = [];
    await readAhead([1, 2, 3, 4, 5, 6, 7], 3, prepare, (r) => {
      seen.push(r);
    });
    expect(seen).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThan(1);
  });

  it('discards what was prepared but not consumed when consuming fails, and rethrows', async () => {
    const discarded: number[] = [];
    const run = readAhead(
      [1, 2, 3, 4],
      3,
      async (n) => n,
      (n) => {
        if (n === 1) throw new Error('socket closed');
      },
      (n) => discarded.push(n),
    );
    await expect(run).rejects.toThrow('socket closed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(discarded.sort()).toEqual([2, 3, 4]);
  });

  it('a failed preparation fails the run without an unhandled rejection', async () => {
    const run = readAhead(
      [1, 2, 3],
      3,
      async (n) => {
        if (n === 3) throw new Error('gone');
        return n;
      },
      () => {},
    );
    await expect(run).rejects.toThrow('gone');
  });
});
