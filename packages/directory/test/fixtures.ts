import { writeFile } from 'node:fs/promises';
import {
  DIRECTORY_FIXTURE,
  type DirectoryFixture,
  tempDir as makeTempDir,
  type TempDir,
} from '@mailstack/testkit';
import { hashPassword, type UserRecord } from '../src/index.ts';

/** Cheap hashes for fixtures (N = 2^10): the cost is in the string, so verify works the same. */
export const FAST = { ln: 10, r: 8, p: 1 };

export function tempDir(): Promise<TempDir> {
  return makeTempDir('mailstack-directory-');
}

/**
 * A directory file holding the Directory contract's fixture (alice, bob, carol, jöran and a few
 * aliases, loops and a catch-all), passwords hashed as the file keeps them.
 */
export async function sampleData(
  fixture: DirectoryFixture = DIRECTORY_FIXTURE,
): Promise<Record<string, unknown>> {
  const users: Record<string, UserRecord> = {};
  for (const [address, user] of Object.entries(fixture.users)) {
    users[address] = { ...user, password: await hashPassword(user.password, FAST) };
  }
  return { ...structuredClone(fixture), users };
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}
