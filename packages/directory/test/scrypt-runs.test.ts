import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuthCacheOptions } from '../src/index.ts';

// Count scrypt runs to prove an unknown user costs the same hash as a known one, and that the
// authentication cache answers a repeated login without one (evidence without a clock).
const calls = vi.hoisted(() => ({ scrypt: 0, inFlight: 0, maxInFlight: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    scrypt: (...args: unknown[]) => {
      calls.scrypt++;
      calls.inFlight++;
      calls.maxInFlight = Math.max(calls.maxInFlight, calls.inFlight);
      const callback = args.pop() as (err: Error | null, key: Buffer) => void;
      (real.scrypt as (...a: unknown[]) => void)(...args, (err: Error | null, key: Buffer) => {
        calls.inFlight--;
        callback(err, key);
      });
    },
  };
});

const { AuthCache, openFileDirectory } = await import('../src/index.ts');
const { FAST, sampleData, tempDir, writeJson } = await import('./fixtures.ts');

describe('authenticate timing', () => {
  let dir: Awaited<ReturnType<typeof openFileDirectory>>;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    await writeJson(`${tmp.path}/d.json`, await sampleData());
    dir = await openFileDirectory(`${tmp.path}/d.json`);
  });
  afterAll(async () => {
    await dir.close();
    await cleanup();
  });

  it('runs scrypt for unknown users too', async () => {
    calls.scrypt = 0;
    expect(await dir.authenticate('alice@example.test', 'wrong')).toBeNull();
    expect(calls.scrypt).toBe(1);
    expect(await dir.authenticate('nobody@example.test', 'pw')).toBeNull();
    expect(await dir.authenticate('nobody@nowhere.test', 'pw')).toBeNull();
    expect(await dir.authenticate('', 'pw')).toBeNull();
    expect(calls.scrypt).toBe(4);
  });

  it('runs at most maxConcurrentHashes password checks at once', async () => {
    calls.maxInFlight = 0;
    const logins = Array.from({ length: 8 }, (_, i) =>
      dir.authenticate(i % 2 ? 'alice@example.test' : `x${i}@example.test`, 'no'),
    );
    expect(await Promise.all(logins)).toEqual(Array(8).fill(null));
    expect(calls.maxInFlight).toBe(2);
    expect(calls.inFlight).toBe(0);
  });
});

type Dir = Awaited<ReturnType<typeof openFileDirectory>>;
const ALICE = 'alice@example.test';
let file: string;
let cleanup: () => Promise<void>;
let dir: Dir;
let clock = 1_000_000;

async function open(authCache: Partial<AuthCacheOptions> = {}): Promise<Dir> {
  return openFileDirectory(file, { scrypt: FAST, authCache: { now: () => clock, ...authCache } });
}

/** scrypt runs during `job`. */
async function hashesDuring(job: () => Promise<unknown>): Promise<number> {
  const before = calls.scrypt;
  await job();
  return calls.scrypt - before;
}

describe('the authentication cache', () => {
  beforeEach(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    file = `${tmp.path}/d.json`;
    await writeJson(file, await sampleData());
    dir = await open();
  });
  afterEach(async () => {
    await dir.close();
    await cleanup();
  });

  it('answers a repeated successful login without running scrypt', async () => {
    expect(await hashesDuring(() => dir.authenticate(ALICE, 'alice-pw'))).toBe(1);
    let account: unknown;
    expect(
      await hashesDuring(async () => {
        account = await dir.authenticate('Alice@Example.TEST', 'alice-pw');
      }),
    ).toBe(0);
    expect(account).toMatchObject({ user: ALICE });
  });

  it('never caches a failure: every wrong password runs scrypt and fails', async () => {
    await dir.authenticate(ALICE, 'alice-pw');
    for (let i = 0; i < 3; i++) {
      let account: unknown = 'unset';
      expect(
        await hashesDuring(async () => {
          account = await dir.authenticate(ALICE, 'wrong');
        }),
      ).toBe(1);
      expect(account).toBeNull();
    }
    // A password that differs only in case or NFC form is another password for the cache.
    expect(await hashesDuring(() => dir.authenticate(ALICE, 'ALICE-PW'))).toBe(1);
  });

  it('a changed password misses: the old one fails, the new one is checked once', async () => {
    await dir.authenticate(ALICE, 'alice-pw');
    await dir.setPassword(ALICE, 'new-pw');
    expect(await dir.authenticate(ALICE, 'alice-pw')).toBeNull();
    expect(await hashesDuring(() => dir.authenticate(ALICE, 'new-pw'))).toBe(1);
    expect(await hashesDuring(() => dir.authenticate(ALICE, 'new-pw'))).toBe(0);
  });

  it('setting the same password again (a new salt) also misses', async () => {
    await dir.authenticate(ALICE, 'alice-pw');
    await dir.setPassword(ALICE, 'alice-pw');
    expect(await hashesDuring(() => dir.authenticate(ALICE, 'alice-pw'))).toBe(1);
  });

  it('a hash changed on disk by another process misses after the reload', async () => {
    await dir.authenticate(ALICE, 'alice-pw');
    const other = await open();
    await other.setPassword(ALICE, 'elsewhere');
    await other.close();
    await dir.reload();
    expect(await dir.authenticate(ALICE, 'alice-pw')).toBeNull();
    expect(await dir.authenticate(ALICE, 'elsewhere')).toMatchObject({ user: ALICE });
  });

  it('a removed account no longer logs in, even with a remembered password', async () => {
    await dir.authenticate(ALICE, 'alice-pw');
    await dir.removeUser(ALICE);
    expect(await dir.authenticate(ALICE, 'alice-pw')).toBeNull();
  });

  it('forgets a success after the ttl', async () => {
    await dir.authenticate(ALICE, 'alice-pw');
    clock += 3_600_000 - 1;
    expect(await hashesDuring(() => dir.authenticate(ALICE, 'alice-pw'))).toBe(0);
    clock += 1;
    expect(await hashesDuring(() => dir.authenticate(ALICE, 'alice-pw'))).toBe(1);
  });

  it('ttl 0 turns it off', async () => {
    await dir.close();
    dir = await open({ ttlMs: 0 });
    await dir.authenticate(ALICE, 'alice-pw');
    expect(await hashesDuring(() => dir.authenticate(ALICE, 'alice-pw'))).toBe(1);
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    await dir.close();
    dir = await open({ maxEntries: 2 });
    await dir.authenticate(ALICE, 'alice-pw');
    await dir.authenticate('bob@example.test', 'bob-pw');
    await dir.authenticate(ALICE, 'alice-pw'); // alice is now the most recent
    await dir.authenticate('carol@other.test', 'carol-pw'); // pushes bob out
    expect(await hashesDuring(() => dir.authenticate(ALICE, 'alice-pw'))).toBe(0);
    expect(await hashesDuring(() => dir.authenticate('bob@example.test', 'bob-pw'))).toBe(1);
  });
});

describe('AuthCache', () => {
  it('holds no cleartext: entries are keyed by a per-process HMAC', () => {
    const a = new AuthCache({ ttlMs: 1000, maxEntries: 10 });
    const b = new AuthCache({ ttlMs: 1000, maxEntries: 10 });
    a.remember('alice', 'pw', '$scrypt$x');
    expect(a.has('alice', 'pw', '$scrypt$x')).toBe(true);
    expect(a.has('alice', 'pw', '$scrypt$y')).toBe(false);
    expect(a.has('alicepw', '', '$scrypt$x')).toBe(false);
    expect(b.has('alice', 'pw', '$scrypt$x')).toBe(false);
    expect(a.size).toBe(1);
  });
});
