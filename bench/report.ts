import { type GroupMemory, groupMemory } from '../test/helpers/proc.ts';

/** Shared bits of the benches: rounding, percentiles, peak memory of process groups, tables. */

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The p-quantile (0..1) of an ascending-sorted list; 0 for an empty one. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/**
 * Samples the summed memory of some process groups every `intervalMs` and keeps the peak
 * (Linux /proc). A server made of several daemons (Postfix + Dovecot's auth) passes all groups.
 */
export function sampleGroupMemory(pgids: number[], intervalMs = 100): { stop(): GroupMemory } {
  const peak: GroupMemory = { rss: 0, pss: 0, processes: 0 };
  const sample = () => {
    const now = { rss: 0, pss: 0, processes: 0 };
    for (const pgid of pgids) {
      const m = groupMemory(pgid);
      now.rss += m.rss;
      now.pss += m.pss;
      now.processes += m.processes;
    }
    peak.rss = Math.max(peak.rss, now.rss);
    peak.pss = Math.max(peak.pss, now.pss);
    peak.processes = Math.max(peak.processes, now.processes);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

/**
 * Measures every case on every target, alternating who goes first from case to case, so
 * disk state left by one server's run does not always land on the same other server. Prints
 * one JSON line per measurement and returns them all.
 */
export async function measureAlternating<T, C, R extends object>(
  bench: string,
  targets: T[],
  cases: readonly C[],
  measure: (target: T, c: C) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (const [index, c] of cases.entries()) {
    const order = index % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const result = await measure(target, c);
      results.push(result);
      console.log(JSON.stringify({ bench, ...result }));
    }
  }
  return results;
}
