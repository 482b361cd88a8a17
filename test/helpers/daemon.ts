import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A foreground daemon in its own process group, so stopping it takes its children along
 * (Dovecot's and Postfix's masters fork workers). A process exit hook kills what a failed
 * test left running.
 */
export interface Daemon {
  readonly child: ChildProcess;
  /** stdout + stderr so far, for error messages. */
  output(): string;
  exited(): boolean;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the leader has exited. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

export function startDaemon(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Daemon {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const child of running) killGroup(child, 'SIGKILL');
    });
  }
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  running.add(child);
  let output = '';
  let hasExited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      hasExited = true;
      running.delete(child);
      resolve();
    });
    child.once('error', (e) => {
      output += `\nspawn error: ${e.message}`;
      hasExited = true;
      running.delete(child);
      resolve();
    });
  });
  const keep = (chunk: Buffer) => {
    if (output.length < 200_000) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    child,
    output: () => output,
    exited: () => hasExited,
    async stop(graceMs = 5_000) {
      if (!hasExited) killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await exitedPromise;
      clearTimeout(timer);
      // Workers that outlived their master (they share its group) go too.
      killGroup(child, 'SIGKILL');
    },
  };
}

/**
 * A temp dir under os.tmpdir() that daemons running as other users (dovenull, postfix) can
 * traverse. MAILSTACK_KEEP_TMP=1 keeps it for a post-mortem.
 */
export function makeTempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `mailstack-${prefix}-`));
  chmodSync(path, 0o755);
  return {
    path,
    remove() {
      if (process.env.MAILSTACK_KEEP_TMP === '1') return;
      rmSync(path, { recursive: true, force: true });
    },
  };
}
