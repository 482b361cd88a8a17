/**
 * One queue-runner process on the PostgreSQL spool, as a host of a scaled-out setup would run
 * it (spool-postgres-runners.test.ts and bench/spool.ts start several):
 *
 *   node spool-runner-process.ts <url> <schema> <out file|-> <delay ms> [lease ms] [hang after]
 *
 * Its delivery target accepts every recipient: after `delay ms` (a next hop's round trip) it
 * appends `<queue id> <recipient> <pid>` per recipient to <out file> (O_APPEND, fsynced) and
 * answers 250; with `-` it records nothing (the bench's null target). After `hang after`
 * deliveries it accepts nothing more: each further delivery hangs (a next hop that stopped
 * answering), so the process holds leases it will never settle. On stdout: `ready`, then
 * `start <id>` as a delivery begins, `hung <id>` for one that hangs, and `settled <id>` once its
 * settle committed.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { DeliveryTarget } from '@mailstack/core';
import { startQueueRunner } from '@mailstack/queue';
import { openPostgresSpool } from '@mailstack/spool-postgres';

const [url, schema, out, delayArg, leaseArg, hangArg] = process.argv.slice(2);
if (!url || !schema || !out) {
  process.stderr.write('usage: spool-runner-process.ts <url> <schema> <out file|-> <delay ms> [lease ms]\n');
  process.exit(64);
}
const delayMs = Number(delayArg ?? 0);
const hangAfter = hangArg === undefined ? Number.POSITIVE_INFINITY : Number(hangArg);
let begun = 0;
const fd = out === '-' ? undefined : openSync(out, 'a');
const say = (line: string) => process.stdout.write(`${line}\n`);

const spool = await openPostgresSpool({ url, schema });
const settle = spool.settle.bind(spool);
spool.settle = async (id, results, options) => {
  await settle(id, results, options);
  say(`settled ${id}`);
};

const target: DeliveryTarget = {
  async deliver(envelope, blob) {
    say(`start ${blob.id}`);
    if (++begun > hangAfter) {
      say(`hung ${blob.id}`);
      await new Promise(() => {});
    }
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (fd !== undefined) {
      const lines = envelope.rcptTo.map((r) => `${blob.id} ${r.address} ${process.pid}\n`).join('');
      writeSync(fd, lines);
      fsyncSync(fd);
    }
    return envelope.rcptTo.map((r) => ({
      recipient: r.address,
      reply: { code: 250, enhanced: '2.0.0', text: 'accepted' },
    }));
  },
};

const runner = startQueueRunner({
  spool,
  target,
  leaseMs: Number(leaseArg ?? 2000),
  pollMs: 250,
  concurrency: 4,
});
say('ready');

process.once('SIGTERM', async () => {
  await runner.stop();
  await spool.close();
  if (fd !== undefined) closeSync(fd);
  process.exit(0);
});
