import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMaildirStore } from '../src/index.ts';
import { parseUidList } from '../src/uidlist.ts';
import { tempStore, text, USER, until } from './helpers.ts';

const fixtures = join(import.meta.dirname, 'fixtures');
const children: ChildProcess[] = [];
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.length = 0;
  await cleanup?.();
});

function run(
  script: string,
  args: string[],
): { child: ChildProcess; out: string[]; done: Promise<number | null> } {
  const child = spawn(process.execPath, [join(fixtures, script), ...args], {
    cwd: join(import.meta.dirname, '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const out: string[] = [];
  let buf = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    out.push(...lines);
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const done = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      if (code !== 0 && code !== null) console.error(err);
      resolve(code);
    }),
  );
  return { child, out, done };
}

/** id (from the Subject) of every message, with its uid. */
async function inventory(root: string): Promise<Array<[number, string]>> {
  const store = createMaildirStore({ root });
  const f = await store.openFolder(USER, 'INBOX');
  const out: Array<[number, string]> = [];
  for (const m of f.messages()) {
    const body = await text(f.read(m.uid));
    const id = /^Subject: (.*)\r$/m.exec(body)?.[1] ?? '?';
    expect(body.endsWith(`END ${id}\r\n`)).toBe(true); // complete, never partial
    out.push([m.uid, id]);
  }
  await f.close();
  return out;
}

describe('several processes on one mailbox', () => {
  it('never lose, duplicate or renumber a message', async () => {
    const t = await tempStore();
    cleanup = t.cleanup;
    await t.store.ensureUser(USER);
    const N = 60;
    const stopFile = join(t.root, 'stop');
    const reader = run('refresh-loop.ts', [t.root, USER, stopFile]);
    const writers = ['w1', 'w2', 'w3'].map((label) =>
      run('deliver-loop.ts', [t.root, USER, label, String(N)]),
    );
    expect(await Promise.all(writers.map((w) => w.done))).toEqual([0, 0, 0]);
    await writeFile(stopFile, '');
    expect(await reader.done).toBe(0);
    const report = JSON.parse(reader.out[0]!);
    expect(report.problems).toEqual([]);

    const reported = new Map<string, number>();
    for (const w of writers)
      for (const line of w.out) {
        const [uid, id] = line.split(' ');
        reported.set(id!, Number(uid));
      }
    expect(reported.size).toBe(3 * N);
    expect(new Set(reported.values()).size).toBe(3 * N); // unique UIDs

    const found = await inventory(t.root);
    expect(found).toHaveLength(3 * N);
    for (const [uid, id] of found) expect(reported.get(id)).toBe(uid);
    // Stable after a restart: a fresh store and a second look give the same numbering.
    expect(await inventory(t.root)).toEqual(found);
    expect(report.seen).toBe(3 * N);
  });

  it('a delivering process killed with SIGKILL leaves no partial or duplicate message', async () => {
    const t = await tempStore();
    cleanup = t.cleanup;
    await t.store.ensureUser(USER);
    const w = run('deliver-loop.ts', [t.root, USER, 'k', '0']);
    const other = run('deliver-loop.ts', [t.root, USER, 'o', '40']);
    await until(() => w.out.length >= 40, 30_000);
    w.child.kill('SIGKILL');
    await w.done;
    expect(await other.done).toBe(0);
    const reported = new Map<string, number>();
    for (const line of [...w.out, ...other.out]) {
      const [uid, id] = line.split(' ');
      reported.set(id!, Number(uid));
    }
    const uidlist = parseUidList(await readFile(join(t.maildir, 'dovecot-uidlist'), 'utf8'));
    expect(uidlist).not.toBeNull();
    const found = await inventory(t.root);
    const ids = found.map(([, id]) => id);
    expect(new Set(ids).size).toBe(ids.length); // no duplicates
    expect(new Set(found.map(([uid]) => uid)).size).toBe(found.length);
    const byId = new Map(found.map(([uid, id]) => [id, uid]));
    for (const [id, uid] of reported) expect(byId.get(id)).toBe(uid); // every reported delivery is there
    // At most the one message in flight is extra (complete, published before the kill).
    expect(found.length - reported.size).toBeLessThanOrEqual(1);
    // A later delivery still works (a lock left by the dead process is broken).
    const after = await t.store.deliver(USER, (await import('./helpers.ts')).message('after'));
    expect(after.uid).toBeGreaterThan(Math.max(...found.map(([uid]) => uid)));
  });
});

describe('a new user’s first sessions at once', () => {
  it('open INBOX while another session has made cur/ but not yet new/ and tmp/', async () => {
    const t = await tempStore();
    cleanup = t.cleanup;
    // The moment another session's ensureInbox is at: cur/ made, new/ and tmp/ still to come.
    await mkdir(join(t.maildir, 'cur'), { recursive: true });
    const inbox = await t.store.openFolder(USER, 'INBOX');
    expect(inbox.messages()).toEqual([]);
    await inbox.close();
  });
});
