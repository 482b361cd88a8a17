import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LOG_EVENT_NAMES, type LogEvent, type Logger, silentLogger } from '@mailstack/core';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;

/** Every .ts file under packages/<name>/src and apps/<name>/src. */
function sources(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) files.push(path);
    }
  };
  for (const top of ['packages', 'apps']) {
    for (const pkg of readdirSync(join(root, top))) {
      const src = join(root, top, pkg, 'src');
      if (statSync(src, { throwIfNoEntry: false })?.isDirectory()) walk(src);
    }
  }
  return files;
}

/** The code of a file without comments, so prose such as "an event: the ..." is not read as a field. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('log call sites', () => {
  it('covers every event literal in packages/*/src and apps/*/src, and no event comes from an expression', () => {
    const known = new Set<string>(LOG_EVENT_NAMES);
    const unknown: string[] = [];
    const computed: string[] = [];
    let literals = 0;
    for (const file of sources()) {
      const text = code(readFileSync(file, 'utf8'));
      const where = relative(root, file);
      for (const m of text.matchAll(/(?<![\w-])["']?event["']?\s*:\s*(\S[^,}\n]*)/g)) {
        const value = (m[1] as string).trim();
        const literal = /^(['"])([^'"]*)\1$/.exec(value);
        if (literal) {
          literals++;
          if (!known.has(literal[2] as string)) unknown.push(`${where}: ${literal[2]}`);
        } else if (!/^[A-Z]/.test(value)) {
          // a parameter typed as SpoolEvent is fine; anything else builds the name at run time
          computed.push(`${where}: event: ${value}`);
        }
      }
    }
    expect(unknown).toEqual([]);
    expect(computed).toEqual([]);
    expect(literals).toBeGreaterThan(80);
  });

  it('makes an event outside the set, a wrong field or a wrong level a type error', () => {
    const log: Logger = silentLogger;
    // @ts-expect-error: not an event of the set
    log.info({ event: 'made-up' });
    // @ts-expect-error: a field the event does not have
    log.info({ event: 'authenticated', user: 'a', password: 'x' });
    // @ts-expect-error: a required field missing
    log.info({ event: 'delivered', recipient: 'a@x.test' });
    // @ts-expect-error: `startup-failed` is an error, not info
    log.info({ event: 'startup-failed', err: 'x' });
    const ok = { event: 'listening', protocol: 'smtp', port: 25, agent: 'mta' } satisfies LogEvent;
    log.child({ agent: 'mta' }).info(ok);
    expect(ok.event).toBe('listening');
  });
});
