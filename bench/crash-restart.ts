/**
 * Crash-restart benchmark: how long acknowledged mail waits after the delivery worker dies.
 *
 * An ingress (`mailstack mta`, inbound only) takes a stream of submissions into the
 * file spool; a delivery worker (`mailstack queue-runner`) drains it over LMTP into a counting sink
 * that takes `--sink-delay-ms` per message, so the worker always holds leased messages. Once
 * `--kill-after` messages are acknowledged, the worker is killed with SIGKILL and started
 * again at once. Prints the time from the restart until every acknowledged message was
 * delivered and settled (and until the messages the dead worker held leased were), and the counts: acknowledged, delivered, duplicates (a message the sink stored
 * whose 250 the dead worker never read is delivered again: at-least-once, by design).
 *
 *   node bench/crash-restart.ts [--messages 200] [--concurrency 4] [--sink-delay-ms 50]
 *     [--kill-after 60] [--cap-seconds 400]
 *
 * With a lease the dead worker's messages are not taken back from, the wait is the lease
 * length (5 minutes); `--cap-seconds` bounds it and reports ">N s".
 */
import { parseArgs } from 'node:util';
import { startCrashRig } from '../test/helpers/crash-rig.ts';
import { waitFor } from '../test/helpers/net.ts';
import { printTable, round } from './report.ts';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
    'sink-delay-ms': { type: 'string', default: '50' },
    'kill-after': { type: 'string', default: '60' },
    'cap-seconds': { type: 'string', default: '400' },
  },
});
const messages = Number(args.messages);
const concurrency = Number(args.concurrency);
const killAfter = Number(args['kill-after']);
const capMs = Number(args['cap-seconds']) * 1000;

const rig = await startCrashRig({ sinkDelayMs: Number(args['sink-delay-ms']) });
try {
  await rig.startWorker();
  const stream = rig.submit(messages, concurrency);
  const { sink } = rig;
  await waitFor(
    `${killAfter} acknowledged messages, some delivered, and leases held by the worker`,
    async () =>
      stream.acknowledged.size >= killAfter &&
      sink.delivered.size > 0 &&
      (await rig.leasedBy(rig.workerPid())).length > 0,
    120_000,
    5,
  );
  const dead = rig.workerPid();
  await rig.killWorker();
  const leasedAtKill = await rig.leasedBy(dead);
  const deliveredAtKill = sink.delivered.size;

  const restartAt = performance.now();
  await rig.startWorker();
  const listeningS = (performance.now() - restartAt) / 1000;
  // The crash's own cost: until the messages the dead worker held are delivered.
  let leasedDeliveredS: number | string = '';
  const leasedDone = waitFor(
    "the dead worker's messages delivered",
    async () => {
      const queued = new Set(await rig.queued());
      return leasedAtKill.every((id) => !queued.has(id));
    },
    capMs,
    20,
  )
    .then(() => {
      leasedDeliveredS = round((performance.now() - restartAt) / 1000, 2);
    })
    .catch(() => {
      leasedDeliveredS = `>${round((performance.now() - restartAt) / 1000, 1)}`;
    });
  await stream.done;
  const acknowledged = [...stream.acknowledged];
  // Delivered and settled: the sink has each one and the spool none (a message the sink stored
  // whose 250 the dead worker never read stays queued until delivered again).
  const allDelivered = async () =>
    acknowledged.every((id) => sink.delivered.has(id)) && (await rig.queued()).length === 0;
  let capped = false;
  await waitFor('every acknowledged message delivered', allDelivered, capMs, 50).catch(() => {
    capped = true;
  });
  const seconds = (performance.now() - restartAt) / 1000;
  await leasedDone;
  const delivered = acknowledged.filter((id) => sink.delivered.has(id)).length;
  const duplicates = [...sink.delivered.values()].reduce((sum, n) => sum + n - 1, 0);
  const result = {
    messages,
    acknowledged: acknowledged.length,
    refused: stream.refused(),
    deliveredAtKill,
    leasedAtKill: leasedAtKill.length,
    restartListeningS: round(listeningS, 2),
    restartToLeasedDeliveredS: leasedDeliveredS,
    restartToAllDeliveredS: capped ? `>${round(seconds, 1)}` : round(seconds, 2),
    delivered,
    duplicates,
  };
  console.log(JSON.stringify(result));
  printTable(Object.keys(result), [Object.values(result).map(String)]);
} finally {
  await rig.close();
}
