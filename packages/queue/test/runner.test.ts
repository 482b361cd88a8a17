import {
  bufferBlob,
  type DeliveryTarget,
  type Envelope,
  type MessageBlob,
  type RecipientResult,
  readAll,
  SmtpError,
} from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FileSpool, openFileSpool, type QueueRunner, startQueueRunner } from '../src/index.ts';
import { envelope, manualClock, messageBytes, reply, tempDir } from './fixtures.ts';

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
let clock: ReturnType<typeof manualClock>;
let spool: FileSpool;
let runner: QueueRunner | undefined;
beforeEach(async () => {
  tmp = await tempDir('mailstack-queue-run-');
  clock = manualClock();
  spool = await openFileSpool(tmp.path, { clock: clock.now });
});
afterEach(async () => {
  await runner?.stop();
  runner = undefined;
  await tmp.cleanup();
});

describe('queue runner', () => {
  it('delivers with the delivery contract, retries only deferred recipients, and settles everything', async () => {
    const calls: { rcpts: string[]; body: Buffer }[] = [];
    const answers: Record<string, number[]> = {
      'a@r.test': [250],
      'b@r.test': [451, 250],
      'c@r.test': [550],
    };
    const target: DeliveryTarget = {
      async deliver(env: Envelope, blob: MessageBlob): Promise<RecipientResult[]> {
        calls.push({ rcpts: env.rcptTo.map((r) => r.address), body: await readAll(blob.open()) });
        return env.rcptTo.map((r) => ({ recipient: r.address, reply: reply(answers[r.address]!.shift()!) }));
      },
    };
    runner = startQueueRunner({ spool, target, clock: clock.now, pollMs: 60_000, owner: 'runner-1' });
    const bytes = messageBytes(9, 5000);
    const id = await spool.enqueue(envelope(['a@r.test', 'b@r.test', 'c@r.test']), bufferBlob(bytes));

    await until('first attempt settled', async () => (await spool.get(id))?.attempts === 1);
    expect(calls.map((c) => c.rcpts)).toEqual([['a@r.test', 'b@r.test', 'c@r.test']]);
    expect(calls[0]!.body.equals(bytes)).toBe(true);
    expect((await spool.get(id))!.recipients.map((r) => r.status)).toEqual([
      'delivered',
      'deferred',
      'failed',
    ]);

    clock.advance(5 * 60_000);
    runner.kick();
    await until('message gone', async () => (await spool.get(id)) === undefined);
    expect(calls.map((c) => c.rcpts)).toEqual([['a@r.test', 'b@r.test', 'c@r.test'], ['b@r.test']]);
  });

  it('turns a throwing target into per-recipient replies: 451 for a crash, the SmtpError otherwise', async () => {
    let mode: 'crash' | 'reject' = 'crash';
    const target: DeliveryTarget = {
      async deliver() {
        if (mode === 'crash') throw new Error('connection reset');
        throw new SmtpError(554, '5.7.1', 'relay denied');
      },
    };
    runner = startQueueRunner({ spool, target, clock: clock.now, pollMs: 60_000 });
    const id = await spool.enqueue(envelope(['a@r.test', 'b@r.test']), bufferBlob('x'));
    await until('deferred', async () => (await spool.get(id))?.attempts === 1);
    expect((await spool.get(id))!.recipients.map((r) => [r.status, r.lastReply?.code])).toEqual([
      ['deferred', 451],
      ['deferred', 451],
    ]);
    mode = 'reject';
    clock.advance(5 * 60_000);
    runner.kick();
    await until('failed', async () => (await spool.get(id)) === undefined);
  });

  it('runs at most `concurrency` deliveries at once and stop() waits for them', async () => {
    let inFlight = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const target: DeliveryTarget = {
      async deliver(env) {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise<void>((r) => release.push(r));
        inFlight--;
        return env.rcptTo.map((r) => ({ recipient: r.address, reply: reply(250) }));
      },
    };
    for (let i = 0; i < 5; i++) await spool.enqueue(envelope(['a@r.test']), bufferBlob(`m${i}`));
    runner = startQueueRunner({ spool, target, clock: clock.now, pollMs: 60_000, concurrency: 2 });
    await until('two in flight', () => release.length === 2);
    const stopped = runner.stop();
    runner = undefined;
    while (release.length > 0) release.shift()!();
    await stopped;
    expect(peak).toBe(2);
    expect((await spool.list()).length).toBe(3);
  });
});
