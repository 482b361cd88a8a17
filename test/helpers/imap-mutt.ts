import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAMS } from './programs.ts';

export interface MuttAccount {
  /** Implicit-TLS port of the IMAP server. */
  port: number;
  user: string;
  password: string;
  /** The server's self-signed certificate; mutt trusts exactly the certificates in this file. */
  certPath: string;
}

export interface MuttRun {
  code: number | null;
  /** What mutt drew on the terminal (curses escapes and all), for failure messages. */
  screen: string;
  /** mutt's debug log (`-d 2`: the IMAP commands it sent), for assertions and failures. */
  debugLog: string;
}

/** Single-quotes a word for `sh -c`. */
const sh = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;

/**
 * Debian's mutt (a real, independent IMAP client) run non-interactively: it needs a terminal
 * for its curses screen, so it runs under util-linux `script` (a pseudo-terminal, TERM=vt100),
 * and everything it does comes from `push` in the command line, i.e.
 *
 *   script -qec "mutt -n -F <dir>/muttrc -d 2 -f imaps://localhost:<port>/INBOX \
 *     -e 'push \"<keys>\"'" /dev/null
 *
 * `-n` skips the system muttrc; the muttrc written here sets the account, trusts only the given
 * certificate, and turns off every question mutt would otherwise ask (create folder, move read
 * mail to mbox, purge on quit), so the pushed keys run to `<quit>` without input.
 */
export async function runMutt(
  dir: string,
  account: MuttAccount,
  keys: string,
  folder = 'INBOX',
): Promise<MuttRun> {
  const config = join(dir, 'muttrc');
  writeFileSync(
    config,
    [
      `set folder="imaps://localhost:${account.port}/"`,
      `set imap_user="${account.user}"`,
      `set imap_pass="${account.password}"`,
      `set certificate_file="${account.certPath}"`,
      'set ssl_force_tls=yes',
      'set spoolfile="+INBOX"',
      'set record="" postponed=""',
      'set header_cache="" message_cachedir=""',
      'set imap_check_subscribed=no imap_passive=yes',
      // No questions: create folders, keep read mail where it is, expunge on sync and quit.
      'set confirmcreate=no confirmappend=no move=no delete=yes quit=yes mark_old=no',
      'set wait_key=no beep=no sleep_time=0 timeout=1',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const mutt = [
    PROGRAMS.mutt,
    '-n',
    '-F',
    config,
    '-d',
    '2',
    '-f',
    `imaps://localhost:${account.port}/${folder}`,
    '-e',
    `push "${keys}"`,
  ]
    .map(sh)
    .join(' ');
  const child = spawn('script', ['-qec', mutt, '/dev/null'], {
    cwd: dir,
    env: { ...process.env, HOME: dir, TERM: 'vt100', LC_ALL: 'C.UTF-8', COLUMNS: '120', LINES: '40' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  child.stdout.on('data', (c: Buffer) => {
    screen += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    screen += c.toString('utf8');
  });
  // stdin stays open (an EOF would reach mutt as end of input); the pushed keys end in <quit>.
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  child.stdin.destroy();
  const debugFile = join(dir, '.muttdebug0');
  return { code, screen, debugLog: existsSync(debugFile) ? readFileSync(debugFile, 'utf8') : '' };
}
