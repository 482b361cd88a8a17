import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Count scrypt runs to prove an unknown user costs the same hash as a known one.
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

const { openFileDirectory } = await import('../src/index.ts');
const { sampleData, tempDir, writeJson } = await import('./fixtures.ts');

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

describe('authenticate timing', () => {
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
