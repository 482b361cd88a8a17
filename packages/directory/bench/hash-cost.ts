// Prints the cost of one password hash at several scrypt settings, to pick DEFAULT_SCRYPT.
// Run: node packages/directory/bench/hash-cost.ts
import { availableParallelism } from 'node:os';
import { DEFAULT_SCRYPT, hashPassword, type ScryptParams, verifyPassword } from '../src/index.ts';

const candidates: ScryptParams[] = [
  { ln: 14, r: 8, p: 1 },
  DEFAULT_SCRYPT,
  { ln: 16, r: 8, p: 1 },
  { ln: 17, r: 8, p: 1 },
];
const RUNS = 7;

console.log(`cpus=${availableParallelism()} node=${process.version}`);
for (const params of candidates) {
  const hash = await hashPassword('warm-up', params);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await verifyPassword('benchmark', hash);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mib = (128 * 2 ** params.ln * params.r) / 2 ** 20;
  // Four logins at once, as libuv's default pool of 4 threads would run them.
  const t0 = performance.now();
  await Promise.all([1, 2, 3, 4].map(() => verifyPassword('benchmark', hash)));
  const four = performance.now() - t0;
  const mark = params === DEFAULT_SCRYPT ? ' (default)' : '';
  console.log(
    `ln=${params.ln} r=${params.r} p=${params.p}${mark}: ${mib} MiB, median ${times[RUNS >> 1]!.toFixed(1)} ms/hash, ` +
      `min ${times[0]!.toFixed(1)}, 4 concurrent ${four.toFixed(1)} ms`,
  );
}
