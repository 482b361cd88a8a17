// Enqueues a stream of messages with several in flight, printing "<n> <id>" only once each
// enqueue has resolved (stdout to a pipe is synchronous on Linux, so a printed line was acked
// before the next step). The crash test SIGKILLs this process mid-burst.
import { bufferBlob } from '@mailstack/core';
import { openFileSpool } from '../../src/index.ts';
import { burstSize, envelope, messageBytes } from '../fixtures.ts';

const [root, startArg] = process.argv.slice(2) as [string, string];
const spool = await openFileSpool(root);
let next = Number(startArg);
async function worker(): Promise<never> {
  for (;;) {
    const n = next++;
    const id = await spool.enqueue(
      envelope(['rcpt@r.test'], `n${n}@example.test`),
      bufferBlob(messageBytes(n, burstSize(n))),
    );
    process.stdout.write(`${n} ${id}\n`);
  }
}
await Promise.all(Array.from({ length: 8 }, worker));
