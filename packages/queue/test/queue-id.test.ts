import { describe, expect, it } from 'vitest';
import { isQueueId, queueIdGenerator, queueIdTime } from '../src/queue-id.ts';

describe('queue ids', () => {
  it('sort by time and stay strictly increasing within one millisecond', () => {
    let now = Date.UTC(2026, 0, 1);
    const next = queueIdGenerator(() => now);
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) {
      if (i % 100 === 0) now += 1;
      ids.push(next());
    }
    expect(ids.every(isQueueId)).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(queueIdTime(ids[0]!)).toBe(Date.UTC(2026, 0, 1) + 1);
  });

  it('keep increasing when the clock steps back', () => {
    let now = 5_000_000;
    const next = queueIdGenerator(() => now);
    const a = next();
    now -= 1000;
    const b = next();
    expect(b > a).toBe(true);
  });

  it('differ between generators (processes) in the same millisecond', () => {
    const gens = Array.from({ length: 50 }, () => queueIdGenerator(() => 1_700_000_000_000));
    const ids = gens.map((g) => g());
    expect(new Set(ids).size).toBe(50);
  });

  it('rejects anything that is not an id (ids name files)', () => {
    for (const bad of [
      '',
      '../x',
      '01M83QA85692Q6QGFQHQEZWHR',
      '01M83QA85692Q6QGFQHQEZWHRI',
      'a'.repeat(26),
    ]) {
      expect(isQueueId(bad)).toBe(false);
    }
  });
});
