import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
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
    log
      .child({ queueId: 'Q1' })
      .info({ event: 'delivered', recipient: 'a@x.test', user: 'a', folder: 'INBOX', uid: 7 }, 'delivered');
    log.debug({ event: 'connect', remote: '127.0.0.1' });
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
    log.info({ event: 'idle-timeout' });
    log.error({ event: 'session-error', err: 'boom' });
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.level)).toEqual(['error']);
    expect(parseLogLevel('debug')).toBe('debug');
    expect(parseLogLevel('loud')).toBeUndefined();
  });
});

describe('createLogger to a file', () => {
  let dir: string;
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the folder and appends, so a second logger (a restart) keeps the first lines', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mailstack-log-'));
    const file = join(dir, 'nested', 'deeper', 'mailstack.log');
    createLogger({ destination: file, bindings: { agent: 'msa' } }).info({
      event: 'stopping',
      signal: 'SIGTERM',
    });
    createLogger({ destination: file, bindings: { agent: 'mta' } }).warn(
      { event: 'too-many-connections', remote: '127.0.0.1', limit: 5 },
      'too many connections',
    );
    const lines = (await readFile(file, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', agent: 'msa', event: 'stopping', signal: 'SIGTERM' }),
      expect.objectContaining({ level: 'warn', agent: 'mta', event: 'too-many-connections', limit: 5 }),
    ]);
    expect(Object.keys(lines[1])).toEqual(['level', 'time', 'agent', 'event', 'remote', 'limit', 'msg']);
  });
});
