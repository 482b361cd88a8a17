// A delivery process: runs the queue runner against a fake next hop that defers each recipient's
// first attempt half of the time, printing "D <id> <rcpt>" for every 2xx it gives. Stops on "stop".
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { DeliveryTarget } from '@mailstack/core';
import { openFileSpool, startQueueRunner } from '../../src/index.ts';

const [root, owner] = process.argv.slice(2) as [string, string];
const spool = await openFileSpool(root, { retry: { delaysMs: [20] }, recoverOnOpen: false });
const seen = new Set<string>();
const target: DeliveryTarget = {
  async deliver(envelope, blob) {
    for await (const _ of blob.open()); // read the body like a real hop would
    const id = blob.id!;
    return envelope.rcptTo.map((r) => {
      const key = `${id} ${r.address}`;
      const coin = createHash('sha256').update(key).digest()[0]! & 1;
      if (coin === 1 && !seen.has(key)) {
        seen.add(key);
        return { recipient: r.address, reply: { code: 451, enhanced: '4.2.0', text: 'later' } };
      }
      process.stdout.write(`D ${key}\n`);
      return { recipient: r.address, reply: { code: 250, enhanced: '2.0.0', text: 'ok' } };
    });
  },
};
const runner = startQueueRunner({ spool, target, owner, concurrency: 8, pollMs: 5, leaseMs: 60_000 });
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) if (line === 'stop') break;
await runner.stop();
process.exit(0);
