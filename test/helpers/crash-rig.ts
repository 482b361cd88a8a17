import { join } from 'node:path';
import { openFileSpool } from '@mailstack/queue';
import { createTransport } from 'nodemailer';
import { type Daemon, makeTempDir } from './daemon.ts';
import { writeDirectoryFile } from './directory-file.ts';
import { type LmtpSink, startLmtpSink } from './lmtp-sink.ts';
import { startMtaProcess, startQueueRunnerProcess } from './mta-process.ts';

export const CRASH_RCPT = 'rcpt@crash.test';

export interface SubmissionStream {
  /** Message-IDs the ingress answered 250 to, so far. */
  readonly acknowledged: Set<string>;
  /** Submissions refused or cut off. */
  refused(): number;
  /** Resolves once every submission has been answered (or failed). */
  readonly done: Promise<void>;
}

export interface CrashRig {
  readonly sink: LmtpSink;
  /** pid of the delivery worker started last. */
  workerPid(): number;
  /**
   * Starts a delivery worker (again, or one more) on the spool; resolves once it runs.
   * `hostname` (default mx.crash.test) is its LHLO name, which the sink can stall on.
   */
  startWorker(hostname?: string): Promise<void>;
  /** kill -9 of delivery worker `pid` (default the one started last); resolves once it has exited. */
  killWorker(pid?: number): Promise<void>;
  /** Ids of the queue entries whose lease owner names process `pid` (the runner's default name). */
  leasedBy(pid: number): Promise<string[]>;
  /** Ids of every entry still in the spool (some recipient not settled yet). */
  queued(): Promise<string[]>;
  /** Submits `count` messages to the ingress, `concurrency` connections at once. */
  submit(count: number, concurrency: number): SubmissionStream;
  /** Both processes' output, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

/**
 * A mail host split in processes as in production, to crash one of them: an ingress (`mailstack
 * mta`, inbound only) and a delivery worker (`mailstack queue-runner`) on one file spool, delivering over LMTP into a counting sink (lmtp-sink.ts) that can stall or slow down.
 */
export async function startCrashRig(options: { sinkDelayMs?: number } = {}): Promise<CrashRig> {
  const tmp = makeTempDir('crash');
  const directory = join(tmp.path, 'directory.json');
  const spoolDir = join(tmp.path, 'spool');
  await writeDirectoryFile(directory, [CRASH_RCPT]);
  const sink = await startLmtpSink({
    users: [CRASH_RCPT],
    ...(options.sinkDelayMs ? { delayMs: options.sinkDelayMs } : {}),
  });
  const files = { directory, spool: spoolDir };
  const daemons: Daemon[] = [];
  const workers: Daemon[] = [];
  const ingress = await startMtaProcess({
    ...files,
    hostname: 'mx.crash.test',
    config: { mta: { pregreet: '0s' } },
  });
  daemons.push(ingress.daemon);
  const inspector = await openFileSpool(spoolDir, { recoverOnOpen: false });

  return {
    sink,
    workerPid: () => workers.at(-1)?.child.pid ?? 0,
    async startWorker(hostname = 'mx.crash.test') {
      const worker = await startQueueRunnerProcess({
        ...files,
        hostname,
        lmtp: { host: '127.0.0.1', port: sink.port },
      });
      workers.push(worker);
      daemons.push(worker);
    },
    async killWorker(pid) {
      const worker = pid === undefined ? workers.at(-1) : workers.find((w) => w.child.pid === pid);
      if (!worker?.child.pid) throw new Error(`no worker ${pid}`);
      process.kill(worker.child.pid, 'SIGKILL');
      await worker.stop();
    },
    async leasedBy(pid) {
      const owned = (await inspector.list()).filter((m) => m.lease?.owner.split(':')[1] === String(pid));
      return owned.map((m) => m.id);
    },
    async queued() {
      return (await inspector.list()).map((m) => m.id);
    },
    submit(count, concurrency) {
      const transport = createTransport({
        host: '127.0.0.1',
        port: ingress.port,
        secure: false,
        ignoreTLS: true,
        pool: true,
        maxConnections: concurrency,
      });
      const acknowledged = new Set<string>();
      let refused = 0;
      const one = async (n: number) => {
        const messageId = `<crash-${n}-${process.pid}@client.test>`;
        try {
          await transport.sendMail({
            from: 'sender@client.test',
            to: CRASH_RCPT,
            subject: `crash ${n}`,
            text: `message ${n}\n`,
            messageId,
          });
          acknowledged.add(messageId);
        } catch {
          refused++;
        }
      };
      const done = (async () => {
        let next = 0;
        const lanes = Array.from({ length: concurrency }, async () => {
          while (next < count) await one(next++);
        });
        await Promise.all(lanes);
        transport.close();
      })();
      return { acknowledged, refused: () => refused, done };
    },
    output: () => daemons.map((d) => d.output()).join('\n---\n'),
    async close() {
      for (const d of daemons) await d.stop();
      await sink.close();
      tmp.remove();
    },
  };
}
