import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { bufferBlob } from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FileSpool, openFileSpool } from '../src/index.ts';
import { envelope, HOUR, manualClock, reply, tempDir } from './fixtures.ts';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let clock: ReturnType<typeof manualClock>;
let spool: FileSpool;
beforeEach(async () => {
  tmp = await tempDir('mailstack-queue-');
  clock = manualClock();
  spool = await openFileSpool(tmp.path, { clock: clock.now });
});
afterEach(() => tmp.cleanup());

const leasedIds = async (owner = 'w') => (await spool.lease(clock.date(), { owner })).map((m) => m.id);

/** Enqueues and defers once, so the message waits 5 minutes. */
async function deferred(rcpt = 'a@r.test'): Promise<string> {
  const id = await spool.enqueue(envelope([rcpt]), bufferBlob('x'));
  expect(await leasedIds()).toEqual([id]);
  await spool.settle(id, [{ recipient: rcpt, reply: reply(451) }]);
  return id;
}

describe('operations', () => {
  it('hold keeps a message from delivery until release', async () => {
    const id = await spool.enqueue(envelope(['a@r.test']), bufferBlob('x'));
    expect(await spool.hold(id)).toBe(true);
    expect((await spool.get(id))?.held).toBe(true);
    expect(await leasedIds()).toEqual([]);
    clock.advance(HOUR);
    expect(await leasedIds()).toEqual([]);
    expect(await spool.flush()).toBe(0);
    expect(await spool.release(id)).toBe(true);
    expect(await leasedIds()).toEqual([id]);
  });

  it('flush makes deferred messages due now, one or all', async () => {
    const a = await deferred();
    const b = await deferred();
    expect(await leasedIds()).toEqual([]);
    expect(await spool.flush(a)).toBe(1);
    expect(await leasedIds()).toEqual([a]);
    expect(await spool.flush()).toBe(2);
    expect(await leasedIds()).toEqual([b]);
  });

  it('delete removes the message and its files; a late settle is harmless', async () => {
    const id = await spool.enqueue(envelope(['a@r.test']), bufferBlob('x'));
    await leasedIds();
    expect(await spool.delete(id)).toBe(true);
    expect(await spool.get(id)).toBeUndefined();
    expect(await readdir(join(tmp.path, 'queue'))).toEqual([]);
    await spool.settle(id, [{ recipient: 'a@r.test', reply: reply(250) }]);
    expect(await spool.delete(id)).toBe(false);
  });

  it('requeue drops a stuck lease and makes deferred recipients pending and due now', async () => {
    const id = await deferred();
    clock.advance(5 * 60_000);
    expect(await leasedIds('stuck')).toEqual([id]);
    expect(await leasedIds('other')).toEqual([]);
    expect(await spool.requeue(id)).toBe(true);
    const m = (await spool.get(id))!;
    expect(m.lease).toBeUndefined();
    expect(m.recipients[0]).toMatchObject({ status: 'pending', attempts: 1 });
    expect(m.recipients[0]!.nextAttemptAt).toBeUndefined();
    expect(await leasedIds('other')).toEqual([id]);
  });

  it('answers false for unknown or malformed ids', async () => {
    for (const op of ['hold', 'release', 'requeue', 'delete'] as const) {
      expect(await spool[op]('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe(false);
      expect(await spool[op]('../../etc/passwd')).toBe(false);
    }
    expect(await spool.get('nope')).toBeUndefined();
  });

  it('shows last reply and next attempt per recipient', async () => {
    const id = await deferred('slow@r.test');
    const m = (await spool.get(id))!;
    expect(m.recipients[0]).toMatchObject({
      status: 'deferred',
      attempts: 1,
      lastReply: { code: 451 },
      nextAttemptAt: new Date(clock.now() + 5 * 60_000),
      lastAttemptAt: new Date(clock.now()),
    });
  });
});
