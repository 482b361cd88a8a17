/**
 * The harness cleans up after a test worker that was killed outright (no exit hook runs):
 * a process that started Postfix (whose `master` moves into a session of its own) and Dovecot
 * is SIGKILLed, its daemons outlive it, and the reaper that test/interop/run.sh runs before
 * and after vitest kills them and removes their temp dirs.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/daemon.ts';
import { groupMembers, reapOrphans } from '../helpers/daemon-registry.ts';
import { waitFor } from '../helpers/net.ts';
import { requirePrograms } from '../helpers/programs.ts';

const helpers = join(import.meta.dirname, '..', 'helpers');
const tmp = makeTempDir('reaper-test');

afterAll(() => tmp.remove());

describe('orphaned daemons of a killed worker', () => {
  it('are killed, temp dirs and all, by reapOrphans()', async () => {
    requirePrograms('postfix', 'dovecot');
    const script = join(tmp.path, 'worker.ts');
    writeFileSync(
      script,
      `import { startPostfix } from ${JSON.stringify(join(helpers, 'postfix.ts'))};
import { startDovecot } from ${JSON.stringify(join(helpers, 'dovecot.ts'))};
const dovecot = await startDovecot();
const postfix = await startPostfix({ domains: ['example.test'] });
console.log(JSON.stringify({ groups: [postfix.pid, dovecot.pid], dirs: [postfix.dir, dovecot.dir] }));
setInterval(() => {}, 1000);
`,
    );
    const worker = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    let started: { groups: number[]; dirs: string[] } | undefined;
    createInterface({ input: worker.stdout }).on('line', (line) => {
      if (line.startsWith('{')) started = JSON.parse(line);
    });
    try {
      const { groups, dirs } = await waitFor(
        'the worker to start Postfix and Dovecot',
        () => started,
        60_000,
      );
      worker.kill('SIGKILL');
      await exited;
      // The problem this guards against: the worker is gone, its daemons are not.
      for (const g of groups) expect(groupMembers(g).length, `group ${g}`).toBeGreaterThan(0);

      const reaped = reapOrphans();
      expect(reaped.groups.map((g) => g.pgid)).toEqual(expect.arrayContaining(groups));
      await waitFor('the orphaned groups to be gone', () =>
        groups.every((g) => groupMembers(g).length === 0),
      );
      for (const d of dirs) expect(existsSync(d), d).toBe(false);
    } finally {
      worker.kill('SIGKILL');
      // Whatever happened above, leave nothing behind for the next test.
      await exited;
      reapOrphans();
    }
  });
});
