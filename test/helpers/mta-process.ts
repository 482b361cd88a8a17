import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Daemon, startDaemon } from './daemon.ts';
import { findAddress, REPO_ROOT } from './mda.ts';
import { waitFor } from './net.ts';

/**
 * Our transfer agent's main.ts (packages/mta/src/main.ts) as a process in its own group;
 * resolves with the port from its `listening` line.
 */
export function startMtaProcess(args: string[]): Promise<AgentProcess> {
  return startAgentProcess(join(REPO_ROOT, 'packages/mta/src/main.ts'), args, 'mta');
}

export interface AgentProcess {
  daemon: Daemon;
  host: string;
  port: number;
}

/**
 * An agent's main.ts (any checkout's: `main` is a path) as a process in its own group;
 * resolves with the address from its first `listening` line. `nodeArgs` go before `main`.
 */
export async function startAgentProcess(
  main: string,
  args: string[],
  name: string,
  nodeArgs: string[] = [],
): Promise<AgentProcess> {
  const daemon = startDaemon(process.execPath, [...nodeArgs, main, ...args]);
  const stdout = daemon.child.stdout;
  if (stdout === null) throw new Error(`no stdout from ${name}`);
  let address: { host: string; port: number } | undefined;
  createInterface({ input: stdout }).on('line', (line) => {
    try {
      address ??= findAddress(JSON.parse(line));
    } catch {
      // not the JSON line
    }
  });
  try {
    const bound = await waitFor(`${name} to print its listening address`, () => {
      if (daemon.exited()) throw new Error(`${name} exited before listening:\n${daemon.output()}`);
      return address;
    });
    return { daemon, ...bound };
  } catch (error) {
    await daemon.stop();
    throw error;
  }
}
