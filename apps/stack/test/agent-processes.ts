import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, beforeEach } from 'vitest';

/** The `mailstack` command, run with this test's node. */
export const BIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

export interface AgentProcesses {
  /** A fresh temporary folder per test. */
  readonly dir: TempDir;
  /**
   * Starts `mailstack <name> --config FILE` and resolves with its `listening` lines once it
   * says it runs (the queue runner has none); rejects with its stderr if it exits first.
   */
  start(name: string, config: string): Promise<Array<{ protocol: string; port: number }>>;
  /** `mailstack user add USER --password PASSWORD --config FILE`. */
  addUser(user: string, password: string, config: string): Promise<void>;
}

/** Per test: a temporary folder, and every agent process started is stopped (SIGTERM) after it. */
export function agentProcesses(prefix: string): AgentProcesses {
  let dir: TempDir | undefined;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    dir = await tempDir(prefix);
  });
  afterEach(async () => {
    await Promise.all(
      children.splice(0).map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
    await dir?.cleanup();
  });
  return {
    get dir() {
      if (!dir) throw new Error('agentProcesses: no test is running');
      return dir;
    },
    async start(name, config) {
      const child = spawn(process.execPath, [BIN, name, '--config', config], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let stderr = '';
      child.stderr?.on('data', (c) => {
        stderr += c;
      });
      const lines: Array<{ event: string; protocol: string; port: number }> = [];
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          lines.push(JSON.parse(line));
          resolve();
        });
        child.once('exit', (code) => reject(new Error(`${name} exited ${code}: ${stderr}`)));
      });
      return lines.filter((l) => l.event === 'listening');
    },
    addUser: (user, password, config) =>
      new Promise<void>((resolve, reject) =>
        execFile(
          process.execPath,
          [BIN, 'user', 'add', user, '--password', password, '--config', config],
          (err) => (err ? reject(err) : resolve()),
        ),
      ),
  };
}
