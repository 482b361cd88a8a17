import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHostPort } from '../src/index.ts';

describe('parseHostPort', () => {
  it('reads host:port, bracketed IPv6, and tells absent from malformed', () => {
    expect(parseHostPort('127.0.0.1:2525')).toEqual({ host: '127.0.0.1', port: 2525 });
    expect(parseHostPort('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseHostPort(undefined)).toBeUndefined();
    for (const bad of ['127.0.0.1', 'host:', 'host:port', '127.0.0.1:70000'])
      expect(parseHostPort(bad), bad).toBeNull();
  });
});

describe('a stop request while the agent is starting', () => {
  const fixture = join(import.meta.dirname, 'fixtures', 'slow-start.ts');

  /** Starts the fixture, waits for `starting`, sends `signals`, then lets it finish starting. */
  async function stopWhileStarting(signals: NodeJS.Signals[]) {
    const child = spawn(process.execPath, [fixture], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await new Promise<void>((resolve) => {
      const check = () => (out.includes('starting\n') ? resolve() : child.stdout.once('data', check));
      check();
    });
    for (const s of signals) child.kill(s);
    child.stdin.end('go\n');
    return { ...(await exited), out: () => out };
  }

  it('is kept until the agent has started, then closes it and exits 0 (not killed by the signal)', async () => {
    const r = await stopWhileStarting(['SIGTERM']);
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
    expect(r.out()).toBe('starting\nlistening\nclosed\n');
  });
});
