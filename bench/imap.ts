/**
 * IMAP access benchmark: our IMAP server (`mailstack imap` in a child process)
 * against Debian's Dovecot 2.3 imap (a throwaway
 * instance), same machine, same run, same client (imap-client.ts, raw socket), same mail.
 *
 * The mail: one folder of realistic 2-6 KB messages in five MIME shapes (imap-corpus.ts),
 * written once for the largest size; every measured INBOX (`s<size>@bench.test`) holds its
 * first <size> messages, hard-linked into each server's own mail root (same inodes, warm
 * page cache for both), each server with its own uidlist, index and cache files.
 *
 * Per folder size, alternating which server goes first:
 *   1. first session ever: SELECT (no index/cache yet), UID FETCH 1:* (FLAGS ENVELOPE) twice
 *      (the first parses every message and fills the cache; the second reads the cache);
 *   2. both servers restarted; SELECT cold (first select after start), LOGOUT; a new session:
 *      SELECT warm, UID FETCH 1:* (FLAGS ENVELOPE), FETCH 1:* BODY.PEEK[] (MB/s of message
 *      octets), UID SEARCH TEXT <word> (the word is in ~3% of the messages).
 *   On a larger folder, a FETCH or SEARCH runs only when the same server's rate on the smaller
 *   folder predicts it finishes within --limit seconds (else the row says "skipped", and when
 *   the first, parsing envelope fetch is skipped, so are the envelope fetches and the search
 *   that would pay for that parse); `--limit 1000` runs everything.
 * Then idle memory: both servers restarted, one warm-up session, server memory sampled; then
 * --idle clients (each its own user with a 20-message INBOX) log in, SELECT and IDLE; memory
 * sampled again. Ours: the RSS of its one process. Dovecot: the sum over its process group
 * (master, config, log, anvil, auth, imap-login, one imap per session); PSS too, which splits
 * shared pages (libraries) between processes instead of counting them once per process.
 *
 * Run as root with Dovecot installed (`npm run test:interop` installs it):
 *   node bench/imap.ts [--sizes 10000,100000] [--idle 1000] [--limit 60] [--only ours|dovecot]
 *                      [--profile <dir>]   (our server under --cpu-prof, profiles kept in <dir>)
 * Prints one JSON line per measurement, then a table. Needs ~2 file descriptors per idle
 * client in this process: the soft `ulimit -n` must exceed 2 x --idle (checked at start).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeTempDir } from '../test/helpers/daemon.ts';
import { groupMemory } from '../test/helpers/proc.ts';
import { ImapConnection } from './imap-client.ts';
import { type Corpus, linkInbox, SEARCH_WORD, writeCorpus } from './imap-corpus.ts';
import {
  dovecotVersion,
  type ImapTarget,
  startDovecotImap,
  startOurImap,
  writeCheapDirectory,
} from './imap-targets.ts';
import { printTable, round } from './report.ts';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    idle: { type: 'string', default: '1000' },
    limit: { type: 'string', default: '60' },
    only: { type: 'string' },
    profile: { type: 'string' },
  },
});
const SIZES = args.sizes
  .split(',')
  .map(Number)
  .filter((n) => n > 0)
  .sort((a, b) => a - b);
const IDLE_CLIENTS = Number(args.idle);
const LIMIT_MS = Number(args.limit) * 1000;
const PASSWORD = 'secret';
const DOMAIN = 'bench.test';
const IDLE_MESSAGES = 20;
/** Sessions opened at once while filling the idle set. */
const IDLE_BATCH = 50;

const sizeUser = (size: number) => `s${size}@${DOMAIN}`;
const idleUser = (n: number) => `idle${n}@${DOMAIN}`;

interface Result {
  server: string;
  messages: number;
  case: string;
  ms?: number;
  bytes?: number;
  mbPerSec?: number;
  hits?: number;
  /** Client CPU (cores) while the command ran: shows the client was not the bottleneck. */
  clientCpu?: number;
  skipped?: string;
  rssBeforeMb?: number;
  rssAfterMb?: number;
  pssBeforeMb?: number;
  pssAfterMb?: number;
  processes?: number;
  rssKbPerConn?: number;
  pssKbPerConn?: number;
}

const results: Result[] = [];
function emit(r: Result): void {
  results.push(r);
  console.log(JSON.stringify({ bench: 'imap', ...r }));
}

/** Runs one command, timed at the client from write to tagged OK. */
async function timed(c: ImapConnection, command: string, keep = false) {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const reply = await c.ok(command, { keep });
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { reply, ms, clientCpu: (used.user + used.system) / 1000 / ms };
}

async function session(target: ImapTarget, user: string): Promise<ImapConnection> {
  const c = await ImapConnection.connect(target.port());
  await c.login(user, PASSWORD);
  return c;
}

async function select(c: ImapConnection, expected: number) {
  const r = await timed(c, 'SELECT INBOX', true);
  const exists = r.reply.lines?.map((l) => /^\* (\d+) EXISTS/i.exec(l)?.[1]).find((n) => n !== undefined);
  if (Number(exists) !== expected) throw new Error(`SELECT: ${exists} EXISTS, expected ${expected}`);
  return r;
}

async function fetchEnvelopes(c: ImapConnection, size: number) {
  const r = await timed(c, 'UID FETCH 1:* (FLAGS ENVELOPE)');
  if (r.reply.untagged !== size) throw new Error(`UID FETCH: ${r.reply.untagged} responses for ${size}`);
  return r;
}

/**
 * Per server, what the last (smaller) folder cost per message or byte, to predict a larger
 * folder: a case predicted over --limit is skipped. `parsed` remembers per folder size whether
 * the first envelope fetch ran, since later envelope fetches and the TEXT search (ours reads
 * MIME structure from the same cache) would otherwise pay for the parse themselves.
 */
interface Rates {
  envelopeFirstMsPerMessage?: number;
  envelopeMsPerMessage?: number;
  bodyMsPerByte?: number;
  searchMsPerMessage?: number;
  parsed: Set<number>;
}
const rates = new Map<string, Rates>();
function ratesOf(target: ImapTarget): Rates {
  let r = rates.get(target.name);
  if (r === undefined) {
    r = { parsed: new Set() };
    rates.set(target.name, r);
  }
  return r;
}

/** Null when the case may run, else why it is skipped. */
function skipReason(perUnit: number | undefined, units: number): string | null {
  const predicted = (perUnit ?? 0) * units;
  return predicted > LIMIT_MS ? `~${Math.round(predicted / 1000)} s predicted > --limit` : null;
}

const ENVELOPE_FIRST = 'UID FETCH 1:* (FLAGS ENVELOPE), first (parses)';
const ENVELOPE_AGAIN = 'UID FETCH 1:* (FLAGS ENVELOPE), same session again';
const ENVELOPE_RESTART = 'UID FETCH 1:* (FLAGS ENVELOPE), after restart';
const BODY = 'FETCH 1:* BODY.PEEK[]';
const SEARCH = `UID SEARCH TEXT ${SEARCH_WORD}`;
const NOT_PARSED = 'first envelope fetch skipped';

/** Phase 1: the first session a server ever sees on this folder. */
async function firstSession(target: ImapTarget, size: number): Promise<void> {
  const rate = ratesOf(target);
  const c = await session(target, sizeUser(size));
  const base = { server: target.name, messages: size };
  const s = await select(c, size);
  emit({ ...base, case: 'SELECT, first ever (no index/cache)', ms: round(s.ms, 1) });
  const skip = skipReason(rate.envelopeFirstMsPerMessage, size);
  if (skip !== null) {
    emit({ ...base, case: ENVELOPE_FIRST, skipped: skip });
    emit({ ...base, case: ENVELOPE_AGAIN, skipped: NOT_PARSED });
  } else {
    const first = await fetchEnvelopes(c, size);
    rate.envelopeFirstMsPerMessage = first.ms / size;
    rate.parsed.add(size);
    emit({
      ...base,
      case: ENVELOPE_FIRST,
      ms: round(first.ms, 1),
      bytes: first.reply.bytes,
      clientCpu: round(first.clientCpu, 2),
    });
    const again = await fetchEnvelopes(c, size);
    emit({
      ...base,
      case: ENVELOPE_AGAIN,
      ms: round(again.ms, 1),
      bytes: again.reply.bytes,
      clientCpu: round(again.clientCpu, 2),
    });
  }
  await c.logout();
}

/** Phase 2: after a restart: cold and warm SELECT, envelopes, bodies, search. */
async function restartedSessions(target: ImapTarget, corpus: Corpus, size: number): Promise<void> {
  const base = { server: target.name, messages: size };
  const rate = ratesOf(target);
  const parsed = rate.parsed.has(size);
  const cold = await session(target, sizeUser(size));
  const s1 = await select(cold, size);
  emit({ ...base, case: 'SELECT cold (first after server start)', ms: round(s1.ms, 1) });
  await cold.logout();

  const c = await session(target, sizeUser(size));
  const s2 = await select(c, size);
  emit({ ...base, case: 'SELECT warm (second, new session)', ms: round(s2.ms, 1) });

  const envSkip = parsed ? skipReason(rate.envelopeMsPerMessage, size) : NOT_PARSED;
  if (envSkip !== null) emit({ ...base, case: ENVELOPE_RESTART, skipped: envSkip });
  else {
    const env = await fetchEnvelopes(c, size);
    rate.envelopeMsPerMessage = env.ms / size;
    emit({
      ...base,
      case: ENVELOPE_RESTART,
      ms: round(env.ms, 1),
      bytes: env.reply.bytes,
      clientCpu: round(env.clientCpu, 2),
    });
  }

  const octets = corpus.wireSizes.slice(0, size).reduce((a, b) => a + b, 0);
  const bodySkip = skipReason(rate.bodyMsPerByte, octets);
  if (bodySkip !== null) emit({ ...base, case: BODY, skipped: bodySkip });
  else {
    const body = await timed(c, 'FETCH 1:* BODY.PEEK[]');
    if (body.reply.literalBytes !== octets)
      throw new Error(`${target.name} BODY.PEEK[]: ${body.reply.literalBytes} octets, expected ${octets}`);
    rate.bodyMsPerByte = body.ms / octets;
    emit({
      ...base,
      case: BODY,
      ms: round(body.ms, 1),
      bytes: body.reply.bytes,
      mbPerSec: round(octets / 1048576 / (body.ms / 1000), 1),
      clientCpu: round(body.clientCpu, 2),
    });
  }

  const searchSkip = parsed ? skipReason(rate.searchMsPerMessage, size) : NOT_PARSED;
  if (searchSkip !== null) emit({ ...base, case: SEARCH, skipped: searchSkip });
  else {
    const search = await timed(c, SEARCH, true);
    const line = search.reply.lines?.find((l) => /^\* SEARCH/i.test(l)) ?? '';
    const hits = line
      .split(' ')
      .slice(2)
      .filter((w) => w !== '').length;
    const expected = corpus.hits.filter((uid) => uid <= size).length;
    if (hits !== expected) throw new Error(`${target.name} SEARCH: ${hits} hits, expected ${expected}`);
    rate.searchMsPerMessage = search.ms / size;
    emit({ ...base, case: SEARCH, ms: round(search.ms, 1), hits });
  }
  await c.logout();
}

function memoryOf(target: ImapTarget): { rss: number; pss: number; processes: number } {
  const total = { rss: 0, pss: 0, processes: 0 };
  for (const pgid of target.pgids()) {
    const m = groupMemory(pgid);
    total.rss += m.rss;
    total.pss += m.pss;
    total.processes += m.processes;
  }
  return total;
}

/** Median of three samples 200 ms apart (a Dovecot process may be starting or exiting). */
async function settledMemory(target: ImapTarget): Promise<{ rss: number; pss: number; processes: number }> {
  const samples = [];
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 200));
    samples.push(memoryOf(target));
  }
  samples.sort((a, b) => a.rss - b.rss);
  return samples[1] as { rss: number; pss: number; processes: number };
}

/** Phase 3: memory per idle session (logged in, INBOX selected, in IDLE). */
async function idleMemory(target: ImapTarget, clients: number): Promise<void> {
  const warm = await session(target, idleUser(0));
  await select(warm, IDLE_MESSAGES);
  await warm.logout();
  // Let a Dovecot session's processes exit and our server settle after the warm-up.
  await new Promise((r) => setTimeout(r, 1000));
  const before = await settledMemory(target);
  const open: Array<{ c: ImapConnection; idling?: { done(): Promise<unknown> } }> = [];
  const t0 = performance.now();
  try {
    for (let i = 0; i < clients; i += IDLE_BATCH) {
      const batch = Array.from({ length: Math.min(IDLE_BATCH, clients - i) }, async (_, j) => {
        const entry: (typeof open)[number] = { c: await session(target, idleUser(i + j)) };
        open.push(entry);
        await select(entry.c, IDLE_MESSAGES);
        entry.idling = await entry.c.idle();
      });
      await Promise.all(batch);
    }
    const setupMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2000));
    const after = await settledMemory(target);
    const mb = (n: number) => round(n / 1048576, 1);
    emit({
      server: target.name,
      messages: IDLE_MESSAGES,
      case: `${clients} sessions in IDLE`,
      ms: round(setupMs, 0),
      rssBeforeMb: mb(before.rss),
      rssAfterMb: mb(after.rss),
      pssBeforeMb: mb(before.pss),
      pssAfterMb: mb(after.pss),
      processes: after.processes,
      rssKbPerConn: round((after.rss - before.rss) / 1024 / clients, 1),
      pssKbPerConn: round((after.pss - before.pss) / 1024 / clients, 1),
    });
  } finally {
    await Promise.all(
      open.map(async ({ c, idling }) => {
        try {
          await idling?.done();
          await c.logout();
        } catch {
          c.destroy();
        }
      }),
    );
  }
}

/**
 * A mail root with every bench user's INBOX, message files hard-linked from the corpus. With
 * `takeCorpus`, the largest folder is the corpus Maildir itself, moved in (it holds exactly
 * those messages): a third of the links to make and unlink saved on the last root built.
 */
function buildMailRoot(root: string, corpus: Corpus, takeCorpus: boolean): void {
  const inbox = (local: string) => join(root, DOMAIN, local, 'Maildir');
  for (let n = 0; n < IDLE_CLIENTS; n++) linkInbox(corpus, IDLE_MESSAGES, inbox(`idle${n}`));
  const whole = corpus.names.length;
  for (const size of SIZES) if (!takeCorpus || size !== whole) linkInbox(corpus, size, inbox(`s${size}`));
  if (takeCorpus && SIZES.includes(whole)) {
    mkdirSync(join(root, DOMAIN, `s${whole}`), { recursive: true });
    renameSync(corpus.maildir, inbox(`s${whole}`));
  }
}

function checkFdLimit(): void {
  const soft = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  if (Number.isFinite(soft) && soft < IDLE_CLIENTS * 2 + 100)
    throw new Error(`ulimit -n is ${soft}: raise it (ulimit -n ${IDLE_CLIENTS * 2 + 1000}) or lower --idle`);
}

/** Alternates which server goes first from one step to the next. */
let turn = 0;
async function eachTarget(targets: ImapTarget[], run: (t: ImapTarget) => Promise<void>): Promise<void> {
  const order = turn++ % 2 === 0 ? targets : [...targets].reverse();
  for (const t of order) await run(t);
}

function printResults(): void {
  const servers = [...new Set(results.map((r) => r.server))];
  const keys = [...new Set(results.map((r) => `${r.messages}\u0000${r.case}`))];
  const cell = (r: Result | undefined): string => {
    if (r === undefined) return '-';
    if (r.skipped !== undefined) return `skipped (${r.skipped})`;
    if (r.rssKbPerConn !== undefined)
      return `${r.rssKbPerConn} KB RSS, ${r.pssKbPerConn} KB PSS /conn (${r.rssBeforeMb}->${r.rssAfterMb} MB RSS, ${r.processes} procs)`;
    if (r.mbPerSec !== undefined) return `${r.mbPerSec} MB/s (${(r.ms ?? 0).toFixed(0)} ms)`;
    if (r.hits !== undefined) return `${(r.ms ?? 0).toFixed(1)} ms (${r.hits} hits)`;
    if (r.bytes !== undefined) return `${(r.ms ?? 0).toFixed(1)} ms, ${round(r.bytes / 1048576, 2)} MB`;
    return `${(r.ms ?? 0).toFixed(1)} ms`;
  };
  /** Ours relative to Dovecot: how many times slower (>1) or bigger. */
  const ratio = (ours: Result | undefined, theirs: Result | undefined): string => {
    if (ours === undefined || theirs === undefined || ours.skipped || theirs.skipped) return '';
    if (ours.rssKbPerConn !== undefined && theirs.pssKbPerConn)
      return `${round((ours.pssKbPerConn ?? 0) / theirs.pssKbPerConn, 2)}x PSS`;
    if (ours.ms !== undefined && theirs.ms) return `${round(ours.ms / theirs.ms, 2)}x time`;
    return '';
  };
  const rows = keys.map((key) => {
    const [messages, name] = key.split('\u0000') as [string, string];
    const of = (server: string) =>
      results.find((r) => r.server === server && String(r.messages) === messages && r.case === name);
    return [messages, name, ...servers.map((s) => cell(of(s))), ratio(of('mailstack'), of('dovecot'))];
  });
  printTable(['msgs', 'case', ...servers, 'ours/dovecot'], rows);
}

async function main(): Promise<void> {
  checkFdLimit();
  const tmp = makeTempDir('bench-imap');
  const dir = tmp.path;
  const targets: ImapTarget[] = [];
  const cleanup = async () => {
    for (const target of targets.splice(0)) {
      const t = performance.now();
      await target.stop().catch(() => undefined);
      console.error(`bench: ${target.name} stopped in ${round((performance.now() - t) / 1000, 1)} s`);
    }
    if (args.profile !== undefined) keepProfiles(join(dir, 'profiles'), args.profile);
    tmp.remove();
  };
  // Interrupted (Ctrl-C, timeout): stop the servers and remove the mail before exiting.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  const t0 = performance.now();
  try {
    const largest = Math.max(...SIZES, IDLE_MESSAGES);
    const corpus = writeCorpus(join(dir, 'corpus', 'Maildir'), largest);
    const corpusMb = corpus.wireSizes.reduce((a, b) => a + b, 0) / 1048576;
    console.error(
      `bench: ${largest} messages (${round(corpusMb, 1)} MB) written in ${round((performance.now() - t0) / 1000, 1)} s`,
    );
    const users = [...SIZES.map(sizeUser), ...Array.from({ length: IDLE_CLIENTS }, (_, n) => idleUser(n))];
    const ours = args.only !== 'dovecot';
    const dovecot = args.only !== 'ours';
    const data = join(dir, 'ours');
    const mailRoot = join(dir, 'dovecot');
    if (dovecot) buildMailRoot(mailRoot, corpus, !ours);
    if (ours) buildMailRoot(data, corpus, true);
    if (ours) {
      const directory = join(dir, 'directory.json');
      await writeCheapDirectory(directory, users, PASSWORD);
      const profileDir = args.profile === undefined ? undefined : join(dir, 'profiles');
      targets.push(
        await startOurImap({
          data,
          directory,
          ...(profileDir === undefined ? {} : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] }),
        }),
      );
    }
    if (dovecot) {
      chmodSync(mailRoot, 0o755);
      targets.push(
        await startDovecotImap({
          mailRoot,
          users: Object.fromEntries(users.map((u) => [u, PASSWORD])),
          maxSessions: IDLE_CLIENTS,
        }),
      );
    }
    console.error(`bench: servers up after ${round((performance.now() - t0) / 1000, 1)} s`);

    for (const size of SIZES) {
      await eachTarget(targets, (t) => firstSession(t, size));
      for (const t of targets) await t.restart();
      await eachTarget(targets, (t) => restartedSessions(t, corpus, size));
      console.error(`bench: ${size} done after ${round((performance.now() - t0) / 1000, 1)} s`);
    }
    if (IDLE_CLIENTS > 0) {
      for (const t of targets) await t.restart();
      await eachTarget(targets, (t) => idleMemory(t, IDLE_CLIENTS));
    }

    console.log('');
    printResults();
    console.log(
      `\n${process.platform} ${process.arch}, node ${process.version}, Dovecot ${dovecotVersion()}; plaintext LOGIN on loopback; ` +
        `messages 2-6 KB (avg ${round((corpusMb * 1024) / largest, 1)} KB), hard-linked into both servers' own Maildirs; ` +
        `times at the client, command write to tagged OK; MB/s over message octets; ` +
        `idle: ${IDLE_CLIENTS} users with ${IDLE_MESSAGES}-message INBOXes, memory deltas over a restarted, warmed server; ` +
        `whole run ${round((performance.now() - t0) / 1000, 1)} s`,
    );
  } finally {
    const t1 = performance.now();
    await cleanup();
    console.error(
      `bench: servers stopped and mail removed in ${round((performance.now() - t1) / 1000, 1)} s`,
    );
  }
}

function keepProfiles(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  try {
    for (const name of readdirSync(from)) copyFileSync(join(from, name), join(to, name));
    console.error(`bench: CPU profiles of our server in ${to}`);
  } catch {
    console.error('bench: no CPU profiles written');
  }
}

await main();
