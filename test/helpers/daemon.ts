import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  groupMembers,
  registerGroup,
  registerTempDir,
  unregisterGroup,
  unregisterTempDir,
} from './daemon-registry.ts';

/**
 * A foreground daemon in its own process group, so stopping it takes its children along
 * (Dovecot's and Postfix's masters fork workers). A master that moves into a session of its
 * own (Postfix's `master` calls setsid) is followed with `adoptGroup`. A process exit hook
 * kills what a failed test left running; a worker killed outright cannot run it, so each
 * group is also recorded in daemon-registry.ts, whose reaper (run by test/interop/run.sh)
 * kills what such a worker left.
 */
export interface Daemon {
  readonly child: ChildProcess;
  /** stdout + stderr so far, for error messages. */
  output(): string;
  exited(): boolean;
  /** Treats process group `pgid` (e.g. a master that called setsid) as part of this daemon. */
  adoptGroup(pgid: number, command: string): void;
  /** The process groups stopped with this daemon: the leader's, then adopted ones. */
  groups(): number[];
  /** SIGTERM to every group, SIGKILL after `graceMs`; resolves once the leader has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Every group a live daemon owns, for the exit hook. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
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
      for (const pgid of liveGroups) {
        killGroup(pgid, 'SIGKILL');
        unregisterGroup(pgid);
      }
    });
  }
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  const groups: number[] = [];
  const own = (pgid: number, name: string) => {
    if (groups.includes(pgid)) return;
    groups.push(pgid);
    liveGroups.add(pgid);
    registerGroup(pgid, name);
  };
  if (child.pid !== undefined) own(child.pid, basename(command));
  let output = '';
  let hasExited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      hasExited = true;
      resolve();
    });
    child.once('error', (e) => {
      output += `\nspawn error: ${e.message}`;
      hasExited = true;
      resolve();
    });
  });
  const keep = (chunk: Buffer) => {
    if (output.length < 200_000) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const killAll = (signal: NodeJS.Signals) => {
    for (const pgid of groups) killGroup(pgid, signal);
  };
  return {
    child,
    output: () => output,
    exited: () => hasExited,
    adoptGroup: own,
    groups: () => [...groups],
    async stop(graceMs = 5_000) {
      if (!hasExited) killAll('SIGTERM');
      const timer = setTimeout(() => killAll('SIGKILL'), graceMs);
      await exitedPromise;
      clearTimeout(timer);
      // Workers that outlived their master (they share its group) go too.
      killAll('SIGKILL');
      // SIGKILL is delivered asynchronously: wait (bounded) until the groups are empty, so the
      // next test finds the ports and files free.
      for (let i = 0; i < 100 && groups.some((g) => groupMembers(g).length > 0); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (const pgid of groups) {
        liveGroups.delete(pgid);
        unregisterGroup(pgid);
      }
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
  registerTempDir(path);
  return {
    path,
    remove() {
      unregisterTempDir(path);
      if (process.env.MAILSTACK_KEEP_TMP === '1') return;
      rmSync(path, { recursive: true, force: true });
    },
  };
}
