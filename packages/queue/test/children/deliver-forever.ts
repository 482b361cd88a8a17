// A delivery process the crash test SIGKILLs: accepts every recipient, printing "D <id>" once the
// next hop "accepted" and before the spool has recorded it (the window where a duplicate is possible).
import type { DeliveryTarget } from '@mailstack/core';
import { openFileSpool, startQueueRunner } from '../../src/index.ts';

const [root] = process.argv.slice(2) as [string];
const spool = await openFileSpool(root);
const target: DeliveryTarget = {
  async deliver(envelope, blob) {
    for await (const _ of blob.open());
    process.stdout.write(`D ${blob.id}\n`);
    return envelope.rcptTo.map((r) => ({
      recipient: r.address,
      reply: { code: 250, enhanced: '2.0.0', text: 'ok' },
    }));
  },
};
startQueueRunner({ spool, target, owner: 'doomed', concurrency: 16, pollMs: 5, leaseMs: 60_000 });
