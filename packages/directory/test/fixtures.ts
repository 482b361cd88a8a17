import { writeFile } from 'node:fs/promises';
import { tempDir as makeTempDir, type TempDir } from '@mailstack/testkit';
import { hashPassword } from '../src/index.ts';

/** Cheap hashes for fixtures (N = 2^10): the cost is in the string, so verify works the same. */
export const FAST = { ln: 10, r: 8, p: 1 };

export function tempDir(): Promise<TempDir> {
  return makeTempDir('mailstack-directory-');
}

/** A directory file with alice, bob and carol in example.test and a few aliases. */
export async function sampleData(): Promise<Record<string, unknown>> {
  return {
    domains: ['example.test', 'Other.TEST'],
    users: {
      'alice@example.test': { password: await hashPassword('alice-pw', FAST), quotaBytes: 1000000 },
      'Bob@Example.test': { password: await hashPassword('bob-pw', FAST) },
      'carol@other.test': { password: await hashPassword('carol-pw', FAST), quotaMessages: 50 },
    },
    aliases: {
      'postmaster@example.test': ['alice@example.test', 'someone@remote.test'],
      'info@example.test': ['sales@example.test'],
      'sales@example.test': ['Bob@example.test', 'carol@other.test', 'Someone@Remote.test'],
      'ali@example.test': ['alice@example.test'],
      'loop1@example.test': ['loop2@example.test'],
      'loop2@example.test': ['loop1@example.test', 'bob@example.test'],
      'self@example.test': ['self@example.test'],
      'dangling@example.test': ['ghost@example.test'],
    },
    catchAll: { 'other.test': 'carol@other.test' },
  };
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}
