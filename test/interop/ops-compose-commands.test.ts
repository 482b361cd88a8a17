/**
 * PENDING until the `mailstack` bin with per-agent subcommands (`mailstack <agent> --config`)
 * is on this branch: then rename to ops-compose-commands.test.ts.
 *
 * Each compose service's exact command, run locally from the repository root against the
 * mounted config (deploy/mailstack.yaml): only the listener addresses move to 127.0.0.7
 * (service names resolve only inside compose; a loopback address of its own keeps the fixed
 * ports clear of anything on 127.0.0.1) and the data path to a temp folder. Every port the
 * compose file declares for the service must accept connections.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { composeServices } from '../helpers/compose-services.ts';
import { canConnect, waitFor } from '../helpers/net.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MOUNTED = '/etc/mailstack/mailstack.yaml';
const HOST = '127.0.0.7';

let dir: TempDir;
let child: ChildProcess | undefined;
/** What the command wrote on stdout and stderr. */
let output = '';
beforeEach(async () => {
  dir = await tempDir('mailstack-compose-run-');
});
afterEach(async () => {
  if (child?.pid && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    process.kill(-child.pid, 'SIGTERM'); // npx and the agent under it: the group we started
    await exited;
  }
  child = undefined;
  await dir.cleanup();
});

/** The mounted config with local addresses and a temp data folder; its path. */
async function localConfig(): Promise<string> {
  const config = parse(await readFile(join(ROOT, 'deploy', 'mailstack.yaml'), 'utf8')) as {
    listeners: Array<{ address: string }>;
    paths: { data: string };
  };
  for (const l of config.listeners) l.address = HOST;
  config.paths.data = join(dir.path, 'data');
  const file = join(dir.path, 'mailstack.yaml');
  await writeFile(file, stringify(config));
  return file;
}

describe('each compose service, its exact command run locally', () => {
  for (const service of composeServices(join(ROOT, 'docker-compose.yml'))) {
    it(`${service.name}: ${service.command.join(' ')} listens on ${service.ports.join(', ') || 'nothing'}`, async () => {
      const file = await localConfig();
      const [program, ...args] = service.command.map((a) => (a === MOUNTED ? file : a));
      expect(args).toContain(file);
      output = '';
      child = spawn(program as string, args, {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}` },
      });
      for (const stream of [child.stdout, child.stderr])
        stream?.setEncoding('utf8').on('data', (c: string) => (output += c));
      const alive = () => {
        if (child?.exitCode !== null) throw new Error(`${service.name} exited ${child?.exitCode}: ${output}`);
      };
      for (const port of service.ports) {
        await waitFor(`${service.name} on ${HOST}:${port}`, async () => {
          alive();
          return canConnect(port, HOST);
        });
      }
      // The queue runner has no port: it must say it runs, and still run.
      if (service.ports.length === 0) {
        await waitFor(`${service.name} to log`, () => {
          alive();
          return output.includes(`"agent":"${service.name}"`);
        });
        alive();
      }
    });
  }
});
