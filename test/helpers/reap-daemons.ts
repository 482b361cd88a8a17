/**
 * `node test/helpers/reap-daemons.ts`: kills the Dovecot/Postfix/agent process groups and
 * removes the temp dirs that a dead test worker or bench left behind (see daemon-registry.ts).
 * test/interop/run.sh runs it before and after vitest.
 */
import { reapOrphans } from './daemon-registry.ts';

const reaped = reapOrphans();
for (const g of reaped.groups) {
  console.error(`interop: killed leftover ${g.command} (process group ${g.pgid}, ${g.processes} processes)`);
}
if (reaped.dirs.length > 0) console.error(`interop: removed ${reaped.dirs.length} leftover temp dir(s)`);
