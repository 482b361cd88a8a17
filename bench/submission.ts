/**
 * Submission benchmark: durable submissions per second into our MSA (packages/msa, spawned
 * standalone, writing into packages/queue's file spool) and into Debian's Postfix submission
 * service (a throwaway instance: STARTTLS required, SASL AUTH through a throwaway Dovecot's
 * auth socket, every message put on the hold queue), same machine, same run, same client.
 *
 * Each client opens one connection, says EHLO, STARTTLS, EHLO, AUTH PLAIN once (before the
 * clock starts), then sends message after message on it with MAIL/RCPT/DATA pipelined
 * (smtp-client.ts). Cases: 4 KB and 100 KB at 1, 20 and 100 concurrent clients. A message
 * counts once its 250 after DATA is in; both servers answer that only after the message is on
 * disk and fsynced (checked with strace: ours, the spool's enqueue fdatasyncs body and meta,
 * renames them into queue/ and fsyncs queue/; Postfix 3.7's cleanup writes the queue file, renames it into hold/ and
 * fsyncs the file, not the directory, before smtpd replies). After each case the bench counts
 * the messages the server really has queued (`stored`).
 *
 * Postfix holds the mail instead of delivering it, and our MSA has no queue runner, so both
 * measure submission + queueing only.
 *
 * Run as root with Postfix + Dovecot installed (`npm run test:interop` installs them):
 *   node bench/submission.ts [--seconds 8] [--messages 3000] [--only ours|postfix]
 *                            [--clients 1,20,100] [--sizes 4,100]
 * Each case stops at the message count (a third of it for 100 KB) or the time bound; prints
 * one JSON line per measurement, then a table.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeDirectoryFile } from '../test/helpers/directory-file.ts';
import { startMsa } from '../test/helpers/msa.ts';
import { waitFor } from '../test/helpers/net.ts';
import { startPostfixSubmission } from '../test/helpers/postfix-submission.ts';
import { cpuSecondsBetween, groupCommands, groupCpuTicks } from '../test/helpers/proc.ts';
import { makeCertificate } from '../test/helpers/tls.ts';
import { measureAlternating, percentile, printTable, round, sampleGroupMemory } from './report.ts';
import { expectCode, makeMessage, SmtpSession } from './smtp-client.ts';

interface Target {
  name: string;
  host: string;
  /** STARTTLS submission port. */
  port: number;
  /** Process groups whose memory counts as the server's. */
  pgids: number[];
  /** How many messages the server holds queued right now (read from its queue on disk). */
  stored(): number;
  /** Waits until workers left idle by the previous case are gone (their memory is not this case's). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

interface Case {
  sizeKb: number;
  clients: number;
}

interface Result {
  server: string;
  sizeKb: number;
  clients: number;
  messages: number;
  errors: number;
  stored: number;
  seconds: number;
  msgsPerSec: number;
  mbPerSec: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number;
  peakPssMb: number;
  processes: number;
  /** Server CPU over the case, in cores (1 = one core busy the whole time). */
  serverCpu: number;
  /** This bench process's CPU over the case, in cores: near 1 would mean the client limits. */
  clientCpu: number;
}

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    messages: { type: 'string', default: '3000' },
    only: { type: 'string' },
    clients: { type: 'string', default: '1,20,100' },
    sizes: { type: 'string', default: '4,100' },
  },
});
const MAX_SECONDS = Number(args.seconds);
const MAX_MESSAGES = Number(args.messages);
const CLIENT_COUNTS = args.clients.split(',').map(Number);
const SIZES = args.sizes.split(',').map(Number);
const MAX_CLIENTS = Math.max(...CLIENT_COUNTS);
const PASSWORD = 'secret';
/** Postfix's idle workers exit after this, so each case starts from the same process set. */
const POSTFIX_MAX_IDLE_SECONDS = 2;
const USERS = Array.from({ length: MAX_CLIENTS }, (_, i) => `user${i}@bench.test`);

const CASES: Case[] = SIZES.flatMap((sizeKb) => CLIENT_COUNTS.map((clients) => ({ sizeKb, clients })));

/** Files below `dir` whose name passes `keep`, recursively; 0 for a missing dir. */
function countFiles(dir: string, keep: (name: string) => boolean = () => true): number {
  let n = 0;
  let entries: Array<import('node:fs').Dirent>;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (e.isDirectory()) n += countFiles(join(dir, e.name), keep);
    else if (keep(e.name)) n++;
  }
  return n;
}

async function startOurs(dir: string, certPath: string, keyPath: string): Promise<Target> {
  const directory = join(dir, 'directory.json');
  await writeDirectoryFile(directory, USERS, PASSWORD);
  const spool = join(dir, 'spool');
  // every bench client comes from 127.0.0.1: lift the per-client cap (default 50)
  const config = { limits: { smtp: { connectionsPerClient: MAX_CLIENTS } } };
  const msa = await startMsa({ data: join(dir, 'msa'), directory, spool, certPath, keyPath, config });
  return {
    name: 'mailstack',
    host: msa.host,
    port: msa.port,
    pgids: [msa.pid],
    stored: () => countFiles(join(spool, 'queue'), (n) => n.endsWith('.meta')),
    settle: async () => {},
    stop: msa.stop,
  };
}

async function startPostfix(): Promise<Target> {
  const s = await startPostfixSubmission({
    users: Object.fromEntries(USERS.map((u) => [u, PASSWORD])),
    maxProcesses: MAX_CLIENTS + 20,
    maxIdleSeconds: POSTFIX_MAX_IDLE_SECONDS,
  });
  // Per-connection workers (and the helpers they keep busy) that exit after max_idle.
  const transient = new Set(['smtpd', 'cleanup', 'trivial-rewrite']);
  const busyWorkers = () => s.pgids.flatMap((g) => groupCommands(g)).filter((c) => transient.has(c)).length;
  return {
    name: 'postfix+dovecot-auth',
    host: s.host,
    port: s.port,
    pgids: s.pgids,
    stored: () => countFiles(join(s.postfix.dir, 'queue', 'hold')),
    settle: async () => {
      await waitFor(
        'idle Postfix workers to exit',
        () => busyWorkers() === 0,
        (POSTFIX_MAX_IDLE_SECONDS + 10) * 1000,
        100,
      );
    },
    stop: s.stop,
  };
}

/** A client session ready to send: STARTTLS, EHLO, AUTH PLAIN done. */
async function openClient(target: Target, user: string): Promise<SmtpSession> {
  const session = await SmtpSession.connect({ host: target.host, port: target.port });
  await session.hello('bench.client');
  if (!session.offers('STARTTLS')) throw new Error(`${target.name} does not offer STARTTLS`);
  await session.startTls();
  await session.hello('bench.client');
  if (!session.offers('PIPELINING')) throw new Error(`${target.name} does not offer PIPELINING after TLS`);
  expectCode(await session.authPlain(user, PASSWORD), 235, `AUTH PLAIN as ${user}`);
  return session;
}

async function measure(target: Target, c: Case): Promise<Result> {
  await target.settle();
  const users = USERS.slice(0, c.clients);
  const bodies = users.map((u, i) => makeMessage(c.sizeKb * 1024, `c${c.clients}-s${c.sizeKb}-${i}`, u));
  // Connections, TLS and AUTH are set up before the clock starts: the case measures messages.
  const sessions = await Promise.all(users.map((u) => openClient(target, u)));
  const storedBefore = target.stored();
  const latencies: number[] = [];
  let remaining = c.sizeKb >= 100 ? Math.ceil(MAX_MESSAGES / 3) : MAX_MESSAGES;
  let errors = 0;
  const memory = sampleGroupMemory(target.pgids);
  const serverCpuBefore = groupCpuTicks(target.pgids);
  const clientCpuBefore = process.cpuUsage();
  const start = performance.now();
  const deadline = start + MAX_SECONDS * 1000;

  const client = async (index: number) => {
    let session = sessions[index] as SmtpSession;
    const user = users[index] as string;
    const body = bodies[index] as Buffer;
    const rcpt = `rcpt${index}@remote.test`;
    while (remaining > 0 && performance.now() < deadline) {
      remaining--;
      const t0 = performance.now();
      try {
        const [reply] = await session.transaction(user, [rcpt], body);
        if (reply?.code !== 250) {
          errors++;
          if (errors === 1) console.error(`${target.name}: ${reply?.code} ${reply?.lines.join(' ')}`);
        } else {
          latencies.push(performance.now() - t0);
        }
      } catch (error) {
        errors++;
        if (errors === 1) console.error(`${target.name}: ${(error as Error).message}`);
        session = await openClient(target, user);
      }
    }
    await session.close();
  };
  await Promise.all(sessions.map((_, i) => client(i)));
  const seconds = (performance.now() - start) / 1000;
  const serverCpuSeconds = cpuSecondsBetween(serverCpuBefore, groupCpuTicks(target.pgids));
  const clientCpuUsage = process.cpuUsage(clientCpuBefore);
  const clientCpuSeconds = (clientCpuUsage.user + clientCpuUsage.system) / 1e6;
  const peak = memory.stop();
  latencies.sort((a, b) => a - b);
  const accepted = latencies.length;
  return {
    server: target.name,
    sizeKb: c.sizeKb,
    clients: c.clients,
    messages: accepted,
    errors,
    stored: target.stored() - storedBefore,
    seconds: round(seconds, 2),
    msgsPerSec: round(accepted / seconds, 1),
    mbPerSec: round((accepted * (bodies[0]?.length ?? 0)) / seconds / 1024 / 1024, 2),
    p50Ms: round(percentile(latencies, 0.5), 2),
    p99Ms: round(percentile(latencies, 0.99), 2),
    peakRssMb: round(peak.rss / 1024 / 1024, 1),
    peakPssMb: round(peak.pss / 1024 / 1024, 1),
    processes: peak.processes,
    serverCpu: round(serverCpuSeconds / seconds, 2),
    clientCpu: round(clientCpuSeconds / seconds, 2),
  };
}

async function warmUp(target: Target): Promise<void> {
  const session = await openClient(target, USERS[0] as string);
  const body = makeMessage(4096, 'warmup', USERS[0]);
  for (let i = 0; i < 20; i++) {
    const [reply] = await session.transaction(USERS[0] as string, ['warmup@remote.test'], body);
    if (reply?.code !== 250)
      throw new Error(`${target.name}: warm-up submission got ${reply?.code} ${reply?.lines.join(' ')}`);
  }
  await session.close();
}

function printResults(results: Result[]): void {
  printTable(
    [
      'server',
      'size',
      'clients',
      'msgs',
      'err',
      'stored',
      'msgs/s',
      'MB/s',
      'p50 ms',
      'p99 ms',
      'RSS MB',
      'PSS MB',
      'procs',
      'srv CPU',
      'cli CPU',
    ],
    results.map((r) => [
      r.server,
      `${r.sizeKb} KB`,
      String(r.clients),
      String(r.messages),
      String(r.errors),
      String(r.stored),
      r.msgsPerSec.toFixed(1),
      r.mbPerSec.toFixed(2),
      r.p50Ms.toFixed(2),
      r.p99Ms.toFixed(2),
      r.peakRssMb.toFixed(1),
      r.peakPssMb.toFixed(1),
      String(r.processes),
      r.serverCpu.toFixed(2),
      r.clientCpu.toFixed(2),
    ]),
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mailstack-bench-submission-'));
  const targets: Target[] = [];
  const results: Result[] = [];
  try {
    if (args.only !== 'postfix') {
      const tls = join(dir, 'tls');
      mkdirSync(tls);
      const { certPath, keyPath } = await makeCertificate(tls);
      targets.push(await startOurs(dir, certPath, keyPath));
    }
    if (args.only !== 'ours') targets.push(await startPostfix());
    for (const target of targets) await warmUp(target);
    results.push(...(await measureAlternating('submission', targets, CASES, measure)));
    console.log('');
    printResults(results);
    console.log(
      `\n${process.platform} ${process.arch}, node ${process.version}; per case at most ${MAX_MESSAGES} msgs (1/3 of that for 100 KB) or ${MAX_SECONDS} s; STARTTLS + AUTH PLAIN once per client before the clock, MAIL/RCPT/DATA pipelined; 250 only after fsync on both servers; stored = messages found queued on disk after the case; RSS/PSS = peak sum over the server's process groups (Postfix's includes Dovecot's auth); CPU in cores over the case`,
    );
  } finally {
    for (const target of targets) await target.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
