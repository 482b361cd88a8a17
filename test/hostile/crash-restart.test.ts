/**
 * A bad day: the delivery worker (`mailstack queue-runner`) is killed with SIGKILL
 * while it holds leased messages, under a stream of submissions. Restarted (or another worker
 * still running), it must deliver every acknowledged message within seconds, exactly once: the
 * leases of the dead process are taken back at once (packages/queue/src/lease-owner.ts), not
 * after their 5 minutes.
 */
import { afterEach, expect, it } from 'vitest';
import { type CrashRig, startCrashRig } from '../helpers/crash-rig.ts';
import { waitFor } from '../helpers/net.ts';

/** Far below the 5-minute lease: without taking the dead worker's leases back, this times out. */
const DELIVERY_TIMEOUT_MS = 60_000;
const MESSAGES = 40;

let rig: CrashRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

it('delivers every acknowledged message exactly once soon after a kill -9 of the worker holding leases', async () => {
  rig = await startCrashRig();
  const { sink } = rig;
  // A hung store: every delivery hangs unanswered, so the worker keeps its messages leased.
  sink.stall();
  await rig.startWorker();
  const stream = rig.submit(MESSAGES, 4);

  await waitFor('the worker to hold messages in delivery', () => sink.held() >= 2, 30_000);
  const dead = rig.workerPid();
  await rig.killWorker();
  const leased = (await rig.leasedBy(dead)).length;
  expect(leased).toBeGreaterThanOrEqual(2);
  sink.release();
  await rig.startWorker();
  await stream.done;
  const acknowledged = stream.acknowledged;
  expect(acknowledged.size).toBe(MESSAGES);

  await expectEveryAcknowledgedDeliveredOnce(rig, acknowledged, leased, dead);
}, 150_000);

/** Waits (bounded far below the lease) until each acknowledged message was delivered, once. */
async function expectEveryAcknowledgedDeliveredOnce(
  rig: CrashRig,
  acknowledged: Set<string>,
  leased: number,
  dead: number,
): Promise<void> {
  const { sink } = rig;
  try {
    await waitFor(
      'every acknowledged message to be delivered',
      () => [...acknowledged].every((id) => sink.delivered.has(id)),
      DELIVERY_TIMEOUT_MS,
      50,
    );
  } catch (error) {
    const missing = [...acknowledged].filter((id) => !sink.delivered.has(id));
    throw new Error(
      `${(error as Error).message}: ${missing.length} of ${acknowledged.size} not delivered ` +
        `(${leased} were leased by the killed worker ${dead})\n${rig.output().slice(-3000)}`,
    );
  }
  const duplicates = [...sink.delivered].filter(([, n]) => n > 1);
  expect(duplicates).toEqual([]);
  expect([...sink.delivered.keys()].sort()).toEqual([...acknowledged].sort());
  expect(await rig.leasedBy(dead)).toEqual([]);
}

it('a worker still running takes over the messages of a worker killed beside it', async () => {
  rig = await startCrashRig();
  const { sink } = rig;
  // Only the doomed worker's deliveries hang; the survivor's go through.
  sink.stall('doomed.crash.test');
  await rig.startWorker('doomed.crash.test');
  const dead = rig.workerPid();
  const stream = rig.submit(MESSAGES, 4);
  await waitFor('the doomed worker to hold messages in delivery', () => sink.held() >= 2, 30_000);
  // The survivor runs beside it, and sees its leases as live, before it dies.
  await rig.startWorker('survivor.crash.test');
  await waitFor('the survivor to deliver', () => sink.delivered.size >= 1, 30_000);

  await rig.killWorker(dead);
  const leased = (await rig.leasedBy(dead)).length;
  expect(leased).toBeGreaterThanOrEqual(2);
  sink.release();
  await stream.done;
  expect(stream.acknowledged.size).toBe(MESSAGES);
  await expectEveryAcknowledgedDeliveredOnce(rig, stream.acknowledged, leased, dead);
}, 150_000);
