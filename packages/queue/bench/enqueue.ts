// Durable enqueues per second: 1, 20 and 100 concurrent enqueuers, 4 KB and 100 KB bodies,
// with and without group commit of the directory fsync. The reference row is the disk's floor on
// the same machine in the same run: one new file written and fdatasync'ed per message, nothing
// else (any durable enqueue costs at least that).
//
//   node packages/queue/bench/enqueue.ts [--seconds 2] [--dir /var/tmp]
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bufferBlob, type Envelope } from '@mailstack/core';
import { FileSpool } from '../src/index.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '2' }, dir: { type: 'string', default: tmpdir() } },
});
const seconds = Number(values.seconds);
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

console.log(`durable enqueues/s, ${seconds}s per case, spool under ${base} (node ${process.version})`);
console.log('size    conc  group-commit  no-group-commit  dir-fsyncs/msg(group)  raw-file+fdatasync/s');
for (const size of [4 * 1024, 100 * 1024]) {
  for (const concurrency of [1, 20, 100]) {
    const group = await spoolCase(size, concurrency, true);
    const single = await spoolCase(size, concurrency, false);
    const raw = await rawCase(size, concurrency);
    console.log(
      [
        `${size / 1024} KB`.padEnd(7),
        String(concurrency).padStart(4),
        group.rate.toFixed(0).padStart(13),
        single.rate.toFixed(0).padStart(16),
        group.dirSyncsPerMsg.toFixed(2).padStart(22),
        raw.toFixed(0).padStart(21),
      ].join(' '),
    );
  }
}
