// A delivery worker in its own process: waits for "go" on stdin, then leases until the spool has
// nothing due, printing every id it got. Used to show two processes never hold one message.
import { createInterface } from 'node:readline';
import { openFileSpool } from '../../src/index.ts';

const [root, owner] = process.argv.slice(2) as [string, string];
const spool = await openFileSpool(root, { recoverOnOpen: false });
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line === 'go') break;
let empty = 0;
while (empty < 2) {
  const batch = await spool.lease(new Date(), { owner, max: 3, leaseMs: 10 * 60_000 });
  empty = batch.length === 0 ? empty + 1 : 0;
  for (const m of batch) process.stdout.write(`${m.id}\n`);
}
process.stdout.write('done\n');
process.exit(0);
