/**
 * One queue-runner process, as a host of a scaled-out setup would run it
 * (spool-postgres-runners.test.ts and bench/spool.ts start several):
 *
 *   node spool-runner-process.ts --spool pg:<schema>:<url> | file:<dir>
 *     [--out <file>] [--delay <ms>] [--lease <ms>] [--concurrency <n>] [--hang-after <n>] [--wait-go]
 *
 * Its delivery target accepts every recipient: after `--delay` ms (a next hop's round trip) it
 * appends `<queue id> <recipient> <pid>` per recipient to `--out` (O_APPEND, fsynced) and
 * answers 250; without `--out` it records nothing (a null target). After `--hang-after`
 * deliveries it accepts nothing more: each further delivery hangs (a next hop that stopped
 * answering), so the process holds leases it will never settle. With `--wait-go` the runner
 * starts on SIGUSR1 only (the bench times from there, without the process start-up).
 *
 * On stdout: `ready` once the spool is open, then `start <id>` as a delivery begins, `hung <id>`
 * for one that hangs, and `settled <id>` once its settle committed.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { DeliveryTarget, Spool, SpoolOperations } from '@mailstack/core';
import { openFileSpool, type QueueRunner, startQueueRunner } from '@mailstack/queue';
import { openPostgresSpool } from '@mailstack/spool-postgres';

const { values } = parseArgs({
  options: {
    spool: { type: 'string' },
    out: { type: 'string' },
    delay: { type: 'string', default: '0' },
    lease: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '4' },
    'hang-after': { type: 'string' },
    'wait-go': { type: 'boolean', default: false },
  },
});

/** `pg:<schema>:<url>` or `file:<dir>`. */
async function openSpool(spec: string): Promise<Spool & SpoolOperations & { close?(): Promise<void> }> {
  if (spec.startsWith('file:')) return openFileSpool(spec.slice(5));
  const m = /^pg:([a-z_][a-z0-9_]*):(.+)$/.exec(spec);
  if (!m) throw new Error(`--spool: expected pg:<schema>:<url> or file:<dir>, got ${spec}`);
  return openPostgresSpool({ url: m[2]!, schema: m[1]! });
}

if (!values.spool) {
  process.stderr.write('spool-runner-process.ts: --spool is required\n');
  process.exit(64);
}
const delayMs = Number(values.delay);
const hangAfter =
  values['hang-after'] === undefined ? Number.POSITIVE_INFINITY : Number(values['hang-after']);
const fd = values.out === undefined ? undefined : openSync(values.out, 'a');
const say = (line: string) => process.stdout.write(`${line}\n`);

const spool = await openSpool(values.spool);
const settle = spool.settle.bind(spool);
spool.settle = async (id, results, options) => {
  await settle(id, results, options);
  say(`settled ${id}`);
};

let begun = 0;
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

let runner: QueueRunner | undefined;
const start = () => {
  runner ??= startQueueRunner({
    spool,
    target,
    leaseMs: Number(values.lease),
    pollMs: 250,
    concurrency: Number(values.concurrency),
  });
};
if (values['wait-go']) {
  // Nothing else may keep the process alive until the signal (the file spool holds no handle).
  const waiting = setInterval(() => {}, 60_000);
  process.once('SIGUSR1', () => {
    clearInterval(waiting);
    start();
  });
} else start();
say('ready');

process.once('SIGTERM', async () => {
  await runner?.stop();
  await spool.close?.();
  if (fd !== undefined) closeSync(fd);
  process.exit(0);
});
