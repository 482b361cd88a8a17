import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, parseLogLevel } from '../src/index.ts';

function capture() {
  const out = new PassThrough();
  const lines: Array<Record<string, unknown>> = [];
  out.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  return { out, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per event with level label, ISO time, bindings and child fields', async () => {
    const { out, lines } = capture();
    const log = createLogger({ destination: out, bindings: { agent: 'mda' } });
    log.child({ queueId: 'Q1' }).info({ event: 'delivered', uid: 7 }, 'delivered');
    log.debug({ event: 'hidden' });
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      agent: 'mda',
      queueId: 'Q1',
      event: 'delivered',
      uid: 7,
      msg: 'delivered',
    });
    expect(String(lines[0]!.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(lines[0]).not.toHaveProperty('pid');
  });

  it('honours the level and parses level names', async () => {
    const { out, lines } = capture();
    const log = createLogger({ destination: out, level: 'warn' });
    log.info({ a: 1 });
    log.error({ b: 2 });
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.level)).toEqual(['error']);
    expect(parseLogLevel('debug')).toBe('debug');
    expect(parseLogLevel('loud')).toBeUndefined();
  });
});
