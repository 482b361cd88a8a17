// What one login costs in the directory, with and without the authentication cache, at the
// default scrypt cost: the first check of a password runs scrypt, a repeated one (cache on)
// does not. Run: node packages/directory/bench/login-cost.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileDirectory } from '../src/index.ts';

const RUNS = 15;
const dir = await mkdtemp(join(tmpdir(), 'login-cost-'));
const file = join(dir, 'directory.json');
const setup = await openFileDirectory(file, { create: true });
await setup.addDomain('example.test');
await setup.addUser('alice@example.test', 'correct horse');
await setup.close();

async function median(ttlMs: number): Promise<number> {
  const directory = await openFileDirectory(file, { authCache: { ttlMs } });
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    if (!(await directory.authenticate('alice@example.test', 'correct horse')))
      throw new Error('login failed');
    times.push(performance.now() - t0);
  }
  await directory.close();
  times.sort((a, b) => a - b);
  return times[Math.floor(RUNS / 2)] as number;
}

const off = await median(0);
const on = await median(3_600_000);
console.log(
  `repeated login, median of ${RUNS}: cache off ${off.toFixed(2)} ms, cache on ${on.toFixed(3)} ms`,
);
await rm(dir, { recursive: true, force: true });
