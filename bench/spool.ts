/**
 * Spool benchmark: the PostgreSQL spool beside the file spool, in one run on one machine.
 *
 * - durable enqueues/s: `--enqueuers` concurrent enqueuers in this process, each enqueuing
 *   10 KB messages (two recipients) one after the other; an enqueue counts once it resolved
 *   (file spool: fsynced; PostgreSQL: committed with synchronous_commit on, fsync on).
 * - deliveries/s: the spool filled with `--messages` messages, then 1, 2 and 4 queue-runner
 *   processes (test/helpers/spool-runner-process.ts, concurrency 4 each, a null delivery
 *   target that answers 250 at once) drain it; timed from the signal that starts them (after
 *   their start-up) until every message is settled.
 *
 * PostgreSQL is Debian's, started in a temp dir on a unix socket (test/helpers/postgres.ts);
 * the file spool lives in a temp dir on the same disk.
 *
 *   node bench/spool.ts [--messages 2000] [--enqueuers 16] [--size 10240]
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { bufferBlob, type Envelope, type Spool } from '@mailstack/core';
import { openFileSpool } from '@mailstack/queue';
import { openPostgresSpool } from '@mailstack/spool-postgres';
import { type Daemon, makeTempDir, startDaemon } from '../test/helpers/daemon.ts';
import { startPostgres } from '../test/helpers/postgres.ts';
import { printTable, round } from './report.ts';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '2000' },
    enqueuers: { type: 'string', default: '16' },
    size: { type: 'string', default: '10240' },
  },
});
const MESSAGES = Number(args.messages);
const ENQUEUERS = Number(args.enqueuers);
const RUNNERS = [1, 2, 4];
const RUNNER = join(import.meta.dirname, '..', 'test', 'helpers', 'spool-runner-process.ts');

const line = 'x'.repeat(76);
const body = Buffer.from(
  `From: bench@example.test\r\nSubject: spool bench\r\n\r\n${`${line}\r\n`.repeat(Math.ceil(Number(args.size) / 78))}`,
).subarray(0, Number(args.size));
const envelope: Envelope = {
  mailFrom: 'bench@example.test',
  rcptTo: [{ address: 'a@example.test' }, { address: 'b@example.test' }],
  params: {},
};

interface Backend {
  name: string;
  /** A fresh, empty spool, and the `--spool` argument that opens it in a runner process. */
  fresh(tag: string): Promise<{ spool: Spool & { close?(): Promise<void> }; spec: string }>;
}

/** Enqueues `count` messages from `ENQUEUERS` concurrent enqueuers; enqueues per second. */
async function enqueueAll(spool: Spool, count: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: ENQUEUERS }, async () => {
      while (next < count) {
        next++;
        await spool.enqueue(envelope, bufferBlob(body));
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/** Runner processes of the drain in progress, stopped also when the bench is interrupted. */
const live = new Set<Daemon>();

/** Starts `n` runner processes on `spec`, waits until each is ready, starts them, times the drain. */
async function drain(spec: string, n: number, count: number): Promise<number> {
  const runners: Daemon[] = [];
  let settled = 0;
  let done!: () => void;
  let failed!: (err: Error) => void;
  let stopping = false;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  // A runner that dies before the drain is over fails the run instead of hanging it.
  finished.catch(() => {});
  try {
    const ready = Array.from({ length: n }, () => {
      const daemon = startDaemon(process.execPath, [
        RUNNER,
        '--spool',
        spec,
        '--wait-go',
        '--lease',
        '60000',
      ]);
      runners.push(daemon);
      live.add(daemon);
      return new Promise<void>((resolve, reject) => {
        daemon.child.once('exit', () => {
          if (stopping) return;
          const err = new Error(`runner exited:\n${daemon.output()}`);
          reject(err);
          failed(err);
        });
        createInterface({ input: daemon.child.stdout! }).on('line', (text) => {
          if (text === 'ready') resolve();
          else if (text.startsWith('settled ') && ++settled === count) done();
        });
      });
    });
    await Promise.all(ready);
    const started = performance.now();
    for (const r of runners) r.child.kill('SIGUSR1');
    await finished;
    return count / ((performance.now() - started) / 1000);
  } finally {
    stopping = true;
    await Promise.all(runners.map((r) => r.stop()));
    for (const r of runners) live.delete(r);
  }
}

const server = await startPostgres();
const dir = makeTempDir('spool-bench');
// Interrupted (Ctrl-C, a timeout): stop the server and remove the files all the same.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all([...live].map((r) => r.stop()))
      .then(() => server.stop())
      .finally(() => {
        dir.remove();
        process.exit(130);
      });
  });
}
const backends: Backend[] = [
  {
    name: 'file',
    async fresh(tag) {
      const root = join(dir.path, tag);
      return { spool: await openFileSpool(root), spec: `file:${root}` };
    },
  },
  {
    name: 'postgres',
    async fresh(tag) {
      const spool = await openPostgresSpool({ url: server.url, schema: tag, maxConnections: ENQUEUERS + 2 });
      return { spool, spec: `pg:${tag}:${server.url}` };
    },
  },
];

try {
  const rows: string[][] = [];
  for (const backend of backends) {
    const row = [backend.name];
    // The first fill is the enqueue measurement; the others only fill.
    for (const [k, n] of RUNNERS.entries()) {
      const { spool, spec } = await backend.fresh(`bench_${backend.name}_${n}`);
      const perSecond = await enqueueAll(spool, MESSAGES);
      await spool.close?.();
      if (k === 0) row.push(String(round(perSecond, 0)));
      const deliveries = await drain(spec, n, MESSAGES);
      row.push(String(round(deliveries, 0)));
      console.log(
        JSON.stringify({
          spool: backend.name,
          runners: n,
          enqueuesPerS: round(perSecond, 1),
          deliveriesPerS: round(deliveries, 1),
        }),
      );
    }
    rows.push(row);
  }
  console.log(
    `\n${MESSAGES} messages of ${body.length} bytes, 2 recipients; ${ENQUEUERS} concurrent enqueuers; ` +
      'runners: concurrency 4 each, null delivery target',
  );
  printTable(
    ['spool', 'enqueues/s', ...RUNNERS.map((n) => `deliveries/s, ${n} runner${n > 1 ? 's' : ''}`)],
    rows,
  );
} finally {
  await server.stop();
  dir.remove();
}
