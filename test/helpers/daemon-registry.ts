import { mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A registry of the daemons (process groups) and temp dirs the harness started, one small
 * JSON file each under `<tmpdir>/mailstack-daemons/`. Normally `stop()`/`remove()` delete
 * their entry; when the process that started them dies without cleaning up (a vitest worker
 * killed on a timeout, a bench hit with SIGKILL), `reapOrphans()` — run by
 * test/interop/run.sh before and after vitest — kills what it left behind.
 *
 * An entry is reaped only when its owner is gone (so a bench running beside the tests keeps
 * its daemons), and a group only when its leader is the very process we started (same pid
 * *and* same start time), so a recycled pid is never signalled.
 */
const REGISTRY_DIR = join(tmpdir(), 'mailstack-daemons');

interface Owner {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22); tells a reused pid apart. */
  start: number;
}

type Entry =
  | { kind: 'group'; pgid: number; start: number; command: string; owner: Owner }
  | { kind: 'dir'; path: string; owner: Owner };

/** Start time of a live process, or undefined when there is no such process (Linux /proc). */
export function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command start at field 3 (state); starttime is field 22.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') return undefined;
    const start = Number(rest[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** Pids of the live (non-zombie) processes in process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) === pgid && rest[0] !== 'Z') members.push(Number(name));
    } catch {
      // Gone between readdir and read.
    }
  }
  return members;
}

function self(): Owner {
  return { pid: process.pid, start: processStart(process.pid) ?? 0 };
}

function write(name: string, entry: Entry): void {
  try {
    mkdirSync(REGISTRY_DIR, { recursive: true, mode: 0o700 });
    writeFileSync(join(REGISTRY_DIR, name), JSON.stringify(entry));
  } catch {
    // The registry is a safety net; a daemon still runs and stops normally without it.
  }
}

function remove(name: string): void {
  try {
    unlinkSync(join(REGISTRY_DIR, name));
  } catch {
    // Already reaped or never written.
  }
}

export function registerGroup(pgid: number, command: string): void {
  const start = processStart(pgid);
  if (start === undefined) return;
  write(`group-${pgid}.json`, { kind: 'group', pgid, start, command, owner: self() });
}

export function unregisterGroup(pgid: number): void {
  remove(`group-${pgid}.json`);
}

function dirEntryName(path: string): string {
  return `dir-${path.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}

export function registerTempDir(path: string): void {
  write(dirEntryName(path), { kind: 'dir', path, owner: self() });
}

export function unregisterTempDir(path: string): void {
  remove(dirEntryName(path));
}

function ownerAlive(owner: Owner): boolean {
  return processStart(owner.pid) === owner.start;
}

export interface Reaped {
  groups: Array<{ pgid: number; command: string; processes: number }>;
  dirs: string[];
}

/**
 * Kills every registered process group and removes every registered temp dir whose owner
 * process has died. Safe to run at any time, also while other runs are going on.
 */
export function reapOrphans(): Reaped {
  const reaped: Reaped = { groups: [], dirs: [] };
  let names: string[];
  try {
    names = readdirSync(REGISTRY_DIR);
  } catch {
    return reaped;
  }
  for (const name of names) {
    const path = join(REGISTRY_DIR, name);
    let entry: Entry;
    try {
      entry = JSON.parse(readFileSync(path, 'utf8')) as Entry;
    } catch {
      continue;
    }
    if (ownerAlive(entry.owner)) continue;
    if (entry.kind === 'group') {
      const leaderStart = processStart(entry.pgid);
      // Leader alive with another start time: the pid was reused, the group is not ours.
      // Leader gone: its orphaned workers keep the group id reserved, so they are ours.
      const ours = leaderStart === undefined || leaderStart === entry.start;
      const members = ours ? groupMembers(entry.pgid) : [];
      if (members.length > 0) {
        try {
          process.kill(-entry.pgid, 'SIGKILL');
        } catch {
          // Exited meanwhile.
        }
        reaped.groups.push({ pgid: entry.pgid, command: entry.command, processes: members.length });
      }
    } else if (process.env.MAILSTACK_KEEP_TMP !== '1') {
      rmSync(entry.path, { recursive: true, force: true });
      reaped.dirs.push(entry.path);
    }
    rmSync(path, { force: true });
  }
  return reaped;
}
