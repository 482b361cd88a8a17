/**
 * Relay benchmark: mail from a sender through MTA A (127.0.0.2) over SMTP to MTA B
 * (127.0.0.3), which stores it in a Maildir. Ours against Debian's Postfix, same machine, same
 * run, same client, same topology:
 *
 *   ours:    A = our inbound MTA → file spool → queue runner → transfer target (MX of b.test
 *            from A's DNS server, opportunistic STARTTLS, pooled connections) ;
 *            B = our inbound MTA → file spool → queue runner → LMTP → our MDA → Maildir.
 *            Each host is one Node process (bench/relay-host.ts).
 *   postfix: A = smtpd → cleanup → qmgr → smtp, b.test by transport map to B (opportunistic
 *            STARTTLS); B = smtpd → cleanup → qmgr → virtual(8) into a Maildir
 *            (bench/relay-postfix.ts). Postfix's defaults otherwise, except no reverse DNS
 *            of clients (smtpd_peername_lookup = no), which ours does not do either.
 *   Both A's send to B over up to 20 connections (Postfix's default destination concurrency;
 *   ours defaults to 4, `--per-destination` sets it).
 *
 * Every hop answers 250 only once the message is fsynced (our spool and MDA; Postfix's
 * cleanup and virtual fsync the queue file / the mailbox file before replying).
 *
 * Cases:
 *   throughput: `--senders` clients (default 20), each on one connection to A (opened before
 *               the clock, MAIL/RCPT/DATA pipelined), send `--messages` 4 KB messages in all
 *               (default 600) to 20 users; the clock stops when the last one is a file in
 *               B's Maildir. `accept/s` is the rate at which A took them.
 *   latency:    one client sends `--latency-messages` (default 60) messages one at a time;
 *               each is timed from the start of its SMTP transaction at A until its file
 *               appears in B's Maildir (fs.watch on new/, with a 2 ms poll behind it).
 *
 * Run as root with Postfix installed: `node bench/relay.ts [--only ours|postfix]
 * [--messages 600] [--latency-messages 60] [--senders 20] [--rounds 2] [--per-destination 20]`.
 */
import { type FSWatcher, readdirSync, watch } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { type Daemon, startDaemon } from '../test/helpers/daemon.ts';
import { REPO_ROOT } from '../test/helpers/mda.ts';
import { waitFor } from '../test/helpers/net.ts';
import { cpuSecondsBetween, type GroupMemory, groupCpuTicks } from '../test/helpers/proc.ts';
import { startPostfixRelayPair } from './relay-postfix.ts';
import { measureAlternating, percentile, printTable, round, sampleGroupMemory } from './report.ts';
import { expectCode, makeMessage, SmtpSession } from './smtp-client.ts';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    messages: { type: 'string', default: '600' },
    'latency-messages': { type: 'string', default: '60' },
    senders: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '2' },
    'size-kb': { type: 'string', default: '4' },
    'per-destination': { type: 'string', default: '20' },
  },
});
const MESSAGES = Number(args.messages);
const LATENCY_MESSAGES = Number(args['latency-messages']);
const SENDERS = Number(args.senders);
const SIZE = Number(args['size-kb']) * 1024;
const PER_DESTINATION = Number(args['per-destination']);
const USERS = Array.from({ length: 20 }, (_, i) => `user${i}@b.test`);
const FROM = 'bench@a.test';

interface Target {
  name: string;
  /** A's SMTP listener. */
  host: string;
  port: number;
  /** Process groups of A and of B. */
  pgidsA: number[];
  pgidsB: number[];
  /** B's Maildir (the folder holding new/) of each user. */
  maildir(user: string): string;
  stop(): Promise<void>;
}

type Case = { kind: 'throughput' } | { kind: 'latency' };

interface Result {
  server: string;
  case: Case['kind'];
  messages: number;
  errors: number;
  seconds: number;
  msgsPerSec: number;
  acceptPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuA: number;
  cpuB: number;
  peakRssMbA: number;
  peakRssMbB: number;
  peakPssMbA: number;
  peakPssMbB: number;
}

// ---- targets ------------------------------------------------------------------------------

interface Banner {
  event: 'ready';
  ip: string;
  port: number;
  maildirs: Record<string, string>;
}

/** Spawns bench/relay-host.ts and waits for its `ready` line. */
async function spawnHost(flags: string[]): Promise<{ daemon: Daemon; banner: Banner }> {
  const daemon = startDaemon(process.execPath, [join(REPO_ROOT, 'bench/relay-host.ts'), ...flags]);
  const stdout = daemon.child.stdout;
  if (stdout === null) throw new Error('no stdout from relay-host');
  let banner: Banner | undefined;
  createInterface({ input: stdout }).on('line', (line) => {
    try {
      const parsed = JSON.parse(line) as Banner;
      if (parsed.event === 'ready') banner = parsed;
    } catch {
      // log lines and the like
    }
  });
  try {
    const ready = await waitFor('relay-host to be ready', () => {
      if (daemon.exited()) throw new Error(`relay-host exited:\n${daemon.output()}`);
      return banner;
    });
    return { daemon, banner: ready };
  } catch (error) {
    await daemon.stop();
    throw error;
  }
}

async function startOurs(): Promise<Target> {
  const b = await spawnHost(['--ip', '127.0.0.3', '--domain', 'b.test', '--users', USERS.join(',')]);
  try {
    const zone = {
      'b.test': { mx: [{ preference: 10, exchange: 'mx.b.test' }] },
      'mx.b.test': { a: ['127.0.0.3'] },
    };
    const a = await spawnHost([
      '--ip',
      '127.0.0.2',
      '--domain',
      'a.test',
      '--trusted',
      '127.0.0.1',
      '--mx-port',
      String(b.banner.port),
      '--serve-dns',
      JSON.stringify(zone),
      '--per-destination',
      String(PER_DESTINATION),
    ]);
    return {
      name: 'mailstack',
      host: a.banner.ip,
      port: a.banner.port,
      pgidsA: [a.daemon.child.pid ?? 0],
      pgidsB: [b.daemon.child.pid ?? 0],
      maildir: (user) => b.banner.maildirs[user] ?? '',
      async stop() {
        await a.daemon.stop();
        await b.daemon.stop();
      },
    };
  } catch (error) {
    await b.daemon.stop();
    throw error;
  }
}

async function startReference(): Promise<Target> {
  const pair = await startPostfixRelayPair(USERS);
  return {
    name: 'postfix',
    host: pair.a.ip,
    port: pair.a.port,
    pgidsA: [pair.a.pgid],
    pgidsB: [pair.b.pgid],
    maildir: pair.maildir,
    stop: pair.stop,
  };
}

// ---- measuring ----------------------------------------------------------------------------

function countNew(maildir: string): number {
  try {
    return readdirSync(join(maildir, 'new')).length;
  } catch {
    return 0;
  }
}

const countAll = (target: Target) => USERS.reduce((n, u) => n + countNew(target.maildir(u)), 0);

/** Resolves once `maildir`/new holds more than `before` files: woken by fs.watch, checked every 2 ms too. */
function newFileAfter(maildir: string, before: number, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let watcher: FSWatcher | undefined;
    const started = performance.now();
    const done = (error?: Error) => {
      clearInterval(timer);
      watcher?.close();
      if (error) reject(error);
      else resolve();
    };
    const check = () => {
      if (countNew(maildir) > before) done();
      else if (performance.now() - started > timeoutMs) done(new Error(`no new file in ${maildir}`));
    };
    const timer = setInterval(check, 2);
    try {
      watcher = watch(join(maildir, 'new'), check);
    } catch {
      // the poll alone still sees it
    }
    check();
  });
}

async function openSender(target: Target): Promise<SmtpSession> {
  const session = await SmtpSession.connect({ host: target.host, port: target.port });
  expectCode(await session.hello('sender.bench.test'), 250, 'EHLO');
  return session;
}

function summary(
  target: Target,
  kind: Case['kind'],
  fields: Pick<Result, 'messages' | 'errors' | 'seconds' | 'msgsPerSec' | 'acceptPerSec' | 'p50Ms' | 'p99Ms'>,
  cpu: { a: number; b: number },
  memory: { a: GroupMemory; b: GroupMemory },
): Result {
  return {
    server: target.name,
    case: kind,
    ...fields,
    cpuA: round(cpu.a / fields.seconds, 2),
    cpuB: round(cpu.b / fields.seconds, 2),
    peakRssMbA: round(memory.a.rss / 1024 / 1024, 1),
    peakRssMbB: round(memory.b.rss / 1024 / 1024, 1),
    peakPssMbA: round(memory.a.pss / 1024 / 1024, 1),
    peakPssMbB: round(memory.b.pss / 1024 / 1024, 1),
  };
}

async function throughput(target: Target): Promise<Result> {
  const sessions = await Promise.all(Array.from({ length: SENDERS }, () => openSender(target)));
  const bodies = USERS.map((u, i) => makeMessage(SIZE, `tp-${target.name}-${i}`, FROM, u));
  const before = countAll(target);
  const memA = sampleGroupMemory(target.pgidsA);
  const memB = sampleGroupMemory(target.pgidsB);
  const cpuA = groupCpuTicks(target.pgidsA);
  const cpuB = groupCpuTicks(target.pgidsB);
  let remaining = MESSAGES;
  let accepted = 0;
  let errors = 0;
  const start = performance.now();
  await Promise.all(
    sessions.map(async (session, i) => {
      const user = USERS[i % USERS.length] as string;
      const body = bodies[i % bodies.length] as Buffer;
      while (remaining > 0) {
        remaining--;
        const [reply] = await session.transaction(FROM, [user], body);
        if (reply?.code === 250) accepted++;
        else if (errors++ === 0) console.error(`${target.name}: ${reply?.code} ${reply?.lines.join(' ')}`);
      }
    }),
  );
  const acceptSeconds = (performance.now() - start) / 1000;
  await waitFor(
    `${accepted} messages in B's Maildirs`,
    () => countAll(target) - before >= accepted,
    180_000,
    5,
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = {
    a: cpuSecondsBetween(cpuA, groupCpuTicks(target.pgidsA)),
    b: cpuSecondsBetween(cpuB, groupCpuTicks(target.pgidsB)),
  };
  const memory = { a: memA.stop(), b: memB.stop() };
  await Promise.all(sessions.map((s) => s.close()));
  return summary(
    target,
    'throughput',
    {
      messages: accepted,
      errors,
      seconds: round(seconds, 2),
      msgsPerSec: round(accepted / seconds, 1),
      acceptPerSec: round(accepted / acceptSeconds, 1),
      p50Ms: 0,
      p99Ms: 0,
    },
    cpu,
    memory,
  );
}

async function latency(target: Target): Promise<Result> {
  const session = await openSender(target);
  const user = USERS[0] as string;
  const maildir = target.maildir(user);
  const latencies: number[] = [];
  let errors = 0;
  const memA = sampleGroupMemory(target.pgidsA);
  const memB = sampleGroupMemory(target.pgidsB);
  const cpuA = groupCpuTicks(target.pgidsA);
  const cpuB = groupCpuTicks(target.pgidsB);
  const start = performance.now();
  for (let i = 0; i < LATENCY_MESSAGES; i++) {
    const body = makeMessage(SIZE, `lat-${target.name}-${i}-${Date.now()}`, FROM, user);
    const before = countNew(maildir);
    const t0 = performance.now();
    const [reply] = await session.transaction(FROM, [user], body);
    if (reply?.code !== 250) {
      if (errors++ === 0) console.error(`${target.name}: ${reply?.code} ${reply?.lines.join(' ')}`);
      continue;
    }
    await newFileAfter(maildir, before);
    latencies.push(performance.now() - t0);
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = {
    a: cpuSecondsBetween(cpuA, groupCpuTicks(target.pgidsA)),
    b: cpuSecondsBetween(cpuB, groupCpuTicks(target.pgidsB)),
  };
  const memory = { a: memA.stop(), b: memB.stop() };
  await session.close();
  latencies.sort((x, y) => x - y);
  return summary(
    target,
    'latency',
    {
      messages: latencies.length,
      errors,
      seconds: round(seconds, 2),
      msgsPerSec: round(latencies.length / seconds, 1),
      acceptPerSec: 0,
      p50Ms: round(percentile(latencies, 0.5), 2),
      p99Ms: round(percentile(latencies, 0.99), 2),
    },
    cpu,
    memory,
  );
}

/** One message to each user, so every Maildir exists and both paths are warm. */
async function warmUp(target: Target): Promise<void> {
  const session = await openSender(target);
  const before = countAll(target);
  for (const user of USERS) {
    const [reply] = await session.transaction(FROM, [user], makeMessage(SIZE, `warm-${user}`, FROM, user));
    if (reply?.code !== 250)
      throw new Error(`${target.name}: warm-up got ${reply?.code} ${reply?.lines.join(' ')}`);
  }
  await session.close();
  await waitFor(`${target.name} warm-up delivery`, () => countAll(target) - before >= USERS.length, 60_000);
}

function printResults(results: Result[]): void {
  printTable(
    [
      'server',
      'case',
      'msgs',
      'err',
      'seconds',
      'msgs/s',
      'accept/s',
      'p50 ms',
      'p99 ms',
      'CPU A',
      'CPU B',
      'PSS A MB',
      'PSS B MB',
    ],
    results.map((r) => [
      r.server,
      r.case,
      String(r.messages),
      String(r.errors),
      r.seconds.toFixed(2),
      r.msgsPerSec.toFixed(1),
      r.case === 'throughput' ? r.acceptPerSec.toFixed(1) : '-',
      r.case === 'latency' ? r.p50Ms.toFixed(2) : '-',
      r.case === 'latency' ? r.p99Ms.toFixed(2) : '-',
      r.cpuA.toFixed(2),
      r.cpuB.toFixed(2),
      r.peakPssMbA.toFixed(1),
      r.peakPssMbB.toFixed(1),
    ]),
  );
}

async function main(): Promise<void> {
  const targets: Target[] = [];
  const results: Result[] = [];
  const cases: Case[] = Array.from({ length: Number(args.rounds) }, () => [
    { kind: 'throughput' } as const,
    { kind: 'latency' } as const,
  ]).flat();
  try {
    if (args.only !== 'postfix') targets.push(await startOurs());
    if (args.only !== 'ours') targets.push(await startReference());
    for (const target of targets) await warmUp(target);
    results.push(
      ...(await measureAlternating('relay', targets, cases, (target, c) =>
        c.kind === 'throughput' ? throughput(target) : latency(target),
      )),
    );
    console.log('');
    printResults(results);
    console.log(
      `\n${process.platform} ${process.arch}, node ${process.version}; ${SIZE / 1024} KB messages; throughput: ${MESSAGES} msgs from ${SENDERS} pipelining senders to 20 users, clock stops at the last file in B's Maildir; latency: ${LATENCY_MESSAGES} sequential msgs, transaction start at A → file in B's new/; A→B over SMTP with STARTTLS on both, ours by MX (DNS in A's process), Postfix by transport map; ours ${PER_DESTINATION} connections per destination, Postfix default_destination_concurrency_limit 20; CPU in cores over the case; PSS = peak proportional set size of the host's process group (RSS in the JSON lines)`,
    );
  } finally {
    for (const target of targets) await target.stop().catch(() => undefined);
  }
}

await main();
