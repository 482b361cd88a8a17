/**
 * The shared folder index (packages/maildir/src/folder-index.ts) at 10,000 and 100,000
 * messages. The Maildir is written directly (small messages, S=/W= sizes in the names as our
 * deliveries write them, a dovecot-uidlist), then:
 *   - first open: the index is built (a scan, one stat per file, one transaction);
 *   - open after a restart: a fresh store object (its own SQLite connection and mirror) loads
 *     the index from SQLite, no scan;
 *   - second open in the same store: the shared mirror, a few stats;
 *   - refresh with no change;
 *   - setFlags on 100 messages (the reply; the renames follow) and until the renames are done;
 *   - refresh + changesSince on another handle after those 100 flag changes;
 *   - cachedText of every message after a restart (IMAP's ready-to-send ENVELOPE strings);
 *   - heap of the mirror per 10,000 messages (run with --expose-gc for a steadier number).
 * Prints one JSON line per measurement, then a table. Numbers on a shared machine are noisy.
 *
 *   node -C @mailstack/source [--expose-gc] bench/maildir-index.ts [10000,100000]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMaildirStore, type MaildirFolder } from '@mailstack/maildir';

const USER = 'bench@example.org';

interface Row {
  messages: number;
  case: string;
  ms: number;
  /** CPU time of this process (user + system) over the same span: steadier on a shared machine. */
  cpuMs: number;
}

/** Small messages under our delivery names (S= stored size, W= wire size), a third of them \Seen. */
function build(root: string, count: number): void {
  const maildir = join(root, 'example.org', 'bench', 'Maildir');
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
  const start = Math.floor(Date.now() / 1000) - count;
  const records = [`3 V${start} N${count + 1} G${randomBytes(16).toString('hex')}`];
  for (let uid = 1; uid <= count; uid++) {
    const lines = [
      `Subject: message ${uid}`,
      'From: a@example.net',
      `To: ${USER}`,
      '',
      `body of message ${uid}`,
      '',
    ];
    const stored = lines.join('\n');
    const base = `${start + uid}.M${uid}P1Q${uid}.bench,S=${stored.length},W=${stored.length + lines.length - 1}`;
    const letters = uid % 3 === 0 ? 'S' : '';
    writeFileSync(join(maildir, 'cur', `${base}:2,${letters}`), stored);
    records.push(`${uid} :${base}`);
  }
  writeFileSync(join(maildir, 'dovecot-uidlist'), `${records.join('\n')}\n`);
}

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

let lastCpu = 0;

async function time<T>(fn: () => Promise<T> | T): Promise<[number, T]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  lastCpu = (c.user + c.system) / 1000;
  return [ms, out];
}

async function run(count: number, rows: Row[]): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'bench-index-'));
  const add = (name: string, ms: number, cpuMs = lastCpu) => {
    const round = (n: number) => Math.round(n * 100) / 100;
    const row = { messages: count, case: name, ms: round(ms), cpuMs: round(cpuMs) };
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  };
  try {
    build(root, count);
    // Let the directories' mtimes age past the index's 1 s granularity margin, as a quiet
    // folder's are; otherwise the next look rescans to be safe.
    await new Promise((r) => setTimeout(r, 1100));

    const first = createMaildirStore({ root });
    const [buildMs, a] = await time(() => first.openFolder(USER, 'INBOX'));
    add('first open (index build)', buildMs);
    await a.close();

    const before = heap();
    const restarted = createMaildirStore({ root });
    const [loadMs, b] = await time(() => restarted.openFolder(USER, 'INBOX'));
    add('open after restart (load from SQLite)', loadMs);
    const mirror = heap() - before;
    add('mirror heap per 10k messages (KB)', ((mirror / count) * 10_000) / 1024, 0);

    const [secondMs, c] = await time(() => restarted.openFolder(USER, 'INBOX'));
    add('second open, same store', secondMs);
    const [statusMs] = await time(async () => {
      const f = await restarted.openFolder(USER, 'INBOX');
      const n = f.messages().length;
      await f.close();
      return n;
    });
    add('open + messages() + close (STATUS)', statusMs);
    const [quietMs] = await time(() => c.refresh());
    add('refresh, no change', quietMs);

    const uids = b
      .messages()
      .slice(0, 100)
      .map((m) => m.uid);
    const mark = c.highestModseq;
    const [flagMs] = await time(() => b.setFlags(uids, '+', ['\\Flagged']));
    add('setFlags on 100 (reply)', flagMs);
    const flagCpu = lastCpu;
    const [renameMs] = await time(() => (b as MaildirFolder).index.settled());
    add('… until the 100 renames are done', flagMs + renameMs, flagCpu + lastCpu);
    const [sinceMs, delta] = await time(async () => {
      await c.refresh();
      return c.changesSince(mark);
    });
    if (delta?.changed.length !== 100) throw new Error(`changesSince gave ${delta?.changed.length}`);
    add('refresh + changesSince after 100 flag changes', sinceMs);

    for (const m of b.messages()) b.cacheText(m.uid, 'envelope', `("date" "message ${m.uid}" NIL NIL)`);
    await b.close();
    await c.close();
    await new Promise((r) => setTimeout(r, 50));
    const third = createMaildirStore({ root });
    const d = await third.openFolder(USER, 'INBOX');
    const [textMs, hits] = await time(() => {
      let n = 0;
      for (const m of d.messages()) if (d.cachedText(m.uid, 'envelope') !== undefined) n++;
      return n;
    });
    if (hits !== count) throw new Error(`cachedText hits ${hits} of ${count}`);
    add('cachedText of every message after restart', textMs);
    await d.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const sizes = (process.argv[2] ?? '10000,100000').split(',').map(Number);
const rows: Row[] = [];
for (const n of sizes) await run(n, rows);
const cases = [...new Set(rows.map((r) => r.case))];
console.log(
  `\n| case (wall ms / cpu ms) | ${sizes.map((n) => `${n.toLocaleString('en')} msgs`).join(' | ')} |`,
);
console.log(`|---|${sizes.map(() => '---:').join('|')}|`);
for (const c of cases) {
  const cells = sizes.map((n) => {
    const r = rows.find((x) => x.case === c && x.messages === n);
    return r ? (r.cpuMs ? `${r.ms} / ${r.cpuMs}` : `${r.ms}`) : '';
  });
  console.log(`| ${c} | ${cells.join(' | ')} |`);
}
