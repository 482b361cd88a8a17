import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { BOOT_TAG, processGone, START_TICKS } from '@mailstack/agent-process';

/**
 * A lease owner name that says which process holds the lease, so that once that process is
 * gone its leases are taken back at once instead of after the lease length (minutes of delay
 * for mail already acknowledged, after a crash):
 *
 *   <host>:<pid>:<random>:<boot>:<start>     e.g. mx.example:4242:9f03ab:1a2b3c4d:987654
 *
 * `<random>` keeps two runners of one process apart; boot tag and start time guard against a
 * reboot and a reused pid (@mailstack/agent-process, process-identity.ts). The older form `<host>:<pid>:<random>` is still
 * understood (judged by the pid alone). A host is its hostname: processes that share a spool
 * from several machines, or from containers, need distinct hostnames (the default). Leases of
 * other hosts, and owners named any other way, are left to expire.
 */
export function processOwnerName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}:${BOOT_TAG}:${START_TICKS}`;
}

const OWNER = /^([^:]+):(\d+):[0-9a-z]+(?::([0-9a-z]+):(\d+))?$/;

/** True only when `owner` names a process of this host that certainly runs no more. */
export function leaseOwnerGone(owner: string): boolean {
  const m = OWNER.exec(owner);
  if (!m || m[1] !== hostname()) return false;
  const pid = Number(m[2]);
  if (m[3] === undefined) return processGone(BOOT_TAG, pid);
  return processGone(m[3], pid, Number(m[4]));
}
