import { accessSync, constants } from 'node:fs';

/**
 * Debian programs the interop stage installs (test/interop/run.sh). A missing one is a
 * failure with the install hint, never a skip: the stage must prove the interop it claims.
 */
export const PROGRAMS = {
  dovecot: '/usr/sbin/dovecot',
  doveadm: '/usr/bin/doveadm',
  dovecotLmtp: '/usr/lib/dovecot/lmtp',
  dovecotImap: '/usr/lib/dovecot/imap',
  dovecotPop3: '/usr/lib/dovecot/pop3',
  postfix: '/usr/sbin/postfix',
  postconf: '/usr/sbin/postconf',
  swaks: '/usr/bin/swaks',
  fetchmail: '/usr/bin/fetchmail',
  getmail: '/usr/bin/getmail',
  mbsync: '/usr/bin/mbsync',
  mutt: '/usr/bin/mutt',
  dockerCompose: '/usr/bin/docker-compose',
  promtool: '/usr/bin/promtool',
  python3: 'python3',
} as const;

export type ProgramName = keyof typeof PROGRAMS;

export function requirePrograms(...names: ProgramName[]): void {
  const missing = names.map((n) => PROGRAMS[n]).filter((path) => path.startsWith('/') && !isExecutable(path));
  if (missing.length > 0) {
    throw new Error(
      `interop: missing ${missing.join(', ')}; run \`npm run test:interop\` as root so it installs ` +
        'dovecot-core dovecot-imapd dovecot-lmtpd dovecot-pop3d postfix swaks libnet-ssleay-perl libio-socket-ssl-perl fetchmail getmail6 isync mutt docker-compose prometheus postgresql',
    );
  }
  if (process.getuid?.() !== 0) throw new Error('interop: Dovecot/Postfix harness must run as root');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
