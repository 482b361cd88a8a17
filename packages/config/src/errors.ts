/** sysexits(3) EX_CONFIG: what a process exits with when its config is wrong. */
export const EXIT_CONFIG = 78;

/**
 * Everything wrong with a config, one problem per line, each starting with the key path
 * (`listeners[2].port: ...`), so the operator fixes them all in one go.
 */
export class ConfigError extends Error {
  readonly problems: string[];
  readonly source: string;

  constructor(source: string, problems: string[]) {
    super(`${source}:${problems.length === 1 ? ` ${problems[0]}` : `\n  ${problems.join('\n  ')}`}`);
    this.name = 'ConfigError';
    this.source = source;
    this.problems = problems;
  }
}

/** `['listeners', 2, 'port']` → `listeners[2].port`; the root is `(top level)`. */
export function keyPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

/** A value as the error shows it: strings quoted, the rest as YAML would read. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}
