import { bufferBlob } from '@mailstack/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type FileSpool, openFileSpool } from '../src/index.ts';
import { envelope, tempDir } from './fixtures.ts';

/** Resolves once `spool` wakes its listeners `n` times. */
function wakes(spool: FileSpool, n = 1): { done: Promise<void>; stop: () => void } {
  let stop = () => {};
  const done = new Promise<void>((resolve) => {
    let seen = 0;
    stop = spool.onWake(() => {
      if (++seen >= n) resolve();
    });
  });
  return { done, stop };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

// Two FileSpool objects on one folder stand for two processes: neither tells the other
// anything in memory, so only the file-system watch can carry the wake-up.
describe('wake-up from another opener of the spool', () => {
  it('an enqueue by the other wakes the listener', async () => {
    const tmp = await tempDir('mailstack-queue-wake-');
    cleanup = tmp.cleanup;
    const intake = await openFileSpool(tmp.path);
    const worker = await openFileSpool(tmp.path);
    const w = wakes(worker);
    await intake.enqueue(envelope(['a@example.test']), bufferBlob('Subject: x\r\n\r\nx\r\n'));
    await w.done;
    w.stop();
  });

  it('an operator change by the other (flush) wakes the listener, also for an entry it knows', async () => {
    const tmp = await tempDir('mailstack-queue-wake-');
    cleanup = tmp.cleanup;
    const intake = await openFileSpool(tmp.path);
    const worker = await openFileSpool(tmp.path);
    await intake.enqueue(envelope(['a@example.test']), bufferBlob('Subject: x\r\n\r\nx\r\n'));
    expect(await worker.list()).toHaveLength(1);
    await worker.lease(new Date(), { owner: 'w' }); // the worker now knows the entry
    const w = wakes(worker);
    const operator = await openFileSpool(tmp.path, { recoverOnOpen: false });
    await operator.flush();
    await w.done;
    w.stop();
  });
});
