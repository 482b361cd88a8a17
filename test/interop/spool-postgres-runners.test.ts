/**
 * Several queue-runner processes share one PostgreSQL spool, as runners on several hosts
 * would (each its own process, its own connections, its own lease owner), while the test
 * enqueues 500 two-recipient messages; one runner is killed with SIGKILL mid-load, while it
 * holds leases: after 20 deliveries its next hop stops answering, and it is killed as its first
 * delivery hangs (others of its may be in flight, some accepted and not yet settled). Every runner's delivery target appends `<queue id> <recipient> <pid>` to one
 * shared file (O_APPEND, fsynced) before it answers 250 (test/helpers/spool-runner-process.ts).
 *
 * What holds, and how this test shows it:
 * - 0 lost: every (queue id, recipient) pair is in the file, and the spool is empty at the end:
 *   the killed runner's leases were taken over (at once: its connection, and with it the
 *   advisory lock that said its owner was alive, is gone).
 * - 0 duplicated among live runners: no pair is in the file twice except for a message the
 *   killed runner had started to deliver and never settled. A delivery accepted by the next hop
 *   whose settle had not committed when the process died is delivered again: that is
 *   at-least-once, as with Postfix and Dovecot, and it cannot be otherwise without a next hop
 *   that deduplicates by queue id. Counted by pair: a receiver that keeps one copy per (queue
 *   id, recipient) gets every recipient's message exactly once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bufferBlob } from '@mailstack/core';
import { openPostgresSpool } from '@mailstack/spool-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, makeTempDir, startDaemon } from '../helpers/daemon.ts';
import { waitFor } from '../helpers/net.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const RUNNER = join(import.meta.dirname, '..', 'helpers', 'spool-runner-process.ts');
const MESSAGES = 500;

let server: TestPostgres;
let dir: ReturnType<typeof makeTempDir>;

beforeAll(async () => {
  server = await startPostgres();
  dir = makeTempDir('pg-runners');
});

afterAll(async () => {
  await server?.stop();
  dir?.remove();
});

interface Runner {
  daemon: Daemon;
  pid: number;
  started: Set<string>;
  settled: Set<string>;
  ready: Promise<void>;
}

function startRunner(
  schema: string,
  out: string,
  hangAfter: number | undefined,
  onLine: (r: Runner, line: string) => void,
): Runner {
  const args = [
    RUNNER,
    '--spool',
    `pg:${schema}:${server.url}`,
    '--out',
    out,
    '--delay',
    '30',
    '--lease',
    '2000',
  ];
  if (hangAfter !== undefined) args.push('--hang-after', String(hangAfter));
  const daemon = startDaemon(process.execPath, args);
  let isReady!: () => void;
  const runner: Runner = {
    daemon,
    pid: daemon.child.pid!,
    started: new Set(),
    settled: new Set(),
    ready: new Promise((resolve) => {
      isReady = resolve;
    }),
  };
  createInterface({ input: daemon.child.stdout! }).on('line', (line) => {
    const [what, id] = line.split(' ');
    if (what === 'ready') isReady();
    else if (what === 'start') runner.started.add(id!);
    else if (what === 'settled') runner.settled.add(id!);
    onLine(runner, line);
  });
  return runner;
}

describe('queue runners of several hosts on one PostgreSQL spool', () => {
  it.each([2, 4])(
    '%i runner processes: nothing lost, nothing duplicated across a kill -9 of one',
    async (n) => {
      const schema = `runners${n}`;
      const out = join(dir.path, `deliveries-${n}.txt`);
      writeFileSync(out, '');
      const spool = await openPostgresSpool({ url: server.url, schema });
      const runners: Runner[] = [];
      const settledBy = new Map<string, number>();
      let killedAt: { settled: number; on: string } | undefined;
      try {
        const isVictim = (r: Runner) => r === runners[0];
        for (let i = 0; i < n; i++) {
          runners.push(
            // The first runner stops answering after 20 deliveries: it is killed as soon as it
            // holds a lease it cannot have settled (nor delivered), and maybe others in flight.
            startRunner(schema, out, i === 0 ? 20 : undefined, (r, line) => {
              if (line.startsWith('settled ')) settledBy.set(line.slice(8), r.pid);
              if (isVictim(r) && !killedAt && line.startsWith('hung ')) {
                r.daemon.child.kill('SIGKILL');
                killedAt = { settled: settledBy.size, on: line.slice(5) };
              }
            }),
          );
        }
        await Promise.all(runners.map((r) => r.ready));

        const ids: string[] = [];
        for (let i = 0; i < MESSAGES; i += 10) {
          const batch = Array.from({ length: 10 }, (_, k) =>
            spool.enqueue(
              {
                mailFrom: 'sender@example.test',
                rcptTo: [{ address: `a${i + k}@example.test` }, { address: `b${i + k}@example.test` }],
                params: {},
              },
              bufferBlob(`Subject: message ${i + k}\r\n\r\n${'x'.repeat(2000)}\r\n`),
            ),
          );
          ids.push(...(await Promise.all(batch)));
        }
        // Done when the spool is empty: the killed runner may have committed a settle and died
        // before it could say so.
        await waitFor('the spool to empty', async () => (await spool.list()).length === 0, 90_000).catch(
          async (err) => {
            const left = await spool.list();
            throw new Error(
              `${(err as Error).message}; left in the spool: ${JSON.stringify(left.slice(0, 5))}\n` +
                runners.map((r) => `${r.pid}: ${r.daemon.output().slice(-2000)}`).join('\n'),
            );
          },
        );
        expect(await spool.list()).toEqual([]);

        expect(killedAt, 'the victim was killed mid-load').toBeDefined();
        expect(killedAt!.settled).toBeLessThan(MESSAGES);
        // What it had begun and not settled, from all it wrote before it died (lines written just
        // before the kill are still read after it).
        const victim = runners[0]!;
        const inFlight = new Set([...victim.started].filter((id) => !victim.settled.has(id)));
        expect(inFlight.size).toBeGreaterThan(0);
        const victimPid = victim.pid;
        // Its leases were taken over: the delivery that hung when it was killed was made and
        // settled by a live runner.
        expect(inFlight.has(killedAt!.on)).toBe(true);
        await waitFor('its "settled" line', () => settledBy.has(killedAt!.on), 10_000);
        expect(runners.slice(1).map((r) => r.pid)).toContain(settledBy.get(killedAt!.on));

        const pids = new Map<string, string[]>();
        for (const line of readFileSync(out, 'utf8').split('\n')) {
          if (!line) continue;
          const [id, rcpt, pid] = line.split(' ');
          const key = `${id} ${rcpt}`;
          pids.set(key, [...(pids.get(key) ?? []), pid!]);
        }
        const expected = ids.flatMap((id, i) => [`${id} a${i}@example.test`, `${id} b${i}@example.test`]);
        const lost = expected.filter((key) => !pids.has(key));
        const unexpected = [...pids.keys()].filter((key) => !expected.includes(key));
        const repeated = [...pids.entries()].filter(([, who]) => who.length > 1);
        // A repeat only where the killed runner had started the delivery and never settled it.
        const unexplained = repeated.filter(
          ([key, who]) =>
            who.length !== 2 || !who.includes(String(victimPid)) || !inFlight.has(key.split(' ')[0]!),
        );
        console.log(
          `${n} runners, ${MESSAGES} messages x 2 recipients: ${lost.length} lost, ` +
            `${repeated.length} recipients delivered again after the kill (in flight on the killed runner: ` +
            `${inFlight.size} messages), ${unexplained.length} duplicated otherwise; ` +
            `settled per runner: ${runners.map((r) => r.settled.size).join(', ')}`,
        );
        expect(lost).toEqual([]);
        expect(unexpected).toEqual([]);
        expect(unexplained).toEqual([]);
        // Every live runner took part.
        for (const r of runners.slice(1)) expect(r.settled.size).toBeGreaterThan(0);
      } finally {
        await Promise.all(runners.map((r) => r.daemon.stop()));
        await spool.close();
      }
    },
  );
});
