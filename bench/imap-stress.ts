/**
 * imaptest stress beside Dovecot: Dovecot's own IMAP stress tester (test/helpers/imaptest-stress.ts)
 * against our IMAP server (`mailstack imap` in a child process) and Debian's Dovecot 2.3 (a
 * throwaway instance), same machine, same run, same profile, alternating which goes first.
 *
 * Per case (clients x layout, `--secs` seconds each): imaptest's default random profile with
 * state tracking on (LOGIN, LIST, STATUS, SELECT, FETCH, FETCH 2, STORE, STORE \Deleted,
 * EXPUNGE, APPEND from a realistic mbox, LOGOUT; pipelined), either all clients on one
 * user's INBOX (`--users 1`) or spread over N users. Each server and case gets users of its
 * own, so every run starts from empty mailboxes, and both servers are restarted before each
 * case. Printed: commands/s per command kind and in total, and the errors imaptest reported
 * (grouped by what they say).
 * Then LOGIN cost: imaptest's short-session profile (`-`: connect, LOGIN, SELECT, LOGOUT and
 * again) with `--login-clients` clients for `--login-secs`; logins/s.
 *
 * Passwords: ours hashes with the directory's default scrypt cost (what an operator gets;
 * `--hash cheap` uses the lowest cost to measure mail access alone); Dovecot has {PLAIN}
 * passwords and its auth cache. Dovecot runs in its documented high-performance login mode
 * with imap processes reused (DOVECOT_HIGH_PERFORMANCE), as a site serving many short sessions
 * is set up: imaptest's profile logs out after every session, and Dovecot's defaults fork an
 * imap-login and an imap process per session (measured here: ~5 logins/s against ~330 tuned,
 * on the loaded machine); `--dovecot default` measures those defaults.
 *
 * Run as root with Dovecot and imaptest built (`npm run test:interop` does both):
 *   node bench/imap-stress.ts [--clients 10,50] [--users 1,10] [--secs 30]
 *        [--login-clients 10] [--login-secs 10] [--hash default|cheap] [--dovecot tuned|default]
 *        [--only ours|dovecot]
 * Prints one JSON line per run, then the tables. Numbers on a shared machine are noisy (up
 * to 2x between runs); compare the two servers within one run.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeTempDir } from '../test/helpers/daemon.ts';
import { writeDirectoryFile } from '../test/helpers/directory-file.ts';
import {
  errorKinds,
  runImaptestStress,
  STRESS_COLUMNS,
  type StressResult,
  writeStressMbox,
} from '../test/helpers/imaptest-stress.ts';
import * as servers from './imap-targets.ts';
import { measureAlternating, printTable, round } from './report.ts';

type ImapTarget = servers.ImapTarget;

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '10,50' },
    users: { type: 'string', default: '1,10' },
    secs: { type: 'string', default: '30' },
    'login-clients': { type: 'string', default: '10' },
    'login-secs': { type: 'string', default: '10' },
    hash: { type: 'string', default: 'default' },
    dovecot: { type: 'string', default: 'tuned' },
    only: { type: 'string' },
  },
});
const list = (s: string) =>
  s
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
const SECS = Number(args.secs);
const LOGIN_CLIENTS = Number(args['login-clients']);
const LOGIN_SECS = Number(args['login-secs']);
const PASSWORD = 'stress-secret';
const DOMAIN = 'stress.test';

interface Case {
  name: string;
  clients: number;
  users: number;
  secs: number;
  /** imaptest arguments beyond the common ones. */
  args: string[];
}

const CASES: Case[] = [
  ...list(args.clients).flatMap((clients) =>
    list(args.users).map((users) => ({
      name: `${clients} clients, ${users === 1 ? 'one mailbox' : `${users} users`}`,
      clients,
      users,
      secs: SECS,
      args: [],
    })),
  ),
  ...(LOGIN_SECS > 0
    ? [
        {
          name: `login: ${LOGIN_CLIENTS} clients, connect+LOGIN+SELECT+LOGOUT`,
          clients: LOGIN_CLIENTS,
          users: 10,
          secs: LOGIN_SECS,
          args: ['-'],
        },
      ]
    : []),
];

/** The users of one case on one server: `<server>-<case index>-u<n>@stress.test`. */
const userOf = (server: string, index: number, n: number) => `${server}-${index}-u${n}@${DOMAIN}`;
const allUsers = (server: string) =>
  CASES.flatMap((c, index) => Array.from({ length: c.users }, (_, n) => userOf(server, index, n + 1)));

interface Row {
  server: string;
  case: string;
  secs: number;
  /** Command kind → commands per second. */
  perSec: Record<string, number>;
  total: number;
  errors: number;
  stalls: number;
  exitCode: number | null;
  errorKinds: [string, number][];
}

function rowOf(server: string, c: Case, r: StressResult): Row {
  const perSec: Record<string, number> = {};
  let total = 0;
  for (const [kind, count] of Object.entries(r.totals)) {
    perSec[kind] = round(count / c.secs, 1);
    total += count;
  }
  return {
    server,
    case: c.name,
    secs: c.secs,
    perSec,
    total: round(total / c.secs, 1),
    errors: r.errors.length,
    stalls: r.stalls.length,
    exitCode: r.exitCode,
    errorKinds: errorKinds(r.errors).slice(0, 12),
  };
}

async function main(): Promise<void> {
  const tmp = makeTempDir('bench-imap-stress');
  const targets: ImapTarget[] = [];
  const cleanup = async () => {
    for (const t of targets) await t.stop().catch(() => {});
    tmp.remove();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  try {
    const mbox = join(tmp.path, 'stress.mbox');
    writeStressMbox(mbox);
    if (args.only !== 'dovecot') {
      const directory = join(tmp.path, 'directory.json');
      if (args.hash === 'cheap')
        await servers.writeCheapDirectory(directory, allUsers('mailstack'), PASSWORD);
      else await writeDirectoryFile(directory, allUsers('mailstack'), PASSWORD);
      targets.push(await servers.startOurImap({ data: join(tmp.path, 'ours'), directory }));
    }
    if (args.only !== 'ours') {
      targets.push(
        await servers.startDovecotImap({
          mailRoot: join(tmp.path, 'dovecot'),
          users: Object.fromEntries(allUsers('dovecot').map((u) => [u, PASSWORD])),
          maxSessions: Math.max(...CASES.map((c) => c.clients)) + 50,
          ...(args.dovecot === 'tuned' ? { extraConfig: servers.DOVECOT_HIGH_PERFORMANCE } : {}),
        }),
      );
    }
    const rows = await measureAlternating('imap-stress', targets, CASES, async (t, c) => {
      const index = CASES.indexOf(c);
      // A fresh process per case: work a previous case left queued (50 LOGINs' scrypt still
      // running for clients imaptest already dropped) must not count against the next one.
      await t.restart();
      const r = await runImaptestStress({
        port: t.port(),
        user: c.users === 1 ? userOf(t.name, index, 1) : `${t.name}-${index}-u%d@${DOMAIN}`,
        ...(c.users === 1 ? {} : { users: c.users }),
        password: PASSWORD,
        clients: c.clients,
        secs: c.secs,
        mbox,
        args: c.args,
      });
      return rowOf(t.name, c, r);
    });
    printResults(rows, targets);
    console.log(
      `\n${process.platform} ${process.arch}, node ${process.version}, Dovecot ${servers.dovecotVersion()}; imaptest ` +
        `stress with state tracking, plaintext LOGIN on loopback; ours: ${args.hash === 'cheap' ? 'lowest' : 'default'} ` +
        `scrypt cost, Dovecot: {PLAIN} passwords, ${args.dovecot === 'tuned' ? 'high-performance login mode' : 'default services'}; commands/s = imaptest totals / secs (noisy shared machine)`,
    );
  } finally {
    await cleanup();
  }
}

function printResults(rows: Row[], targets: ImapTarget[]): void {
  const names = targets.map((t) => t.name);
  const kinds = Object.values(STRESS_COLUMNS);
  for (const c of CASES) {
    const byServer = names.map((n) => rows.find((r) => r.server === n && r.case === c.name));
    const present = kinds.filter((k) => byServer.some((r) => r?.perSec[k] !== undefined));
    const cell = (r: Row | undefined, k: string) => String(r?.perSec[k] ?? '-');
    const ratio = (k: (r: Row) => number) => {
      const [a, b] = byServer;
      return a && b && k(b) > 0 ? `${round(k(a) / k(b), 2)}x` : '';
    };
    console.log(`\n### ${c.name}, ${c.secs} s: commands/s`);
    printTable(
      ['command', ...names, names.length === 2 ? `${names[0]}/${names[1]}` : ''],
      [
        ...present.map((k) => [k, ...byServer.map((r) => cell(r, k)), ratio((r) => r.perSec[k] ?? 0)]),
        ['total', ...byServer.map((r) => String(r?.total ?? '-')), ratio((r) => r.total)],
        ['errors', ...byServer.map((r) => String(r?.errors ?? '-')), ''],
        ['stalls', ...byServer.map((r) => String(r?.stalls ?? '-')), ''],
      ],
    );
    for (const r of byServer) {
      if (!r || r.errorKinds.length === 0) continue;
      console.log(`\n${r.server} errors (${r.errors}, by kind):`);
      for (const [kind, n] of r.errorKinds) console.log(`  ${n} x ${kind}`);
    }
  }
}

await main();
