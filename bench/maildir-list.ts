/**
 * Maildir listing at 100,000 messages: how long openFolder + messages() takes in a fresh
 * process (cold: uidlist + readdir + cache file, no message file opened), the first open of a
 * folder without a cache (stats every file once, then writes the cache), and refresh() on an
 * open folder (warm: nothing changed / one delivery / one flag change from another session).
 * The folder is written directly in the Maildir format with a dovecot-uidlist (delivery speed
 * is not what this measures). Prints one JSON line per measurement, then a table.
 *
 *   node bench/maildir-list.ts [messages=100000]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bufferBlob } from '@mailstack/core';
import { createMaildirStore } from '@mailstack/maildir';

const USER = 'bench@example.org';

interface Row {
  case: string;
  messages: number;
  ms: number;
  rssMB: number;
}

const rss = () => Math.round((process.memoryUsage().rss / 1048576) * 10) / 10;

async function child(root: string): Promise<void> {
  const t0 = performance.now();
  const store = createMaildirStore({ root });
  const folder = await store.openFolder(USER, 'INBOX');
  const n = folder.messages().length;
  const ms = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ ms, messages: n, rssMB: rss() })}\n`);
  await folder.close();
}

function build(root: string, count: number): void {
  const maildir = join(root, 'example.org', 'bench', 'Maildir');
  for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, d), { recursive: true });
  const secs = Math.floor(Date.now() / 1000) - count;
  let uidlist = `3 V${secs} N${count + 1} G${randomBytes(16).toString('hex')}\n`;
  for (let i = 1; i <= count; i++) {
    const body = `Subject: message ${i}\nFrom: a@example.net\n\nbody of message ${i}\n`;
    const lines = 4;
    const base = `${secs + i}.M${i % 1000000}P1Q${i}.bench,S=${body.length},W=${body.length + lines}`;
    writeFileSync(join(maildir, 'cur', `${base}:2,${i % 3 === 0 ? 'S' : ''}`), body);
    uidlist += `${i} :${base}\n`;
  }
  writeFileSync(join(maildir, 'dovecot-uidlist'), uidlist);
}

function coldOpen(root: string): { ms: number; messages: number; rssMB: number } {
  const out = execFileSync(process.execPath, [import.meta.filename, '--child', root], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

const DOVECOT_IMAP = '/usr/lib/dovecot/imap';

/**
 * Reference: Dovecot 2.3's own imap binary in pre-auth mode selecting the same folder (first
 * select builds its index, the second uses it). Dovecot refuses root, so the tree is handed to
 * `nobody` first. Skipped when Dovecot is not installed or we are not root.
 */
function dovecotSelect(root: string): number | null {
  if (!existsSync(DOVECOT_IMAP) || process.getuid?.() !== 0) return null;
  const home = join(root, 'example.org', 'bench');
  const conf = join(root, 'dovecot.conf');
  writeFileSync(
    conf,
    [
      'protocols =',
      'ssl = no',
      `base_dir = ${join(root, 'dovecot-run')}`,
      `state_dir = ${join(root, 'dovecot-state')}`,
      `log_path = ${join(root, 'dovecot.log')}`,
      'mail_location = maildir:~/Maildir',
      'mail_uid = nobody',
      'mail_gid = nogroup',
      'namespace inbox {',
      '  inbox = yes',
      '  separator = /',
      '}',
      '',
    ].join('\n'),
  );
  execFileSync('chown', ['-R', 'nobody:nogroup', home]);
  chmodSync(root, 0o755);
  // Through sh so stdin/stdout are real pipes: Node's stdio pipes are socketpairs, which
  // imap takes for inetd, and it cannot poll a plain file.
  const t0 = performance.now();
  const r = spawnSync(
    'sh',
    ['-c', `printf 'a select INBOX\\r\\nb logout\\r\\n' | ${DOVECOT_IMAP} -c ${conf} | cat`],
    {
      env: { USER: 'bench', HOME: home, PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    },
  );
  const ms = performance.now() - t0;
  if (r.status !== 0 || !/a OK/.test(r.stdout) || !/\* \d+ EXISTS/.test(r.stdout)) {
    console.error(`dovecot reference skipped: ${r.stdout}${r.stderr}`.slice(0, 500));
    return null;
  }
  console.error(`dovecot: ${/\* \d+ EXISTS/.exec(r.stdout)?.[0]}`);
  return ms;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]!);
  const count = Number(process.argv[2] ?? 100_000);
  const root = mkdtempSync(join(tmpdir(), 'maildir-bench-'));
  const rows: Row[] = [];
  const emit = (r: Row) => {
    rows.push(r);
    console.log(JSON.stringify({ bench: 'maildir-list', ...r }));
  };
  try {
    let t0 = performance.now();
    build(root, count);
    console.error(`built ${count} messages in ${Math.round(performance.now() - t0)} ms`);

    const first = coldOpen(root);
    emit({
      case: 'first open, no cache (stat each file, write cache)',
      messages: first.messages,
      ms: first.ms,
      rssMB: first.rssMB,
    });
    for (let i = 1; i <= 3; i++) {
      const cold = coldOpen(root);
      emit({
        case: `cold open + messages() #${i}, fresh process`,
        messages: cold.messages,
        ms: cold.ms,
        rssMB: cold.rssMB,
      });
    }

    // Let the directory mtimes age past the granularity margin so the no-change path applies.
    await new Promise((r) => setTimeout(r, 1100));
    const store = createMaildirStore({ root });
    const folder = await store.openFolder(USER, 'INBOX');
    for (let i = 1; i <= 3; i++) {
      t0 = performance.now();
      await folder.refresh();
      emit({
        case: `warm refresh, no change #${i}`,
        messages: folder.messages().length,
        ms: performance.now() - t0,
        rssMB: rss(),
      });
    }
    await store.deliver(USER, bufferBlob('Subject: new\r\n\r\nhi\r\n'));
    t0 = performance.now();
    const c1 = await folder.refresh();
    emit({
      case: `warm refresh after 1 delivery (${c1.length} change)`,
      messages: folder.messages().length,
      ms: performance.now() - t0,
      rssMB: rss(),
    });
    const other = await store.openFolder(USER, 'INBOX');
    await other.setFlags([5], '+', ['\\Flagged']);
    t0 = performance.now();
    const c2 = await folder.refresh();
    emit({
      case: `warm refresh after 1 flag change (${c2.length} change)`,
      messages: folder.messages().length,
      ms: performance.now() - t0,
      rssMB: rss(),
    });
    await other.close();
    await folder.close();

    for (const label of ['no index yet (builds dovecot.index)', 'with its index']) {
      const ms = dovecotSelect(root);
      if (ms !== null)
        emit({ case: `reference: Dovecot 2.3 imap SELECT, ${label}`, messages: count + 1, ms, rssMB: 0 });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  console.log('\n| case | messages | ms | RSS MB |\n|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.case} | ${r.messages} | ${r.ms.toFixed(1)} | ${r.rssMB} |`);
}

await main();
