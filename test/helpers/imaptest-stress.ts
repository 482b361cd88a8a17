/**
 * Dovecot's imaptest in stress mode (https://dovecot.github.io/imaptest/): `clients` concurrent
 * sessions send random commands (LOGIN, LIST, STATUS, SELECT, FETCH, STORE, EXPUNGE, APPEND,
 * LOGOUT, ...) for `secs` seconds while imaptest tracks every mailbox's state and checks that
 * each answer agrees with it (its state checking, on unless `no_tracking`); every `checkpoint`
 * seconds all sessions of a mailbox stop and must report the same messages and flags. Each
 * disagreement or protocol error is one `Error:` line on its stderr. APPEND takes its messages
 * from an mbox (`mbox=`), written here from the IMAP bench's realistic corpus.
 *
 * Two imaptest options stay off: `checkpoint=` made this build panic against ours (an
 * assertion in client-state.c:222, a client not logged in yet holding a plan when a checkpoint
 * ends; Dovecot got through its one checkpoint in 30 s), and `idle=` panics at once in stress
 * mode against any server (client-state.c:174 unreached: IDLE changes state but says to which).
 *
 * Used by test/interop/imaptest-stress.test.ts (0 errors against ours) and bench/imap-stress.ts
 * (commands/s beside Dovecot).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { makeBenchMessage } from '../../bench/imap-corpus.ts';
import { imaptest } from './imaptest.ts';

/**
 * imaptest's short column names (its `states[]` table) → the command kind. `Dele` is
 * `STORE +FLAGS \Deleted`; `Fet2` the second, wider FETCH; `Noop` NOOP or IDLE.
 */
export const STRESS_COLUMNS: Record<string, string> = {
  Auth: 'AUTHENTICATE',
  Logi: 'LOGIN',
  List: 'LIST',
  MCre: 'CREATE',
  MDel: 'DELETE (mailbox)',
  MSub: 'SUBSCRIBE',
  Stat: 'STATUS',
  Sele: 'SELECT',
  UIDF: 'UID FETCH',
  Fetc: 'FETCH',
  Fet2: 'FETCH (2nd)',
  Sear: 'SEARCH',
  Sort: 'SORT',
  Thre: 'THREAD',
  Copy: 'COPY',
  Stor: 'STORE',
  Dele: 'STORE \\Deleted',
  Expu: 'EXPUNGE',
  Appe: 'APPEND',
  Noop: 'NOOP/IDLE',
  Chec: 'CHECK',
  Logo: 'LOGOUT',
  Disc: 'disconnect',
  Dela: 'delay',
  ChkP: 'checkpoint',
  LMTP: 'LMTP',
};

/**
 * Writes an mbox of `count` realistic messages (2-6 KB, five MIME shapes: plain, QP UTF-8
 * reply, alternative, mixed with attachment), `From ` separated, body lines starting with
 * `From ` quoted as `>From ` (mboxrd), for imaptest's APPENDs.
 */
export function writeStressMbox(path: string, count = 200): void {
  const parts: string[] = [];
  for (let i = 1; i <= count; i++) {
    const text = makeBenchMessage(i, i % 29 === 0).replace(/^(>*From )/gm, '>$1');
    const date = new Date(Date.UTC(2026, 0, 1) + i * 61_000).toUTCString();
    parts.push(`From sender${i}@example.org ${date}\n${text.endsWith('\n') ? text : `${text}\n`}\n`);
  }
  writeFileSync(path, parts.join(''));
}

export interface StressOptions {
  port: number;
  host?: string;
  /**
   * imaptest's `user=` template: a plain address for one user, or one with `%d` and `users`
   * for users 1..users (`u%d@x` → u1@x ... u10@x), each client picking one at random.
   */
  user: string;
  users?: number;
  password: string;
  clients: number;
  secs: number;
  mbox: string;
  /** Seconds between checkpoints (all sessions of a mailbox must agree); 0: none. */
  checkpoint?: number;
  /** Seconds imaptest waits for its clients to log out after `secs` (its default 30). */
  finalWait?: number;
  /** More imaptest arguments, e.g. the short-session profile `['-', 'logout=100']`. */
  args?: string[];
}

export interface StressResult {
  /** The arguments imaptest ran with (for the log). */
  argv: string[];
  exitCode: number | null;
  /** Wall-clock seconds imaptest ran (its `secs` plus the logout wait). */
  elapsed: number;
  /** Command kind (STRESS_COLUMNS) → how many imaptest counted, from its `Totals:` table. */
  totals: Record<string, number>;
  /** Its own summary: the `Totals:` header, probabilities and counts, as printed. */
  summary: string[];
  /** Every `Error:`, `Warning:`, `Fatal:` and `Panic:` line it printed (stressErrors). */
  errors: string[];
  /** Its `... stalled for N secs in ...` lines (a session without an answer for 15+ s). */
  stalls: string[];
  stdout: string;
  stderr: string;
}

/** The `Totals:` block of imaptest's stdout: column names, then the counts line last. */
export function parseStressTotals(stdout: string): { totals: Record<string, number>; summary: string[] } {
  const lines = stdout.split('\n');
  const at = lines.lastIndexOf('Totals:');
  if (at < 0) return { totals: {}, summary: [] };
  const summary = lines.slice(at, lines.length).filter((l) => l.trim() !== '');
  const names = (summary[1] ?? '').trim().split(/\s+/);
  const counts = (summary[summary.length - 1] ?? '').trim().split(/\s+/).map(Number);
  const totals: Record<string, number> = {};
  names.forEach((short, i) => {
    const kind = STRESS_COLUMNS[short] ?? short;
    totals[kind] = (totals[kind] ?? 0) + (counts[i] ?? 0);
  });
  return { totals, summary };
}

/**
 * The lines imaptest prints for errors, as written: `Error:` (a protocol error or a state
 * mismatch; its input warnings such as "replied BAD" or "Unexpected BYE" print as errors too),
 * `Warning:` (a keyword missing from PERMANENTFLAGS), `Fatal:` and `Panic:`.
 */
export function stressErrors(output: string): string[] {
  return output.split('\n').filter((l) => /^(Error|Warning|Fatal|Panic): /.test(l));
}

/** Runs imaptest in stress mode against `host:port`; resolves when it exits (killed after secs + wait + 60 s). */
export async function runImaptestStress(options: StressOptions): Promise<StressResult> {
  const tool = imaptest();
  const argv = [
    `host=${options.host ?? '127.0.0.1'}`,
    `port=${options.port}`,
    `user=${options.user}`,
    ...(options.users === undefined ? [] : [`users=${options.users}`]),
    `pass=${options.password}`,
    `mbox=${options.mbox}`,
    `clients=${options.clients}`,
    `secs=${options.secs},${options.finalWait ?? 10}`,
    ...(options.checkpoint ? [`checkpoint=${options.checkpoint}`] : []),
    ...(options.args ?? []),
  ];
  const started = performance.now();
  const child = spawn(tool.bin, argv, { env: tool.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const limit = setTimeout(
    () => child.kill('SIGKILL'),
    (options.secs + (options.finalWait ?? 10) + 60) * 1000,
  );
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  clearTimeout(limit);
  const { totals, summary } = parseStressTotals(stdout);
  const all = `${stdout}\n${stderr}`;
  return {
    argv,
    exitCode,
    elapsed: (performance.now() - started) / 1000,
    totals,
    summary,
    errors: stressErrors(all),
    stalls: all.split('\n').filter((l) => /stalled for \d+ secs/.test(l)),
    stdout,
    stderr,
  };
}

/**
 * Error lines grouped by what they say, without the user, session number, tag and numbers
 * that differ from one occurrence to the next: pattern → count, most frequent first.
 */
export function errorKinds(errors: string[]): [string, number][] {
  const kinds = new Map<string, number>();
  for (const line of errors) {
    const kind = line
      .replace(/^Error: \S+\[\d+\]: /, 'Error: ')
      .replace(/\b\d+(\.\d+)?\b/g, 'N')
      .slice(0, 200);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return [...kinds].sort((a, b) => b[1] - a[1]);
}
