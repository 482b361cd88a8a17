/**
 * Dovecot's imaptest scripted compliance tests (test/interop/imaptest/, built by the interop
 * stage) against our IMAP server, started as an operator does (`mailstack imap --config`), and
 * against Debian's Dovecot 2.3 in the same run, with imaptest's own summary lines printed side
 * by side. Every group that runs against ours passes; groups skipped for capabilities we do
 * not announce (BINARY, CATENATE, ESEARCH, CONDSTORE, SORT, THREAD, ...) are the IMAP
 * extensions issue's.
 *
 * The tests log in as two users and need a mailbox named `imaptest` for the second one.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createMaildirStore } from '@mailstack/maildir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/daemon.ts';
import { writeDirectoryFile } from '../helpers/directory-file.ts';
import { type DovecotInstance, startDovecot } from '../helpers/dovecot.ts';
import { type ImapServerProcess, startImapServer } from '../helpers/imap-server.ts';
import { imaptest } from '../helpers/imaptest.ts';
import { runScripted, type ScriptedSummary } from '../helpers/imaptest-scripted.ts';
import { requirePrograms } from '../helpers/programs.ts';

const USER = 'user1@example.test';
const USER2 = 'user2@example.test';
const PASSWORD = 'secret';
const MAILBOX = 'imaptest';

let tmp: ReturnType<typeof makeTempDir> | undefined;
let ours: ImapServerProcess | undefined;
let dovecot: DovecotInstance | undefined;
let oursSummary: ScriptedSummary | undefined;
let dovecotSummary: ScriptedSummary | undefined;

/** A Maildir root where both users have an INBOX and USER2 a folder `imaptest`. */
async function makeRoot(root: string): Promise<void> {
  mkdirSync(root, { recursive: true });
  const store = createMaildirStore({ root });
  for (const user of [USER, USER2]) await store.ensureUser(user);
  await store.createFolder(USER2, MAILBOX);
}

beforeAll(async () => {
  requirePrograms('dovecot', 'dovecotImap');
  imaptest();
  tmp = makeTempDir('imaptest-scripted');
  const ourRoot = join(tmp.path, 'ours');
  const dovecotRoot = join(tmp.path, 'dovecot');
  await makeRoot(ourRoot);
  await makeRoot(dovecotRoot);
  const directory = join(tmp.path, 'directory.json');
  await writeDirectoryFile(directory, [USER, USER2], PASSWORD);
  ours = await startImapServer({ data: ourRoot, directory, cleartextOnLoopback: true });
  dovecot = await startDovecot({ users: { [USER]: PASSWORD, [USER2]: PASSWORD }, mailRoot: dovecotRoot });
  const run = (port: number) => runScripted({ port, user: USER, user2: USER2, password: PASSWORD });
  oursSummary = await run(ours.port);
  dovecotSummary = await run(dovecot.ports.imap);
  const rows = [
    ['mailstack', oursSummary],
    ['dovecot', dovecotSummary],
  ] as const;
  console.log(
    [
      "imaptest scripted tests, imaptest's own summary lines:",
      ...rows.flatMap(([who, s]) => s.lines.map((l) => `  ${who.padEnd(10)}${l}`)),
      'per server: groups run / skipped (a capability in its `capabilities:` header not announced) / failed:',
      ...rows.map(
        ([who, s]) =>
          `  ${who.padEnd(10)}${s.groups - s.skippedGroups.length} run, ${s.skippedGroups.length} skipped, ` +
          `${s.failedGroups.length} failed${s.failedGroups.length ? ` (${s.failedGroups.join(' ')})` : ''}`,
      ),
    ].join('\n'),
  );
}, 600_000);

afterAll(async () => {
  await ours?.stop();
  await dovecot?.stop();
  tmp?.remove();
});

describe("imaptest's scripted compliance tests", () => {
  it('Dovecot, the reference, runs 60+ groups and fails none (the harness works)', () => {
    expect(dovecotSummary?.groups).toBeGreaterThanOrEqual(60);
    expect(dovecotSummary?.failed, dovecotSummary?.output).toBe(0);
  });

  it('our server fails no group that runs', () => {
    expect(oursSummary?.groups).toBeGreaterThanOrEqual(30);
    expect(oursSummary?.failedGroups, oursSummary?.output).toEqual([]);
    expect(oursSummary?.failed, oursSummary?.output).toBe(0);
  });

  it('the groups skipped on ours are only those needing a capability we do not announce', () => {
    const skipped = new Set(oursSummary?.skippedGroups);
    expect(oursSummary?.groups).toBe(dovecotSummary?.groups);
    for (const group of dovecotSummary?.skippedGroups ?? []) expect(skipped.has(group), group).toBe(true);
    expect((oursSummary?.groups ?? 0) - skipped.size).toBeGreaterThanOrEqual(30);
  });
});
