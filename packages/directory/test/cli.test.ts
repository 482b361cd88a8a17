import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileDirectory } from '../src/index.ts';
import { tempDir } from './fixtures.ts';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a real process, the way an operator would. */
function cli(file: string, args: string[], stdin = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--file', file, ...args], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

let tmp: { path: string; cleanup: () => Promise<void> };
let file: string;
beforeEach(async () => {
  tmp = await tempDir();
  file = `${tmp.path}/directory.json`;
});
afterEach(() => tmp.cleanup());

describe('mailstack-directory CLI', () => {
  it('manages domains, users, aliases and catch-alls end to end', async () => {
    expect((await cli(file, ['domain', 'add', 'Example.test'])).code).toBe(0);
    const add = await cli(
      file,
      ['user', 'add', 'alice@example.test', '--password-stdin', '--quota', '2M'],
      'pässword\n',
    );
    expect(add).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(
      (await cli(file, ['user', 'add', 'bob@example.test', '--password', 'bob-pw', '--quota-messages', '10']))
        .code,
    ).toBe(0);
    expect(
      (await cli(file, ['alias', 'add', 'postmaster@example.test', 'alice@example.test', 'x@remote.test']))
        .code,
    ).toBe(0);
    expect((await cli(file, ['catchall', 'set', 'example.test', 'bob@example.test'])).code).toBe(0);

    expect((await cli(file, ['user', 'list'])).stdout).toBe(
      'alice@example.test quotaBytes=2097152\nbob@example.test quotaMessages=10\n',
    );
    expect((await cli(file, ['alias', 'list'])).stdout).toBe(
      'postmaster@example.test -> alice@example.test, x@remote.test\n',
    );
    expect(JSON.parse((await cli(file, ['domain', 'list', '--json'])).stdout)).toEqual(['example.test']);

    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('pässword');
    const dir = await openFileDirectory(file);
    expect(await dir.authenticate('alice@example.test', 'pässword')).not.toBeNull();
    expect((await dir.resolve('anyone@example.test'))?.local[0]?.user).toBe('bob@example.test');
    await dir.close();

    expect(
      (await cli(file, ['user', 'passwd', 'alice@example.test', '--password-stdin'], 'new-pw')).code,
    ).toBe(0);
    const dir2 = await openFileDirectory(file);
    expect(await dir2.authenticate('alice@example.test', 'new-pw')).not.toBeNull();
    await dir2.close();

    expect((await cli(file, ['catchall', 'clear', 'example.test'])).code).toBe(0);
    expect((await cli(file, ['alias', 'del', 'postmaster@example.test'])).code).toBe(0);
    expect((await cli(file, ['user', 'del', 'alice@example.test'])).code).toBe(0);
    expect((await cli(file, ['user', 'del', 'bob@example.test'])).code).toBe(0);
    expect((await cli(file, ['domain', 'del', 'example.test'])).code).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ domains: [], users: {}, aliases: {} });
  });

  it('exits 64 on usage errors', async () => {
    for (const args of [
      [],
      ['frob'],
      ['user', 'add'],
      ['user', 'add', 'a@example.test'],
      ['user', 'list', 'extra'],
      ['user', 'add', 'a@x.test', '--password', 'p', '--quota', 'lots'],
      ['--bogus'],
    ]) {
      const r = await cli(file, args);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr).toContain('usage: mailstack-directory');
    }
  });

  it('exits 65 on data errors, 66 on a missing file, 67 on an unknown user, 74 on I/O errors', async () => {
    expect((await cli(file, ['user', 'list'])).code).toBe(66);
    expect((await cli(tmp.path, ['user', 'list'])).code).toBe(74); // a folder, not a file
    await cli(file, ['domain', 'add', 'example.test']);
    expect((await cli(file, ['domain', 'add', 'example.test'])).code).toBe(65);
    expect((await cli(file, ['user', 'add', 'not an address', '--password', 'x'])).code).toBe(65);
    expect((await cli(file, ['user', 'add', 'a@example.test', '--password-stdin'], '\n')).code).toBe(65);
    const missing = await cli(file, ['user', 'del', 'nobody@example.test']);
    expect(missing.code).toBe(67);
    expect(missing.stderr).toContain('no user nobody@example.test');
    expect((await cli(file, ['user', 'passwd', 'nobody@example.test', '--password', 'x'])).code).toBe(67);

    await writeFile(
      file,
      '{"domains": ["example.test"], "users": {"a@example.test": {"password": "hunter2"}}}',
    );
    const bad = await cli(file, ['user', 'list']);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain('users["a@example.test"].password');
    expect(bad.stderr).not.toContain('hunter2');
  });
});
