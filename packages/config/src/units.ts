/**
 * Durations and sizes as an operator writes them (`90s`, `15m`, `25M`), kept as written in the
 * config so `config print` gives back what was read; agents convert at the point of use.
 */

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const SIZE = /^(\d+)([KMG]?)$/;

const MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const BYTES = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as const;

export const DURATION_HINT = 'a duration like 500ms, 30s, 15m, 4h or 5d';
export const SIZE_HINT = 'a size in bytes, or with K, M or G (1024-based) like 25M';

export function isDuration(text: string): boolean {
  return DURATION.test(text);
}

export function isSize(text: string): boolean {
  return SIZE.test(text);
}

/** `15m` → 900000. Throws on anything the schema would not have let through. */
export function durationMs(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new RangeError(`not ${DURATION_HINT}: ${JSON.stringify(text)}`);
  return Number(m[1]) * MS[m[2] as keyof typeof MS];
}

/** `25M` → 26214400. */
export function sizeBytes(text: string): number {
  const m = SIZE.exec(text);
  if (!m) throw new RangeError(`not ${SIZE_HINT}: ${JSON.stringify(text)}`);
  return Number(m[1]) * BYTES[m[2] as keyof typeof BYTES];
}
