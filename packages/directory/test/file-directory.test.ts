import { once } from 'node:events';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/atomic-write.ts';
import { parseDirectoryData, validateDirectoryData } from '../src/data.ts';
import { DirectoryError, type FileDirectory, openFileDirectory } from '../src/index.ts';
import { FAST, sampleData, tempDir, writeJson } from './fixtures.ts';

let tmp: { path: string; cleanup: () => Promise<void> };
let file: string;
const open: FileDirectory[] = [];

beforeEach(async () => {
  tmp = await tempDir();
  file = `${tmp.path}/directory.json`;
});
afterEach(async () => {
  for (const d of open.splice(0)) await d.close();
  await tmp.cleanup();
});

async function openDir(options: Parameters<typeof openFileDirectory>[1] = {}): Promise<FileDirectory> {
  const d = await openFileDirectory(file, { scrypt: FAST, ...options });
  open.push(d);
  return d;
}

function waitFor(d: FileDirectory, event: 'reloaded' | 'invalid'): Promise<unknown[]> {
  return once(d, event, { signal: AbortSignal.timeout(15_000) });
}

describe('validation', () => {
  it('names the bad key in every problem', async () => {
    const data = await sampleData();
    const bad = {
      ...data,
      extra: 1,
      users: {
        ...(data.users as object),
        'dave@example.test': { password: 'plain-text', quotaBytes: -1, colour: 'red' },
        'eve@unlisted.test': {
          password: (data.users as Record<string, { password: string }>)['alice@example.test']!.password,
        },
      },
      aliases: { 'alice@example.test': ['bob@example.test'], 'x@example.test': [] },
      catchAll: { 'nowhere.test': 'a@b.test' },
      subaddressSeparator: '@',
    };
    let err: DirectoryError | undefined;
    try {
      validateDirectoryData(bad);
    } catch (e) {
      err = e as DirectoryError;
    }
    expect(err).toBeInstanceOf(DirectoryError);
    expect(err?.code).toBe('invalid-file');
    const issues = err!.issues.join('\n');
    expect(issues).toContain('"extra": unknown key');
    expect(issues).toContain('users["dave@example.test"].password: must be a "$scrypt$..." hash');
    expect(issues).toContain('users["dave@example.test"].quotaBytes: must be a non-negative integer');
    expect(issues).toContain('users["dave@example.test"].colour: unknown key');
    expect(issues).toContain('users["eve@unlisted.test"]: domain "unlisted.test" is not in "domains"');
    expect(issues).toContain('aliases["alice@example.test"]: is also a user');
    expect(issues).toContain('aliases["x@example.test"]: must be a non-empty array');
    expect(issues).toContain('catchAll["nowhere.test"]: domain is not in "domains"');
    expect(issues).toContain('subaddressSeparator:');
    expect(issues).not.toContain('plain-text'); // never echo what might be a password
  });

  it('reports broken JSON and duplicate keys after case folding', () => {
    expect(() => parseDirectoryData('{ "domains": [')).toThrow(/not valid JSON/);
    expect(() => validateDirectoryData({ domains: ['a.test', 'A.test'] })).toThrow(
      /domains\[1\]: "A.test" is listed twice/,
    );
  });

  it('refuses to open a missing file unless asked to create it', async () => {
    await expect(openFileDirectory(file)).rejects.toMatchObject({ code: 'missing-file' });
    const d = await openDir({ create: true });
    expect(d.listDomains()).toEqual([]);
  });
});

describe('management', () => {
  it('adds, changes and removes users, aliases, domains and catch-alls, writing the file each time', async () => {
    const d = await openDir({ create: true });
    await d.addDomain('Example.TEST');
    await expect(d.addUser('alice@nowhere.test', 'pw')).rejects.toMatchObject({ code: 'no-such-domain' });
    await expect(d.addUser('a b@example.test', 'pw')).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(d.addDomain('not a domain')).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(d.addAlias('x@example.test', ['bad target'])).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    await d.addUser('Alice@Example.test', 'first', { quotaBytes: 5000 });
    await expect(d.addUser('alice@example.test', 'again')).rejects.toMatchObject({ code: 'exists' });
    expect(await d.authenticate('alice@example.test', 'first')).not.toBeNull();
    await d.setPassword('ALICE@example.test', 'second');
    expect(await d.authenticate('alice@example.test', 'first')).toBeNull();
    expect(await d.authenticate('alice@example.test', 'second')).not.toBeNull();
    await expect(d.setPassword('bob@example.test', 'x')).rejects.toMatchObject({ code: 'no-such-user' });

    await d.addAlias('team@example.test', ['alice@example.test']);
    await d.addAlias('team@example.test', ['friend@remote.test', 'ALICE@example.test']);
    expect(d.listAliases()).toEqual([
      { address: 'team@example.test', targets: ['alice@example.test', 'friend@remote.test'] },
    ]);
    await d.removeAlias('team@example.test', ['friend@remote.test']);
    expect((await d.account('alice@example.test'))?.addresses).toEqual([
      'alice@example.test',
      'team@example.test',
    ]);
    await expect(d.addAlias('alice@example.test', ['x@remote.test'])).rejects.toMatchObject({
      code: 'exists',
    });

    await d.setCatchAll('example.test', 'team@example.test');
    expect((await d.resolve('random@example.test'))?.local[0]?.user).toBe('alice@example.test');
    await expect(d.removeDomain('example.test')).rejects.toMatchObject({ code: 'in-use' });
    await d.setCatchAll('example.test', null);
    await d.removeAlias('team@example.test');
    await expect(d.removeAlias('team@example.test')).rejects.toMatchObject({ code: 'no-such-alias' });

    const onDisk = JSON.parse(await readFile(file, 'utf8'));
    expect(Object.keys(onDisk.users)).toEqual(['alice@example.test']);
    expect(onDisk.users['alice@example.test'].password).toMatch(/^\$scrypt\$ln=10,/);
    expect(JSON.stringify(onDisk)).not.toContain('second');
    expect(d.listUsers()).toEqual([{ address: 'alice@example.test', quotaBytes: 5000 }]);

    await d.removeUser('alice@example.test');
    await expect(d.removeUser('alice@example.test')).rejects.toMatchObject({ code: 'no-such-user' });
    await d.removeDomain('example.test');
    expect(parseDirectoryData(await readFile(file, 'utf8')).domains).toEqual([]);
    // A second instance opened on the same file sees the same state.
    const again = await openDir();
    expect(again.listDomains()).toEqual([]);
  });

  it('picks up a hand edit made since the last load before writing, instead of overwriting it', async () => {
    await writeJson(file, { domains: ['a.test'] });
    const d = await openDir();
    await writeJson(file, { domains: ['a.test', 'b.test'] });
    await d.addDomain('c.test');
    expect(JSON.parse(await readFile(file, 'utf8')).domains).toEqual(['a.test', 'b.test', 'c.test']);
    await writeFile(file, '{ broken');
    await expect(d.addDomain('d.test')).rejects.toMatchObject({ code: 'invalid-file' });
    expect(await readFile(file, 'utf8')).toBe('{ broken');
  });
});

describe('reload', () => {
  it('reloads when the file is replaced on disk', async () => {
    await writeJson(file, await sampleData());
    const d = await openDir({ watch: true });
    expect(await d.resolve('dave@example.test')).toBeNull();
    const data = await sampleData();
    (data.aliases as Record<string, string[]>)['dave@example.test'] = ['alice@example.test'];
    const reloaded = waitFor(d, 'reloaded');
    await writeFileAtomic(file, JSON.stringify(data)); // the way editors and our CLI write
    await reloaded;
    expect((await d.resolve('dave@example.test'))?.local[0]?.user).toBe('alice@example.test');
  });

  it('reloads when the file is rewritten in place', async () => {
    await writeJson(file, { domains: ['a.test'] });
    const d = await openDir({ watch: true });
    const reloaded = waitFor(d, 'reloaded');
    await writeFile(file, JSON.stringify({ domains: ['a.test', 'b.test'] }));
    await reloaded;
    expect(d.isLocalDomain('b.test')).toBe(true);
  });

  it('keeps the last good state when an edit is broken, then takes the fixed file', async () => {
    await writeJson(file, await sampleData());
    const errors: object[] = [];
    const logger = {
      info() {},
      debug() {},
      warn() {},
      error(fields: object) {
        errors.push(fields);
      },
      child() {
        return logger;
      },
    };
    const d = await openDir({ watch: true, logger });
    const invalid = waitFor(d, 'invalid');
    await writeFileAtomic(
      file,
      JSON.stringify({ domains: ['example.test'], users: { 'x@example.test': {} } }),
    );
    const [err] = (await invalid) as [DirectoryError];
    expect(err.message).toContain('users["x@example.test"].password');
    expect(errors.length).toBeGreaterThan(0);
    expect(await d.authenticate('alice@example.test', 'alice-pw')).not.toBeNull();
    expect((await d.resolve('postmaster@example.test'))?.forward).toEqual(['someone@remote.test']);

    await expect(d.reload()).rejects.toMatchObject({ code: 'invalid-file' });
    const reloaded = waitFor(d, 'reloaded');
    await writeFileAtomic(file, JSON.stringify({ domains: ['example.test'] }));
    await reloaded;
    expect(await d.resolve('postmaster@example.test')).toBeNull();
  });

  it('reload() applies changes on demand without a watcher', async () => {
    await writeJson(file, { domains: ['a.test'] });
    const d = await openDir();
    expect(await d.reload()).toBe(false);
    await writeJson(file, { domains: ['b.test'] });
    expect(d.isLocalDomain('b.test')).toBe(false);
    expect(await d.reload()).toBe(true);
    expect(d.isLocalDomain('b.test')).toBe(true);
    expect(d.isLocalDomain('a.test')).toBe(false);
  });
});

describe('atomic write', () => {
  it('never lets a reader see a partial file, and leaves no temp files', async () => {
    const a = JSON.stringify({ domains: ['a.test'], pad: 'a'.repeat(200_000) });
    const b = JSON.stringify({ domains: ['b.test'], pad: 'b'.repeat(300_000) });
    await writeFileAtomic(file, a);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 40; i++) await writeFileAtomic(file, i % 2 ? a : b);
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const text = await readFile(file, 'utf8');
      expect(text === a || text === b).toBe(true);
      reads++;
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
    expect(await readdir(tmp.path)).toEqual(['directory.json']);
  });

  it('keeps the old file and cleans up when the rename fails', async () => {
    await mkdir(file); // a directory in the way: rename over it fails
    await expect(writeFileAtomic(file, '{}')).rejects.toThrow();
    expect(await readdir(tmp.path)).toEqual(['directory.json']);
    expect((await stat(file)).isDirectory()).toBe(true);
  });

  it('creates new files 0600 and keeps the mode of existing ones', async () => {
    await writeFileAtomic(file, '{}');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await chmod(file, 0o640);
    await writeFileAtomic(file, '{"domains":[]}');
    expect((await stat(file)).mode & 0o777).toBe(0o640);
  });
});
