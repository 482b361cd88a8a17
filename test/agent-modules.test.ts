/**
 * `mailstack <agent>` loads that agent's modules only: a process per agent stays the size of
 * its agent (the IMAP server's process holds no transfer agent, queue, mailauth or nodemailer).
 * The packages a process loaded are read from a module hook (helpers/module-trace.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeDirectoryFile } from './helpers/directory-file.ts';
import { filesConfig, loopback, startConfiguredAgent } from './helpers/mailstack-agent.ts';

const TRACE = join(import.meta.dirname, 'helpers', 'module-trace.ts');

let dir: TempDir;
beforeEach(async () => {
  dir = await tempDir('mailstack-agent-modules-');
});
afterEach(() => dir.cleanup());

/** The packages `mailstack <agent>` loaded by the time it listens. */
async function loadedBy(agent: 'imap' | 'mta' | 'pop3'): Promise<string[]> {
  const directory = join(dir.path, 'directory.json');
  await writeDirectoryFile(directory, ['alice@example.test']);
  const trace = join(dir.path, `${agent}.modules`);
  const started = await startConfiguredAgent(
    agent,
    {
      ...filesConfig({ directory, mail: join(dir.path, 'mail'), spool: join(dir.path, 'spool') }),
      listeners: [loopback(agent, 'none')],
    },
    { nodeArgs: ['--import', TRACE], env: { ...process.env, MAILSTACK_MODULE_TRACE: trace } },
  );
  await started.daemon.stop();
  return readFileSync(trace, 'utf8').trim().split('\n');
}

const EXPECTED = [
  {
    agent: 'imap',
    what: 'the IMAP server and the store, no transfer, submission, queue or POP3 code',
    present: ['packages/imap', 'packages/maildir'],
    absent: [
      'packages/mta',
      'packages/msa',
      'packages/queue',
      'packages/pop3',
      'packages/smtp',
      'packages/mda',
    ],
    absentLibraries: ['mailauth', 'nodemailer', 'smtp-server'],
  },
  {
    agent: 'mta',
    what: 'the transfer agent and the spool, no store or access servers',
    present: ['packages/mta', 'packages/queue'],
    absent: ['packages/imap', 'packages/pop3', 'packages/msa', 'packages/mda', 'packages/maildir'],
    absentLibraries: [],
  },
] as const;

describe('mailstack <agent> loads only its agent', () => {
  it.each(EXPECTED)('$agent: $what', async ({ agent, present, absent, absentLibraries }) => {
    const loaded = await loadedBy(agent);
    for (const name of present) expect(loaded).toContain(name);
    for (const name of [...absent, ...absentLibraries]) expect(loaded).not.toContain(name);
  });
});
