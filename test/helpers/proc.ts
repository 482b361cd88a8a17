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

function kb(match: RegExpExecArray | null): number {
  return match?.[1] === undefined ? 0 : Number(match[1]) * 1024;
}
