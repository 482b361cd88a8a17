import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  /** Removes the folder and everything in it; safe to call twice. */
  cleanup(): Promise<void>;
}

/** A fresh folder under os.tmpdir(), e.g. `/tmp/mailstack-maildir-Xa81Qz`. */
export async function tempDir(prefix = 'mailstack-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix.replace(/[/\\]/g, '-')));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}
