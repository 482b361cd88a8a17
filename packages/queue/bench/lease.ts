// Lease-side costs with a big queue: one scan with nothing due (cold: a fresh spool instance reads
// every meta; warm: its index skips what is not due), then leases and settles of every message.
//
//   node packages/queue/bench/lease.ts [--messages 5000] [--dir /var/tmp]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bufferBlob } from '@mailstack/core';
import { openFileSpool } from '../src/index.ts';

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '5000' }, dir: { type: 'string', default: tmpdir() } },
});
const total = Number(values.messages);
const dir = await mkdtemp(join(values.dir, 'mailstack-bench-lease-'));
try {
  const writer = await openFileSpool(dir);
  const blob = bufferBlob(Buffer.alloc(4096, 65));
  const env = { mailFrom: 'a@example.test', rcptTo: [{ address: 'x@remote.test' }], params: {} };
  await Promise.all(
    Array.from({ length: 50 }, async (_, k) => {
      for (let i = k; i < total; i += 50) await writer.enqueue(env, blob);
    }),
  );

  const spool = await openFileSpool(dir);
  const past = new Date(0);
  let t = performance.now();
  await spool.lease(past, { owner: 'w' });
  const cold = performance.now() - t;
  t = performance.now();
  await spool.lease(past, { owner: 'w' });
  const warm = performance.now() - t;
  console.log(
    `${total} queued, nothing due: cold scan ${cold.toFixed(0)} ms, warm scan ${warm.toFixed(0)} ms`,
  );

  t = performance.now();
  let leased = 0;
  for (;;) {
    const batch = await spool.lease(new Date(), { owner: 'w', max: 100 });
    if (batch.length === 0) break;
    leased += batch.length;
    await Promise.all(
      batch.map((m) =>
        spool.settle(m.id, [
          { recipient: 'x@remote.test', reply: { code: 250, enhanced: '2.0.0', text: 'ok' } },
        ]),
      ),
    );
  }
  const secs = (performance.now() - t) / 1000;
  console.log(`leased and settled ${leased} in batches of 100: ${(leased / secs).toFixed(0)} messages/s`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
