import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileDirectory, openFileDirectory } from '../src/index.ts';
import { sampleData, tempDir, writeJson } from './fixtures.ts';

let dir: FileDirectory;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  await writeJson(`${tmp.path}/directory.json`, await sampleData());
  dir = await openFileDirectory(`${tmp.path}/directory.json`);
});
afterAll(async () => {
  await dir.close();
  await cleanup();
});

describe('resolve', () => {
  it('finds a plain user', async () => {
    expect(await dir.resolve('alice@example.test')).toEqual({
      local: [{ user: 'alice@example.test', address: 'alice@example.test' }],
      forward: [],
    });
  });

  it('ignores case in both local part and domain, keeping the address as given', async () => {
    expect(await dir.resolve('ALICE@Example.TEST')).toEqual({
      local: [{ user: 'alice@example.test', address: 'ALICE@Example.TEST' }],
      forward: [],
    });
    // The file spelled this user "Bob@Example.test"; keys are normalised on load.
    expect((await dir.resolve('bob@example.test'))?.local[0]?.user).toBe('bob@example.test');
  });

  it('resolves user+detail to the user with the detail', async () => {
    expect(await dir.resolve('alice+lists@example.test')).toEqual({
      local: [{ user: 'alice@example.test', address: 'alice+lists@example.test', detail: 'lists' }],
      forward: [],
    });
    // Aliases take sub-addresses too, and pass the detail to local targets only.
    expect(await dir.resolve('postmaster+dmarc@example.test')).toEqual({
      local: [{ user: 'alice@example.test', address: 'postmaster+dmarc@example.test', detail: 'dmarc' }],
      forward: ['someone@remote.test'],
    });
    expect(await dir.resolve('nobody+x@example.test')).toBeNull();
  });

  it('expands aliases recursively to local users and forwards, each once', async () => {
    const r = await dir.resolve('info@example.test');
    expect(r?.local.map((t) => t.user)).toEqual(['bob@example.test', 'carol@other.test']);
    expect(r?.forward).toEqual(['Someone@Remote.test']);
  });

  it('drops looping branches and keeps the rest', async () => {
    const r = await dir.resolve('loop1@example.test');
    expect(r).toEqual({ local: [{ user: 'bob@example.test', address: 'loop1@example.test' }], forward: [] });
    expect(await dir.resolve('self@example.test')).toBeNull();
  });

  it('uses the catch-all only for unknown local parts of its own domain', async () => {
    expect(await dir.resolve('whoever@other.test')).toEqual({
      local: [{ user: 'carol@other.test', address: 'whoever@other.test' }],
      forward: [],
    });
    expect(await dir.resolve('whoever@example.test')).toBeNull();
    expect(await dir.resolve('dangling@example.test')).toBeNull();
  });

  it('returns null for a domain that is not local, and knows its domains', async () => {
    expect(await dir.resolve('alice@remote.test')).toBeNull();
    expect(await dir.resolve('not-an-address')).toBeNull();
    expect(dir.isLocalDomain('example.test')).toBe(true);
    expect(dir.isLocalDomain('OTHER.test.')).toBe(true);
    expect(dir.isLocalDomain('remote.test')).toBe(false);
  });
});

describe('authenticate and account', () => {
  it('accepts the full address in any case and returns the account with its own aliases', async () => {
    const acct = await dir.authenticate('Alice@EXAMPLE.test', 'alice-pw');
    expect(acct).toEqual({
      user: 'alice@example.test',
      addresses: ['alice@example.test', 'ali@example.test'],
      quotaBytes: 1000000,
    });
    // postmaster also forwards elsewhere, so it is not one of alice's own addresses.
    expect(acct?.addresses).not.toContain('postmaster@example.test');
  });

  it('returns null for a wrong password, an unknown user, or a bare local part', async () => {
    expect(await dir.authenticate('alice@example.test', 'wrong')).toBeNull();
    expect(await dir.authenticate('mallory@example.test', 'alice-pw')).toBeNull();
    expect(await dir.authenticate('alice', 'alice-pw')).toBeNull();
    expect(await dir.authenticate('postmaster@example.test', 'alice-pw')).toBeNull();
  });

  it('gives the account without a password check', async () => {
    expect(await dir.account('CAROL@other.test')).toEqual({
      user: 'carol@other.test',
      addresses: ['carol@other.test'],
      quotaMessages: 50,
    });
    expect(await dir.account('nobody@other.test')).toBeNull();
  });
});
