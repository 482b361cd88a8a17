/**
 * Issue 12: the POP3 maildrop lock (RFC 1939 "exclusive-access lock") seen by every process.
 * Two POP3 processes (their main.ts) serve one data folder: a session in one makes a login in
 * the other answer -ERR [IN-USE]; QUIT gives the lock back; a process killed while holding it
 * does not keep the maildrop locked.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { lineClient, runPython } from '@mailstack/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/net.ts';
import { type Pop3Process, startPop3 } from './helpers/pop3.ts';
import { makeCertificate } from './helpers/tls.ts';
import { BOB, BOB_PW, directoryFolder } from './hostile/throttle-clients.ts';

let folder: Awaited<ReturnType<typeof directoryFolder>>;
let a: Pop3Process;
let b: Pop3Process;

beforeAll(async () => {
  folder = await directoryFolder();
  const cert = await makeCertificate(folder.path);
  const options = {
    data: join(folder.path, 'mail'),
    directory: folder.file,
    ...cert,
    cleartextOnLoopback: true,
  };
  [a, b] = await Promise.all([startPop3(options), startPop3(options)]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await folder?.remove();
});

const logs = () => `a:\n${a.output()}\nb:\n${b.output()}`;
const lockFile = () => join(folder.path, 'mail', 'example.test', 'bob', 'Maildir', 'mailstack-pop3.lock');

// poplib, the way fetchmail-like clients use it: session on A; then B while A holds; then B after A's QUIT.
const SCRIPT = `
import json, poplib, sys
pa, pb, user, pw = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def login(port):
    c = poplib.POP3('127.0.0.1', port, timeout=20); c.user(user); c.pass_(pw); return c
out = {}
first = login(pa)
try:
    login(pb); out['while_held'] = 'ok'
except poplib.error_proto as e:
    out['while_held'] = e.args[0].decode()
out['quit'] = first.quit().decode()
second = login(pb)
out['after_quit'] = second.stat()[0] >= 0 and 'ok'
second.quit()
print(json.dumps(out))
`;

describe('POP3 maildrop lock across processes', () => {
  it('a session in one process locks out the other until QUIT', async () => {
    const r = await runPython(SCRIPT, [String(a.port), String(b.port), BOB, BOB_PW], { timeoutMs: 60_000 });
    expect(r.stdout.trim() ? JSON.parse(r.stdout) : r.stderr, logs()).toEqual({
      while_held: '-ERR [IN-USE] maildrop already locked by another session',
      quit: expect.stringMatching(/^\+OK/),
      after_quit: 'ok',
    });
    expect(lstatSync(lockFile(), { throwIfNoEntry: false })).toBeUndefined();
  });

  it('a process killed while holding the lock leaves the maildrop usable by the other', async () => {
    const holder = await lineClient(a.port, '127.0.0.1');
    expect(await holder.read()).toMatch(/^\+OK/);
    await holder.writeLine(`USER ${BOB}`);
    expect(await holder.read()).toMatch(/^\+OK/);
    await holder.writeLine(`PASS ${BOB_PW}`);
    expect(await holder.read(), logs()).toMatch(/^\+OK/);
    expect(lstatSync(lockFile(), { throwIfNoEntry: false })?.isSymbolicLink()).toBe(true);
    process.kill(a.pid, 'SIGKILL');
    await waitFor('the killed POP3 process to be gone', () => {
      try {
        process.kill(a.pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    await holder.close();
    const r = await runPython(
      `
import poplib, sys
c = poplib.POP3('127.0.0.1', int(sys.argv[1]), timeout=20); c.user(sys.argv[2]); print(c.pass_(sys.argv[3]).decode()); c.quit()
`,
      [String(b.port), BOB, BOB_PW],
      { timeoutMs: 60_000 },
    );
    expect(r.stdout + r.stderr, logs()).toMatch(/^\+OK maildrop has/);
  });
});
