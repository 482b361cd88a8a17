import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BOOT_TAG, processGone, SCOPE_TAG, START_TICKS, scopeOf } from '../src/index.ts';

describe('process identity', () => {
  it('this process is not gone; a pid with another start time, another boot or no process is', () => {
    expect(processGone(BOOT_TAG, process.pid, START_TICKS)).toBe(false);
    expect(processGone(BOOT_TAG, process.pid)).toBe(false);
    if (START_TICKS !== 0) expect(processGone(BOOT_TAG, process.pid, START_TICKS + 1)).toBe(true);
    expect(processGone(BOOT_TAG === 'ffffffff' ? 'eeeeeeee' : 'ffffffff', process.pid, START_TICKS)).toBe(
      true,
    );
    const ended = spawnSync(process.execPath, ['-e', '0']).pid;
    expect(processGone(BOOT_TAG, ended)).toBe(true);
  });

  it('a scope tag is here, gone (another boot) or unknown (another pid namespace)', () => {
    expect(scopeOf(SCOPE_TAG)).toBe('here');
    expect(scopeOf(`${BOOT_TAG === 'ffffffff' ? 'eeeeeeee' : 'ffffffff'}n1`)).toBe('gone');
    expect(scopeOf(`${BOOT_TAG}nzzzzz`)).toBe(SCOPE_TAG === `${BOOT_TAG}nzzzzz` ? 'here' : 'unknown');
  });
});
