import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RawImapClient } from './imap-raw.ts';
import { imaptest } from './imaptest.ts';
import { run } from './run.ts';

/** What imaptest's scripted tests report at their end, as it prints it. */
export interface ScriptedSummary {
  /** Its summary line(s), verbatim (`67 test groups: 0 failed, 4 skipped due to missing capabilities`). */
  lines: string[];
  groups: number;
  failed: number;
  skipped: number;
  /**
   * The groups whose `capabilities:` header names one the server does not announce after
   * login (imaptest skips them; its own `skipped` count stays 0 in this version).
   */
  skippedGroups: string[];
  /** The groups that failed, by the name of their test file, in run order. */
  failedGroups: string[];
  /** Its whole output, for a failure message. */
  output: string;
}

/**
 * Runs imaptest's scripted compliance tests (`test=<dir>`) against an IMAP server on
 * 127.0.0.1: `user`/`user2` log in with `password`, and `user2` must have a mailbox named
 * `imaptest` (the tests' shared mailbox). `only` runs one test file (a group name) instead.
 */
export async function runScripted(options: {
  port: number;
  user: string;
  user2: string;
  password: string;
  only?: string;
}): Promise<ScriptedSummary> {
  const tool = imaptest();
  const tests = options.only === undefined ? tool.tests : `${tool.tests}/${options.only}`;
  const result = await run(
    tool.bin,
    [
      'host=127.0.0.1',
      `port=${options.port}`,
      `user=${options.user}`,
      `user2=${options.user2}`,
      `pass=${options.password}`,
      `test=${tests}`,
    ],
    { env: tool.env, timeoutMs: 300_000 },
  );
  const output = `${result.stdout}${result.stderr}`;
  const capabilities = await postLoginCapabilities(options.port, options.user, options.password);
  return { ...parseScriptedOutput(output), skippedGroups: groupsNeedingMore(tool.tests, capabilities) };
}

async function postLoginCapabilities(port: number, user: string, password: string): Promise<Set<string>> {
  const { client } = await RawImapClient.connect(port);
  try {
    await client.ok(`LOGIN ${user} ${password}`);
    const lines = (await client.ok('CAPABILITY')).map((b) => b.toString('latin1'));
    const line = lines.find((l) => /^\* CAPABILITY /i.test(l)) ?? '';
    return new Set(
      line
        .trim()
        .split(' ')
        .slice(2)
        .map((c) => c.toUpperCase()),
    );
  } finally {
    await client.close();
  }
}

/** Test files (groups) whose `capabilities:` header asks for one the server lacks. */
function groupsNeedingMore(dir: string, have: Set<string>): string[] {
  return readdirSync(dir)
    .filter((f) => !f.endsWith('.mbox') && statSync(join(dir, f)).isFile())
    .filter((f) => {
      const m = /^capabilities:(.*)$/m.exec(readFileSync(join(dir, f), 'latin1').split('\n\n')[0] ?? '');
      return (
        m !== null &&
        m[1]!
          .trim()
          .split(/\s+/)
          .some((c) => !have.has(c.toUpperCase()))
      );
    })
    .sort();
}

/**
 * imaptest prints `*** Test <name> command: ...` (or `*** Test <name>: ...`) before each
 * failure and ends with `<n> test groups: <f> failed, <s> skipped due to missing capabilities`
 * (and a `base protocol` line per sub-total).
 */
export function parseScriptedOutput(output: string): Omit<ScriptedSummary, 'skippedGroups'> {
  const lines = output.split('\n').filter((l) => /test groups:|individual commands failed/.test(l));
  const last = lines.find((l) => l.includes('test groups:')) ?? '';
  const m = /(\d+) test groups: (\d+) failed, (\d+) skipped/.exec(last);
  if (m === null) throw new Error(`imaptest printed no summary line:\n${output}`);
  const failedGroups = [...new Set([...output.matchAll(/^\*\*\* Test ([^ :]+)/gm)].map((x) => x[1] ?? ''))];
  return {
    lines,
    groups: Number(m[1]),
    failed: Number(m[2]),
    skipped: Number(m[3]),
    failedGroups,
    output,
  };
}
