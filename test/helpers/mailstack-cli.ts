import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runOk } from './run.ts';

/** The `mailstack` bin, run from its source as `npx mailstack` does. */
export const MAILSTACK_BIN = fileURLToPath(new URL('../../apps/stack/src/cli/main.ts', import.meta.url));

/** One running `mailstack …` process. */
export interface MailstackProcess {
  readonly child: ChildProcess;
  /** Everything it wrote so far (stdout then stderr), for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited after a generous grace; resolves once it is gone. */
  stop(): Promise<void>;
}

/**
 * Starts `mailstack <args>` and resolves once its stdout matches `ready` (an agent's
 * `listening`/`running` line, the stack's banner); rejects with its output if it exits first.
 */
export async function startMailstack(
  args: string[],
  ready: RegExp,
  timeoutMs = 60_000,
): Promise<MailstackProcess> {
  const child = spawn(process.execPath, [MAILSTACK_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (c) => {
    stderr += c;
  });
  const output = () => `$ mailstack ${args.join(' ')}\n${stdout}\n${stderr}`;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`not ready after ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    child.stdout?.on('data', (c) => {
      stdout += c;
      if (ready.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before it was ready:\n${output()}`));
    });
  }).catch(async (err) => {
    await stop();
    throw err;
  });
  return { child, output, stop };
}

/** `mailstack user add ADDRESS --password PW --config FILE`, as an operator types it. */
export async function addUser(config: string, address: string, password: string): Promise<void> {
  await runOk(process.execPath, [
    MAILSTACK_BIN,
    'user',
    'add',
    address,
    '--password',
    password,
    '--config',
    config,
  ]);
}
