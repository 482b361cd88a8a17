/**
 * Issue 12: a message enqueued by one process is picked up by the delivery process at once,
 * not on the next poll. The MSA (`mailstack msa`) takes the message into the spool; the
 * delivery worker (`mailstack queue-runner`, another process on the same spool) polls only once an
 * hour, longer than this test may run, so only the spool's cross-process wake-up can explain
 * the delivery reaching the LMTP sink. Then the same for an operator's `flush` of a deferred
 * message from a third process (the queue CLI).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { openFileSpool } from '@mailstack/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from './helpers/daemon.ts';
import { type LmtpSink, startLmtpSink } from './helpers/lmtp-sink.ts';
import { type MsaProcess, startMsa } from './helpers/msa.ts';
import { startQueueRunnerProcess } from './helpers/mta-process.ts';
import { waitFor } from './helpers/net.ts';
import { submit } from './helpers/submit.ts';
import { makeCertificate } from './helpers/tls.ts';
import { directoryFolder } from './hostile/throttle-clients.ts';

const QUEUE_CLI = join(import.meta.dirname, '..', 'packages/queue/src/cli.ts');

let folder: Awaited<ReturnType<typeof directoryFolder>>;
let sink: LmtpSink;
let msa: MsaProcess;
let mta: Daemon;
let spoolDir: string;

async function send(subject: string, messageId: string): Promise<void> {
  const mail = { from: 'alice@example.test', to: 'bob@example.test', subject, messageId };
  expect(await submit(msa.port, 'alice@example.test', 'alice-secret', mail)).toBe(250);
}

beforeAll(async () => {
  folder = await directoryFolder();
  const cert = await makeCertificate(folder.path);
  const spool = join(folder.path, 'spool');
  spoolDir = spool;
  sink = await startLmtpSink({ users: ['bob@example.test'] });
  // The delivery process first, so its start-up scan is over before anything is queued.
  mta = await startQueueRunnerProcess({
    directory: folder.file,
    spool,
    lmtp: { host: '127.0.0.1', port: sink.port },
    config: { queue: { pollInterval: '1h' } },
  });
  msa = await startMsa({ data: folder.path, directory: folder.file, spool, ...cert });
});

afterAll(async () => {
  await Promise.all([msa?.stop(), mta?.stop()]);
  await sink?.close();
  await folder?.remove();
});

const logs = () => `msa:\n${msa.output()}\nmta:\n${mta.output()}`;

/** waitFor with the agents' logs as they are when it gives up. */
async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  try {
    await waitFor(what, check, 30_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${logs()}`);
  }
}

describe('queue wake-up across processes', () => {
  it('a message the MSA process queues is delivered by the MTA process without waiting for its poll', async () => {
    const ids: string[] = [];
    for (const n of [1, 2]) {
      const messageId = `<wake-${n}-${process.pid}@example.test>`;
      await send(`wake ${n}`, messageId);
      ids.push(messageId);
      // each one on its own: the second comes while the worker sleeps again
      await until(`delivery of ${messageId}`, () => sink.delivered.get(messageId) === 1);
    }
    expect(ids.map((id) => sink.delivered.get(id))).toEqual([1, 1]);
  }, 90_000);

  it('an operator flush from another process (the queue CLI) sends a deferred message at once', async () => {
    const messageId = `<flush-${process.pid}@example.test>`;
    sink.stall();
    await send('deferred', messageId);
    await until(`the held delivery`, () => sink.held() === 1);
    sink.release(); // 451: deferred for minutes by the retry schedule
    const reader = await openFileSpool(spoolDir, { recoverOnOpen: false });
    await until('the deferral', async () => {
      const entry = (await reader.list()).find((m) => m.attempts > 0);
      return entry !== undefined && !entry.lease;
    });
    expect(sink.delivered.get(messageId)).toBeUndefined();
    const out = execFileSync(process.execPath, [QUEUE_CLI, '--spool', spoolDir, 'flush'], {
      encoding: 'utf8',
    });
    expect(out).toBe('flushed 1 message\n');
    await until(`delivery after flush`, () => sink.delivered.get(messageId) === 1);
  }, 90_000);
});
