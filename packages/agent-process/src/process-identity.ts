import { readFileSync, readlinkSync } from 'node:fs';

/**
 * Who a process is, so another process can tell for sure that it is gone: the kernel's boot id
 * (a reboot ends every process of the previous boot), the pid, and the pid's start time (a pid is
 * reused once its process has died; the start time of the new process differs). Linux /proc;
 * elsewhere only the pid is checked.
 */

function readBootTag(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')
      .replace(/[^0-9a-f]/g, '')
      .slice(0, 8);
  } catch {
    return 'noboot00';
  }
}

/** The first 8 hex digits of this boot's id ('noboot00' without /proc). */
export const BOOT_TAG = readBootTag();

/**
 * The pid namespace this process sees pids in, as `n<inode in base 36>` ('' without /proc).
 * Containers on one kernel share the boot id but each has pids of its own: pid 7 in the MSA
 * container and pid 7 in the queue runner's are two processes, and neither can look the other
 * up. Names that must be judged by pid carry this too (SCOPE_TAG).
 */
function readPidNamespace(): string {
  try {
    const m = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'));
    return m ? `n${Number(m[1]).toString(36)}` : '';
  } catch {
    return '';
  }
}

/** Boot and pid namespace: where this process's pid means this process. */
export const SCOPE_TAG = `${BOOT_TAG}${readPidNamespace()}`;

/**
 * What a name's scope tag tells about its pid: `here` (this boot, this pid namespace: look the
 * pid up), `gone` (another boot: every process of it has ended), or `unknown` (this boot but
 * another pid namespace, i.e. another container, or a name written without a namespace): the
 * pid cannot be looked up from here, so only time may declare it stale.
 */
export function scopeOf(tag: string): 'here' | 'gone' | 'unknown' {
  if (tag === SCOPE_TAG) return 'here';
  if (tag.slice(0, BOOT_TAG.length) !== BOOT_TAG) return 'gone';
  return 'unknown';
}

/**
 * When process `pid` started, in clock ticks since boot (/proc/<pid>/stat field 22); undefined
 * when it does not run or /proc cannot tell.
 */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[22 - 3]);
    return Number.isInteger(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** This process's start time ('0' where /proc cannot tell, which then checks only the pid). */
export const START_TICKS = processStartTicks(process.pid) ?? 0;

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True only when the process named by boot tag, pid and (when known, non-zero) start time
 * certainly runs no more: another boot, no such pid, or the pid now belongs to a process that
 * started at another time. A process of this boot is never judged gone on a guess.
 */
export function processGone(boot: string, pid: number, start?: number): boolean {
  if (boot !== BOOT_TAG) return true;
  if (!pidAlive(pid)) return true;
  if (start === undefined || start === 0) return false;
  const now = processStartTicks(pid);
  return now !== undefined && now !== start;
}
