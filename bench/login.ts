/**
 * What an IMAP LOGIN costs: our IMAP server (`mailstack imap`, standalone, directory at the
 * default scrypt cost) with the authentication cache off (`auth.cache.ttl: 0s`, every login
 * runs scrypt, as before the cache) and on (the default), against Debian's Dovecot (a
 * throwaway instance, {PLAIN} passwords, its auth cache off as shipped), same machine, same
 * run, same client (imap-client.ts).
 *
 * One sample = connect (plain TCP, loopback), LOGIN, LOGOUT, timed from connect to the tagged
 * OK of LOGIN; `--logins` samples per server one after another, the same user each time, so
 * every login after the first is a repeat. Prints the median and the 90th percentile.
 *
 * Run as root with Dovecot installed (`npm run test:interop` installs it):
 *   node bench/login.ts [--logins 30]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeDirectoryFile } from '../test/helpers/directory-file.ts';
import { startDovecot } from '../test/helpers/dovecot.ts';
import { filesConfig, loopback, startConfiguredAgent } from '../test/helpers/mailstack-agent.ts';
import { ImapConnection } from './imap-client.ts';
import { printTable, round } from './report.ts';

const { values: args } = parseArgs({ options: { logins: { type: 'string', default: '30' } } });
const LOGINS = Number(args.logins);
const USER = 'alice@bench.test';
const PASSWORD = 'a-long-enough-passphrase';

async function loginTimes(port: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < LOGINS; i++) {
    const t0 = performance.now();
    const c = await ImapConnection.connect(port);
    await c.login(USER, PASSWORD);
    times.push(performance.now() - t0);
    await c.logout();
  }
  return times;
}

function summary(server: string, times: number[]): Record<string, string | number> {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) =>
    round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number, 1);
  return {
    server,
    logins: times.length,
    'first ms': round(times[0] as number, 1),
    'median ms': at(0.5),
    'p90 ms': at(0.9),
  };
}

async function ours(dir: string, cache: 'off' | 'on'): Promise<Record<string, string | number>> {
  const directory = join(dir, `directory-${cache}.json`);
  await writeDirectoryFile(directory, [USER], PASSWORD);
  const started = await startConfiguredAgent('imap', {
    ...filesConfig({ directory, mail: join(dir, `mail-${cache}`) }),
    listeners: [loopback('imap', 'none')],
    dev: { cleartextAuthOnLoopback: true },
    ...(cache === 'off' ? { auth: { cache: { ttl: '0s' } } } : {}),
  });
  try {
    return summary(`mailstack, auth cache ${cache}`, await loginTimes(started.listening[0]?.port ?? 0));
  } finally {
    await started.daemon.stop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-login-'));
  const rows: Array<Record<string, string | number>> = [];
  try {
    rows.push(await ours(dir, 'off'));
    rows.push(await ours(dir, 'on'));
    const dovecot = await startDovecot({ users: { [USER]: PASSWORD } });
    try {
      rows.push(summary('dovecot', await loginTimes(dovecot.ports.imap)));
    } finally {
      await dovecot.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const row of rows) console.log(JSON.stringify(row));
  const header = Object.keys(rows[0] ?? {});
  printTable(
    header,
    rows.map((row) => header.map((k) => String(row[k]))),
  );
  console.log(
    `\n${process.platform} ${process.arch}, node ${process.version}; plaintext LOGIN on loopback, connect to tagged OK; ` +
      `${LOGINS} logins per server in a row, one user; ours at the default scrypt cost (ln=15, r=8, p=1)`,
  );
}

await main();
