import { access, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { memoryDirectory, runPython, tempDir } from '../src/index.ts';
import { startTinyServer } from './tiny-server.ts';

describe('tempDir', () => {
  it('makes a fresh folder under the temp dir and removes it with everything inside', async () => {
    const a = await tempDir('mailstack-testkit-');
    const b = await tempDir('mailstack-testkit-');
    expect(a.path.startsWith(tmpdir())).toBe(true);
    expect(a.path).toContain('mailstack-testkit-');
    expect(a.path).not.toBe(b.path);
    await writeFile(`${a.path}/x`, 'data');
    await a.cleanup();
    await b.cleanup();
    await expect(access(a.path)).rejects.toMatchObject({ code: 'ENOENT' });
    await a.cleanup(); // twice is fine
  });
});

describe('memoryDirectory', () => {
  const dir = memoryDirectory({
    users: { 'Alice@example.test': 'pw', 'bob@example.test': { password: 'bpw', quotaBytes: 10 } },
    aliases: {
      'postmaster@example.test': ['alice@example.test', 'x@remote.test'],
      'al@example.test': ['ALICE@example.test'],
      'loop@example.test': ['loop@example.test'],
    },
    catchAll: { 'example.test': 'bob@example.test' },
  });

  it('authenticates with plain-text compare, case-insensitive user names, and records logins', async () => {
    expect(await dir.authenticate('ALICE@example.test', 'pw')).toEqual({
      user: 'alice@example.test',
      addresses: ['alice@example.test', 'al@example.test'],
    });
    expect(await dir.authenticate('alice@example.test', 'nope')).toBeNull();
    expect(await dir.authenticate('nobody@example.test', 'pw')).toBeNull();
    expect(dir.logins.map((l) => l.ok)).toEqual([true, false, false]);
    expect(await dir.account('bob@example.test')).toMatchObject({ quotaBytes: 10 });
  });

  it('resolves users, +detail, aliases, loops, catch-all and foreign domains', async () => {
    expect(await dir.resolve('alice+x@Example.test')).toEqual({
      local: [{ user: 'alice@example.test', address: 'alice+x@Example.test', detail: 'x' }],
      forward: [],
    });
    expect(await dir.resolve('postmaster@example.test')).toEqual({
      local: [{ user: 'alice@example.test', address: 'postmaster@example.test' }],
      forward: ['x@remote.test'],
    });
    expect(await dir.resolve('loop@example.test')).toBeNull();
    expect((await dir.resolve('whoever@example.test'))?.local[0]?.user).toBe('bob@example.test');
    expect(await dir.resolve('alice@remote.test')).toBeNull();
    expect(dir.isLocalDomain('EXAMPLE.test')).toBe(true);
    expect(dir.isLocalDomain('remote.test')).toBe(false);
  });
});

describe('runPython', () => {
  it('runs a snippet with arguments and stdin and returns code and output', async () => {
    const r = await runPython(
      'import sys; print(sys.argv[1:]); print(sys.stdin.read().upper()); sys.exit(3)',
      ['a', 7],
      {
        input: 'hello',
      },
    );
    expect(r).toEqual({ code: 3, stdout: "['a', '7']\nHELLO\n", stderr: '' });
  });

  it('reports a Python error on stderr with its exit code', async () => {
    const r = await runPython('raise ValueError("boom")');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ValueError: boom');
  });

  it('drives a server with a stdlib client (smtplib)', async () => {
    const tiny = await startTinyServer();
    try {
      const r = await runPython(
        [
          'import smtplib, sys',
          's = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)',
          'code, msg = s.ehlo("py")',
          'print(code, s.has_extn("pipelining"), s.esmtp_features.get("size"))',
          's.quit()',
        ].join('\n'),
        [tiny.port],
      );
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('250 True 1000\n');
    } finally {
      await tiny.close();
    }
  });

  it('kills a script that runs past its timeout', async () => {
    await expect(runPython('import time; time.sleep(30)', [], { timeoutMs: 300 })).rejects.toThrow(
      /killed after 300 ms/,
    );
  });
});
