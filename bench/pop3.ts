/**
 * POP3 retrieval benchmark: our POP3 server (packages/pop3, spawned standalone) against
 * Debian's Dovecot POP3 (a throwaway instance), same machine, same run, same client
 * (pop3-client.ts), same mail: one 1,000-message maildrop per message size is written once
 * with @mailstack/maildir and hard-linked into every user's Maildir of both servers (so both
 * read the very same files, warm in the page cache).
 *
 * One session = connect (implicit TLS on the 995-style port by default; `--plain` uses the
 * plain ports with cleartext USER/PASS allowed on loopback on both), USER/PASS, UIDL, LIST,
 * RETR of every message pipelined in windows of `--window` commands (both servers
 * advertise PIPELINING), QUIT without DELE. The clock covers the whole session, connect
 * included. Each retrieved message's octet count is checked against LIST. Each user's first
 * session is run once untimed (Dovecot builds its index and uidlist,
 * each server settles what a first login changes in the Maildir; page cache warm).
 * Concurrent cases run one session per user at once (a POP3 maildrop is locked per session).
 *
 * Run as root with Dovecot installed (`npm run test:interop` installs it):
 *   node bench/pop3.ts [--messages 1000] [--sizes 4,100] [--clients 1,4] [--rounds 3]
 *                      [--window 32] [--plain] [--only ours|dovecot]
 * Prints one JSON line per measurement (the median round), then a table.
 */
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bufferBlob } from '@mailstack/core';
import { createMaildirStore } from '@mailstack/maildir';
import { writeDirectoryFile } from '../test/helpers/directory-file.ts';
import { type DovecotInstance, startDovecot } from '../test/helpers/dovecot.ts';
import { enableDovecotPop3Tls, startPop3 } from '../test/helpers/pop3.ts';
import { makeCertificate } from '../test/helpers/tls.ts';
import { type Pop3Response, Pop3Session } from './pop3-client.ts';
import { printTable, round, sampleGroupMemory } from './report.ts';
import { makeMessage } from './smtp-client.ts';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000' },
    sizes: { type: 'string', default: '4,100' },
    clients: { type: 'string', default: '1,4' },
    rounds: { type: 'string', default: '3' },
    window: { type: 'string', default: '32' },
    plain: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const MESSAGES = Number(args.messages);
const SIZES = args.sizes.split(',').map(Number);
const CLIENT_COUNTS = args.clients.split(',').map(Number);
const ROUNDS = Number(args.rounds);
const WINDOW = Number(args.window);
const TLS = !args.plain;
const MAX_CLIENTS = Math.max(...CLIENT_COUNTS);
const PASSWORD = 'secret';
const DOMAIN = 'bench.test';

/** `u<size>k<n>@bench.test`: every size has its own users, so each user has one maildrop. */
function userOf(sizeKb: number, n: number): string {
  return `u${sizeKb}k${n}@${DOMAIN}`;
}
const USERS = SIZES.flatMap((s) => Array.from({ length: MAX_CLIENTS }, (_, n) => userOf(s, n)));

interface Target {
  name: string;
  port: number;
  pgids: number[];
  stop(): Promise<void>;
}

interface SessionResult {
  messages: number;
  octets: number;
  /** Connect + TLS + USER/PASS, in ms (ours checks an scrypt hash, Dovecot a {PLAIN} password). */
  loginMs: number;
  /** UIDL (opening the maildrop happens at PASS on both), in ms. */
  uidlMs: number;
}

interface Result {
  server: string;
  tls: 'implicit' | 'none';
  sizeKb: number;
  clients: number;
  messages: number;
  octets: number;
  seconds: number;
  msgsPerSec: number;
  mbPerSec: number;
  loginMs: number;
  uidlMs: number;
  peakRssMb: number;
  peakPssMb: number;
  processes: number;
  serverCpu: number;
  clientCpu: number;
}

/**
 * Writes one `count`-message maildrop of `sizeKb` messages with our store (fsynced deliveries),
 * returning its Maildir path. The servers get hard links to its message files.
 */
async function buildTemplate(root: string, sizeKb: number, count: number): Promise<string> {
  const store = createMaildirStore({ root });
  const user = `template${sizeKb}k@${DOMAIN}`;
  for (let i = 0; i < count; i++) {
    await store.deliver(user, bufferBlob(makeMessage(sizeKb * 1024, `s${sizeKb}-m${i}`)));
  }
  return join(root, DOMAIN, `template${sizeKb}k`, 'Maildir');
}

/**
 * A user's Maildir as a copy of the template: message files hard-linked (same inodes, no
 * extra disk or page cache), everything else (our store's cache, Dovecot's uidlist if any)
 * copied so each server's bookkeeping stays its own.
 */
function cloneMaildir(template: string, target: string): void {
  for (const sub of ['new', 'cur', 'tmp']) {
    mkdirSync(join(target, sub), { recursive: true });
    for (const name of readdirSync(join(template, sub)))
      linkSync(join(template, sub, name), join(target, sub, name));
  }
  for (const entry of readdirSync(template, { withFileTypes: true })) {
    if (entry.isFile()) copyFileSync(join(template, entry.name), join(target, entry.name));
  }
}

function populate(mailRoot: string, templates: Map<number, string>): void {
  for (const [sizeKb, template] of templates) {
    for (let n = 0; n < MAX_CLIENTS; n++) {
      const local = userOf(sizeKb, n).split('@')[0] as string;
      cloneMaildir(template, join(mailRoot, DOMAIN, local, 'Maildir'));
    }
  }
}

async function startOurs(
  dir: string,
  cert: { certPath: string; keyPath: string },
  templates: Map<number, string>,
) {
  const data = join(dir, 'ours');
  populate(data, templates);
  const directory = join(dir, 'directory.json');
  await writeDirectoryFile(directory, USERS, PASSWORD);
  const pop3 = await startPop3({
    data,
    directory,
    ...cert,
    cleartextOnLoopback: !TLS,
  });
  return {
    name: 'mailstack',
    port: TLS ? pop3.tlsPort : pop3.port,
    pgids: [pop3.pid],
    stop: pop3.stop,
  } satisfies Target;
}

async function startDovecotTarget(
  cert: { certPath: string; keyPath: string },
  templates: Map<number, string>,
): Promise<Target> {
  let dovecot: DovecotInstance | undefined;
  try {
    dovecot = await startDovecot({ users: Object.fromEntries(USERS.map((u) => [u, PASSWORD])) });
    populate(dovecot.mailRoot, templates);
    dovecot.chownMail();
    const port = TLS ? await enableDovecotPop3Tls(dovecot, cert) : dovecot.ports.pop3;
    return { name: 'dovecot', port, pgids: [dovecot.pid], stop: dovecot.stop };
  } catch (error) {
    await dovecot?.stop();
    throw error;
  }
}

/** One whole POP3 session retrieving every message; checks each RETR's size against LIST. */
async function session(target: Target, user: string): Promise<SessionResult> {
  const t0 = performance.now();
  const s = await Pop3Session.connect({ host: '127.0.0.1', port: target.port, implicitTls: TLS });
  try {
    await s.login(user, PASSWORD);
    const t1 = performance.now();
    const uidl = await s.command('UIDL', { multiline: true, keep: true });
    if (!uidl.ok) throw new Error(`UIDL: ${uidl.status}`);
    const uidlMs = performance.now() - t1;
    const list = await s.command('LIST', { multiline: true, keep: true });
    if (!list.ok) throw new Error(`LIST: ${list.status}`);
    const sizes = (list.lines ?? []).map((line) => {
      const [n, size] = line.split(' ');
      return { n: Number(n), size: Number(size) };
    });
    if (sizes.length !== (uidl.lines ?? []).length) throw new Error(`${user}: LIST and UIDL disagree`);
    let octets = 0;
    for (let i = 0; i < sizes.length; i += WINDOW) {
      const batch = sizes.slice(i, i + WINDOW);
      const replies: Pop3Response[] = await s.pipeline(
        batch.map((m) => `RETR ${m.n}`),
        true,
      );
      for (const [j, r] of replies.entries()) {
        const m = batch[j];
        if (!r.ok || m === undefined) throw new Error(`${target.name} RETR ${m?.n}: ${r.status}`);
        // The bench messages have no line starting with '.', so nothing is dot-stuffed.
        if (r.octets !== m.size)
          throw new Error(`${target.name} RETR ${m.n}: ${r.octets} octets, LIST said ${m.size}`);
        octets += r.octets;
      }
    }
    await s.quit();
    return { messages: sizes.length, octets, loginMs: t1 - t0, uidlMs };
  } catch (error) {
    s.destroy();
    throw error;
  }
}

async function measure(target: Target, sizeKb: number, clients: number): Promise<Result> {
  const users = Array.from({ length: clients }, (_, n) => userOf(sizeKb, n));
  // Sampled often, as a Dovecot session's processes live only as long as the session; not
  // more often: each sample reads every /proc/<pid>/stat, which costs the client CPU.
  const memory = sampleGroupMemory(target.pgids, 50);
  const serverCpuBefore = groupCpuTicksWithReaped(target.pgids);
  const clientCpuBefore = process.cpuUsage();
  const start = performance.now();
  const sessions = await Promise.all(users.map((u) => session(target, u)));
  const seconds = (performance.now() - start) / 1000;
  const serverCpuSeconds = (groupCpuTicksWithReaped(target.pgids) - serverCpuBefore) / 100;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const peak = memory.stop();
  const messages = sessions.reduce((n, s) => n + s.messages, 0);
  const octets = sessions.reduce((n, s) => n + s.octets, 0);
  if (messages !== MESSAGES * clients) throw new Error(`${target.name}: retrieved ${messages} messages`);
  const middle = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  return {
    server: target.name,
    tls: TLS ? 'implicit' : 'none',
    sizeKb,
    clients,
    messages,
    octets,
    seconds: round(seconds, 3),
    msgsPerSec: round(messages / seconds, 0),
    mbPerSec: round(octets / seconds / 1024 / 1024, 1),
    loginMs: round(middle(sessions.map((s) => s.loginMs)), 1),
    uidlMs: round(middle(sessions.map((s) => s.uidlMs)), 1),
    peakRssMb: round(peak.rss / 1024 / 1024, 1),
    peakPssMb: round(peak.pss / 1024 / 1024, 1),
    processes: peak.processes,
    serverCpu: round(serverCpuSeconds / seconds, 2),
    clientCpu: round((clientCpu.user + clientCpu.system) / 1e6 / seconds, 2),
  };
}

/**
 * CPU ticks (1/100 s) used so far by the live processes of the groups plus the children they
 * have reaped (cutime/cstime): Dovecot's pop3 and pop3-login processes exit at QUIT, inside
 * the measured interval, and only their parent's counters still hold their CPU. The diff of
 * two readings is the CPU spent in between (a child alive at the first reading and reaped
 * before the second is counted once: its total minus what it had used before).
 */
function groupCpuTicksWithReaped(pgids: number[]): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // rest[0] is field 3 (state); utime, stime, cutime, cstime are fields 14-17.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (!pgids.includes(Number(rest[2]))) continue;
      ticks += Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
    } catch {
      // The process went away between readdir and read.
    }
  }
  return ticks;
}

function median(results: Result[]): Result {
  const sorted = [...results].sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor(sorted.length / 2)] as Result;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mailstack-bench-pop3-'));
  const targets: Target[] = [];
  const results: Result[] = [];
  const t0 = performance.now();
  try {
    const tlsDir = join(dir, 'tls');
    mkdirSync(tlsDir);
    const cert = await makeCertificate(tlsDir);
    const templates = new Map<number, string>();
    for (const sizeKb of SIZES)
      templates.set(sizeKb, await buildTemplate(join(dir, 'template'), sizeKb, MESSAGES));
    console.error(
      `bench: ${SIZES.length} maildrops of ${MESSAGES} written in ${round((performance.now() - t0) / 1000, 1)} s`,
    );
    if (args.only !== 'dovecot') targets.push(await startOurs(dir, cert, templates));
    if (args.only !== 'ours') targets.push(await startDovecotTarget(cert, templates));
    // Untimed first session per user: indexes built, first-login changes done, page cache warm.
    for (const target of targets) {
      for (const user of USERS) await session(target, user);
    }
    for (const sizeKb of SIZES) {
      for (const clients of CLIENT_COUNTS) {
        const rounds = new Map<string, Result[]>();
        for (let r = 0; r < ROUNDS; r++) {
          // Alternate who goes first within a round.
          const order = r % 2 === 0 ? targets : [...targets].reverse();
          for (const target of order) {
            const list = rounds.get(target.name) ?? [];
            list.push(await measure(target, sizeKb, clients));
            rounds.set(target.name, list);
          }
        }
        for (const list of rounds.values()) {
          const result = median(list);
          results.push(result);
          console.log(JSON.stringify({ bench: 'pop3', ...result }));
        }
      }
    }
    console.log('');
    printTable(
      [
        'server',
        'tls',
        'size',
        'clients',
        'msgs',
        'seconds',
        'msgs/s',
        'MB/s',
        'login ms',
        'UIDL ms',
        'RSS MB',
        'PSS MB',
        'procs',
        'srv CPU',
        'cli CPU',
      ],
      results.map((r) => [
        r.server,
        r.tls,
        `${r.sizeKb} KB`,
        String(r.clients),
        String(r.messages),
        r.seconds.toFixed(3),
        String(r.msgsPerSec),
        r.mbPerSec.toFixed(1),
        r.loginMs.toFixed(1),
        r.uidlMs.toFixed(1),
        r.peakRssMb.toFixed(1),
        r.peakPssMb.toFixed(1),
        String(r.processes),
        r.serverCpu.toFixed(2),
        r.clientCpu.toFixed(2),
      ]),
    );
    console.log(
      `\n${process.platform} ${process.arch}, node ${process.version}; ${MESSAGES} messages per maildrop, one maildrop per client; ${TLS ? 'implicit TLS (TLS 1.3) on both' : 'plaintext on loopback on both'}; per session: connect, USER/PASS (login ms: median session), UIDL, LIST, RETR all (pipelined, window ${WINDOW}), QUIT, no DELE; median of ${ROUNDS} rounds after one untimed warm-up session per user; RSS/PSS = peak sum over the server's process group; CPU in cores over the case; whole run ${round((performance.now() - t0) / 1000, 1)} s`,
    );
  } finally {
    for (const target of targets) await target.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
