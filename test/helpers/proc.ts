import { readdirSync, readFileSync } from 'node:fs';

/** Memory of every process in process group `pgid`, summed, in bytes; Linux /proc only. */
export interface GroupMemory {
  /** Resident set size: shared pages count once per process (overstates multi-process servers). */
  rss: number;
  /** Proportional set size: shared pages split between the processes sharing them. */
  pss: number;
  processes: number;
}

export function groupMemory(pgid: number): GroupMemory {
  const total = { rss: 0, pss: 0, processes: 0 };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command: state ppid pgrp ...
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) !== pgid || rest[0] === 'Z') continue;
      const rollup = readFileSync(`/proc/${entry}/smaps_rollup`, 'utf8');
      total.rss += kb(/^Rss:\s+(\d+) kB/m.exec(rollup));
      total.pss += kb(/^Pss:\s+(\d+) kB/m.exec(rollup));
      total.processes++;
    } catch {
      // The process went away between readdir and read.
    }
  }
  return total;
}

/** Resident set size now (VmRSS) and its peak so far (VmHWM) of one process, in bytes. */
export function processMemory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rss: kb(/^VmRSS:\s+(\d+) kB/m.exec(status)), hwm: kb(/^VmHWM:\s+(\d+) kB/m.exec(status)) };
}

function kb(match: RegExpExecArray | null): number {
  return match?.[1] === undefined ? 0 : Number(match[1]) * 1024;
}

/** Command names (`/proc/<pid>/comm`) of the live processes in process group `pgid`. */
export function groupCommands(pgid: number): string[] {
  const names: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) !== pgid || rest[0] === 'Z') continue;
      names.push(readFileSync(`/proc/${entry}/comm`, 'utf8').trim());
    } catch {
      // The process went away between readdir and read.
    }
  }
  return names;
}

/**
 * CPU time (user + system, in clock ticks, 100 per second on Linux x86-64) of each live
 * process in the given groups, by pid. Diff two snapshots for the CPU a server used meanwhile.
 */
export function groupCpuTicks(pgids: number[]): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (!pgids.includes(Number(rest[2]))) continue;
      ticks.set(Number(entry), Number(rest[11]) + Number(rest[12]));
    } catch {
      // The process went away between readdir and read.
    }
  }
  return ticks;
}

/** CPU seconds used between two `groupCpuTicks` snapshots (processes started meanwhile count whole). */
export function cpuSecondsBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, t] of after) total += t - (before.get(pid) ?? 0);
  return total / 100;
}
