// Durable enqueues per second: 1, 20 and 100 concurrent enqueuers, 4 KB and 100 KB bodies,
// with and without group commit of the directory fsync. The reference row is the disk's floor on
// the same machine in the same run: one new file written and fdatasync'ed per message, nothing
// else (any durable enqueue costs at least that).
//
// Each case runs `--rounds` times with the three variants interleaved and prints the median, so a
// neighbour's disk load drifts over all of them alike.
//
//   node packages/queue/bench/enqueue.ts [--seconds 1] [--rounds 3] [--dir /var/tmp]
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bufferBlob, type Envelope } from '@mailstack/core';
import { FileSpool } from '../src/index.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = values.dir;

const envelope: Envelope = {
  mailFrom: 'bench@example.test',
  rcptTo: [{ address: 'a@remote.test' }, { address: 'b@remote.test', notify: ['FAILURE'] }],
  params: { body: '8BITMIME' },
  receivedFrom: { helo: 'bench', address: '127.0.0.1', protocol: 'ESMTP' },
};

/** Runs `concurrency` loops of `op` for the time budget; returns completed ops per second. */
async function measure(concurrency: number, op: () => Promise<void>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await op();
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

async function spoolCase(size: number, concurrency: number, groupCommit: boolean) {
  const dir = await mkdtemp(join(base, 'mailstack-bench-queue-'));
  try {
    const spool = await new FileSpool(dir, { groupCommit }).open();
    const blob = bufferBlob(randomBytes(size));
    let n = 0;
    const rate = await measure(concurrency, async () => {
      await spool.enqueue(envelope, blob);
      n++;
    });
    return { rate, dirSyncsPerMsg: spool.dirSync.syncs / n };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function rawCase(size: number, concurrency: number) {
  const dir = await mkdtemp(join(base, 'mailstack-bench-raw-'));
  try {
    const bytes = randomBytes(size);
    let i = 0;
    return await measure(concurrency, async () => {
      const f = await open(join(dir, String(i++)), 'wx');
      await f.writeFile(bytes);
      await f.datasync();
      await f.close();
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(
  `durable enqueues/s (median of ${rounds} x ${seconds}s), spool under ${base} (node ${process.version})`,
);
console.log('size    conc  group-commit  no-group-commit  dir-fsyncs/msg(group)  raw-file+fdatasync/s');
for (const size of [4 * 1024, 100 * 1024]) {
  for (const concurrency of [1, 20, 100]) {
    const group: number[] = [];
    const single: number[] = [];
    const raw: number[] = [];
    const syncsPerMsg: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const g = await spoolCase(size, concurrency, true);
      group.push(g.rate);
      syncsPerMsg.push(g.dirSyncsPerMsg);
      single.push((await spoolCase(size, concurrency, false)).rate);
      raw.push(await rawCase(size, concurrency));
    }
    console.log(
      [
        `${size / 1024} KB`.padEnd(7),
        String(concurrency).padStart(4),
        median(group).toFixed(0).padStart(13),
        median(single).toFixed(0).padStart(16),
        median(syncsPerMsg).toFixed(2).padStart(22),
        median(raw).toFixed(0).padStart(21),
      ].join(' '),
    );
  }
}
