import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileDirectory } from '@mailstack/directory';

export interface DemoAccounts {
  users: string[];
  /** The demo password as this start set it or found it in `demo-password`. */
  password: string;
  /** Where the password came from, for the start banner. */
  source: 'environment' | 'generated' | 'stored';
  /**
   * The users `password` is known to open: set by this start, or checked against the stored
   * hash. A user whose password was changed since (directory CLI, another
   * MAILSTACK_DEMO_PASSWORD) is not here, and the banner must not offer it the old one.
   */
  current: string[];
}

/**
 * Makes sure the demo domain and users exist. The password is MAILSTACK_DEMO_PASSWORD when
 * set (applied at every start, so changing the variable changes the password); otherwise
 * one is generated on first start and kept in `demo-password` (mode 0600) so every later
 * start can print it again: only the scrypt hash is in the directory. A kept password is
 * checked against each user's stored hash before it is called current.
 */
export async function ensureDemoAccounts(
  directory: FileDirectory,
  dataDir: string,
  domain: string,
  users: string[],
  envPassword: string | undefined,
): Promise<DemoAccounts> {
  const passwordFile = join(dataDir, 'demo-password');
  let password: string;
  let source: DemoAccounts['source'];
  if (envPassword) {
    password = envPassword;
    source = 'environment';
  } else {
    const stored = await readFile(passwordFile, 'utf8').catch(() => '');
    password = stored.trim() || randomBytes(12).toString('base64url');
    source = stored.trim() ? 'stored' : 'generated';
    if (source === 'generated') await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }

  if (!directory.isLocalDomain(domain)) await directory.addDomain(domain);
  const existing = new Set(directory.listUsers().map((u) => u.address));
  const current: string[] = [];
  for (const user of users) {
    if (!existing.has(user)) await directory.addUser(user, password);
    else if (source !== 'stored') await directory.setPassword(user, password);
    else if (!(await directory.authenticate(user, password))) continue;
    current.push(user);
  }
  return { users, password, source, current };
}
