/**
 * LMTP delivery benchmark: our MDA (packages/mda, spawned standalone) against Debian's
 * Dovecot LMTP (a throwaway instance), same machine, same run, same client (lmtp-client.ts:
 * commands pipelined, connections reused). Cases: 4 KB and 100 KB at 1 and 20 sessions on
 * reused connections, plus 4 KB with a new connection per message.
 *
 * Both servers answer 250 only after the message is durable (both checked with strace):
 * ours fsyncs the file, link()s it into new/, fsyncs new/, fdatasyncs dovecot-uidlist and
 * its metadata cache; Dovecot 2.3.19 with its default `mail_fsync = optimized` fsyncs the
 * file, renames it into new/, fdatasyncs new/ and dovecot-uidlist.
 * `--dovecot-fsync always` switches Dovecot's mode.
 *
 * Run as root with Dovecot installed (`npm run test:interop` installs it):
 * `node bench/lmtp.ts [--seconds 8] [--messages 3000] [--only ours|dovecot]`.
 * Each case stops at the message count or the time bound; prints one JSON line per
 * measurement, then a table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeDirectoryFile } from '../test/helpers/directory-file.ts';
import { startDovecot } from '../test/helpers/dovecot.ts';
import { startMda } from '../test/helpers/mda.ts';
import { LmtpConnection, makeMessage } from './lmtp-client.ts';
import { measureAlternating, percentile, printTable, round, sampleGroupMemory } from './report.ts';

interface Target {
  name: string;
  host: string;
  port: number;
  /** Process group whose RSS counts as the server's. */
  pgid: number;
  stop(): Promise<void>;
}

interface Case {
  sizeKb: number;
  sessions: number;
  /** true: each session reuses one connection; false: a new connection per message. */
  reuse: boolean;
}

interface Result {
  server: string;
  sizeKb: number;
  sessions: number;
  connection: 'reuse' | 'per-message';
  messages: number;
  errors: number;
  seconds: number;
  msgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number;
  peakPssMb: number;
  processes: number;
}

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    messages: { type: 'string', default: '3000' },
    only: { type: 'string' },
    'dovecot-fsync': { type: 'string', default: 'optimized' },
  },
});
const MAX_SECONDS = Number(args.seconds);
const MAX_MESSAGES = Number(args.messages);
const DOVECOT_FSYNC = args['dovecot-fsync'] as 'optimized' | 'always';
const SESSIONS = 20;
const USERS = Array.from({ length: SESSIONS }, (_, i) => `user${i}@bench.test`);

const CASES: Case[] = [
  { sizeKb: 4, sessions: 1, reuse: true },
  { sizeKb: 4, sessions: 20, reuse: true },
  { sizeKb: 100, sessions: 1, reuse: true },
  { sizeKb: 100, sessions: 20, reuse: true },
  { sizeKb: 4, sessions: 1, reuse: false },
  { sizeKb: 4, sessions: 20, reuse: false },
];

async function startOurs(dir: string): Promise<Target> {
  const directory = join(dir, 'directory.json');
  await writeDirectoryFile(directory, USERS);
  const mda = await startMda({ data: join(dir, 'ours'), directory });
  return { name: 'mailstack', host: mda.host, port: mda.port, pgid: mda.pid, stop: mda.stop };
}

async function startReference(): Promise<Target> {
  const dovecot = await startDovecot({
    users: Object.fromEntries(USERS.map((u) => [u, 'secret'])),
    fsync: DOVECOT_FSYNC,
  });
  return {
    name: `dovecot(${DOVECOT_FSYNC})`,
    host: '127.0.0.1',
    port: dovecot.ports.lmtp,
    pgid: dovecot.pid,
    stop: dovecot.stop,
  };
}

async function measure(target: Target, c: Case): Promise<Result> {
  const bodies = USERS.map((_, i) => makeMessage(c.sizeKb * 1024, `s${i}`));
  const latencies: number[] = [];
  let remaining = c.sizeKb >= 100 ? Math.ceil(MAX_MESSAGES / 3) : MAX_MESSAGES;
  if (!c.reuse) remaining = Math.ceil(remaining / 3);
  let errors = 0;
  const memory = sampleGroupMemory([target.pgid]);
  const start = performance.now();
  const deadline = start + MAX_SECONDS * 1000;

  const session = async (index: number) => {
    const rcpt = USERS[index % USERS.length] as string;
    const body = bodies[index % bodies.length] as Buffer;
    let conn = c.reuse ? await LmtpConnection.open(target.host, target.port) : undefined;
    while (remaining > 0 && performance.now() < deadline) {
      remaining--;
      const t0 = performance.now();
      try {
        const current = conn ?? (await LmtpConnection.open(target.host, target.port));
        const [reply] = await current.send('sender@bench.test', [rcpt], body);
        if (reply?.code !== 250) errors++;
        if (!c.reuse) await current.close();
      } catch (error) {
        errors++;
        if (errors === 1) console.error(`${target.name}: ${(error as Error).message}`);
        if (c.reuse) conn = await LmtpConnection.open(target.host, target.port);
      }
      latencies.push(performance.now() - t0);
    }
    await conn?.close();
  };
  await Promise.all(Array.from({ length: c.sessions }, (_, i) => session(i)));
  const seconds = (performance.now() - start) / 1000;
  const peak = memory.stop();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => percentile(latencies, p);
  const delivered = latencies.length - errors;
  return {
    server: target.name,
    sizeKb: c.sizeKb,
    sessions: c.sessions,
    connection: c.reuse ? 'reuse' : 'per-message',
    messages: delivered,
    errors,
    seconds: round(seconds, 2),
    msgsPerSec: round(delivered / seconds, 1),
    p50Ms: round(pct(0.5), 2),
    p99Ms: round(pct(0.99), 2),
    peakRssMb: round(peak.rss / 1024 / 1024, 1),
    peakPssMb: round(peak.pss / 1024 / 1024, 1),
    processes: peak.processes,
  };
}

async function warmUp(target: Target): Promise<void> {
  const conn = await LmtpConnection.open(target.host, target.port);
  const body = makeMessage(4096, 'warmup');
  for (const user of USERS) {
    const [reply] = await conn.send('sender@bench.test', [user], body);
    if (reply?.code !== 250)
      throw new Error(
        `${target.name}: warm-up delivery to ${user} got ${reply?.code} ${reply?.lines.join(' ')}`,
      );
  }
  await conn.close();
}

function printResults(results: Result[]): void {
  printTable(
    [
      'server',
      'size',
      'sessions',
      'connection',
      'msgs',
      'err',
      'msgs/s',
      'p50 ms',
      'p99 ms',
      'RSS MB',
      'PSS MB',
      'procs',
    ],
    results.map((r) => [
      r.server,
      `${r.sizeKb} KB`,
      String(r.sessions),
      r.connection,
      String(r.messages),
      String(r.errors),
      r.msgsPerSec.toFixed(1),
      r.p50Ms.toFixed(2),
      r.p99Ms.toFixed(2),
      r.peakRssMb.toFixed(1),
      r.peakPssMb.toFixed(1),
      String(r.processes),
    ]),
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mailstack-bench-lmtp-'));
  const targets: Target[] = [];
  const results: Result[] = [];
  try {
    if (args.only !== 'dovecot') targets.push(await startOurs(dir));
    if (args.only !== 'ours') targets.push(await startReference());
    for (const target of targets) await warmUp(target);
    results.push(...(await measureAlternating('lmtp', targets, CASES, measure)));
    console.log('');
    printResults(results);
    console.log(
      `\n${process.platform} ${process.arch}, node ${process.version}; per case at most ${MAX_MESSAGES} msgs (1/3 of that for 100 KB and per-message connections) or ${MAX_SECONDS} s; 250 only after fsync on both servers; RSS/PSS = peak sum over the server's process group`,
    );
  } finally {
    for (const target of targets) await target.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
