import { writeFileSync } from 'node:fs';
import { hashPassword } from '@mailstack/directory';

/**
 * Writes a directory file for packages/directory (`openFileDirectory`): the given users, all
 * with `password`, in the domains their addresses name. One scrypt hash serves every user,
 * so a bench with many users starts fast.
 */
export async function writeDirectoryFile(path: string, users: string[], password = 'secret'): Promise<void> {
  const hash = await hashPassword(password);
  const domains = [...new Set(users.map((u) => u.slice(u.lastIndexOf('@') + 1).toLowerCase()))];
  const data = {
    domains,
    users: Object.fromEntries(users.map((u) => [u.toLowerCase(), { password: hash }])),
    aliases: {},
    catchAll: {},
  };
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
}
