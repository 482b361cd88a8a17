/**
 * `npm run bench`: runs every benchmark in bench/ one after another, each in its own Node
 * process (so one's memory and open handles never skew the next), with their default settings.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const BENCHES = ['lmtp.ts', 'submission.ts', 'maildir-list.ts'];

let failed = 0;
for (const file of BENCHES) {
  const path = join(import.meta.dirname, file);
  if (!existsSync(path)) continue;
  console.log(`\n## bench/${file}`);
  const result = spawnSync(process.execPath, [path], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`bench/${file} exited ${result.status ?? result.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
