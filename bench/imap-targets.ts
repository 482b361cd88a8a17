/**
 * The two IMAP servers of the bench, each startable and restartable over a mail root of its
 * own: ours (`mailstack imap` in its own process group) and a throwaway Dovecot 2.3
 * (test/helpers/dovecot.ts) tuned for 1,000+ concurrent sessions.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { hashPassword } from '@mailstack/directory';
import type { Daemon } from '../test/helpers/daemon.ts';
import { type DovecotInstance, startDovecot } from '../test/helpers/dovecot.ts';
import { filesConfig, loopback, startConfiguredAgent } from '../test/helpers/mailstack-agent.ts';
import { canConnect, waitFor } from '../test/helpers/net.ts';

export interface ImapTarget {
  readonly name: 'mailstack' | 'dovecot';
  /** Current port (changes on restart). */
  port(): number;
  /** Process groups holding every process of the server (for memory sums). */
  pgids(): number[];
  /** Stops the server and starts it again over the same mail root (in-memory state gone). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Writes a packages/directory file for `users`, all with `password`, hashed once with the
 * lowest scrypt cost the directory accepts: the bench measures mail access, not 1,000
 * default-cost (~100 ms) password checks; Dovecot gets {PLAIN} passwords.
 */
export async function writeCheapDirectory(path: string, users: string[], password: string): Promise<void> {
  const hash = await hashPassword(password, { ln: 10, r: 8, p: 1 });
  const domains = [...new Set(users.map((u) => u.slice(u.lastIndexOf('@') + 1)))];
  const data = {
    domains,
    users: Object.fromEntries(users.map((u) => [u, { password: hash }])),
    aliases: {},
    catchAll: {},
  };
  writeFileSync(path, `${JSON.stringify(data)}\n`);
}

/**
 * Ours: `node [nodeArgs] mailstack imap --config FILE`, in a process of its own so its RSS is its
 * own, with the connection cap raised for the 1,000-idle-client case.
 */
export async function startOurImap(options: {
  data: string;
  directory: string;
  /** Extra Node flags, e.g. `--cpu-prof --cpu-prof-dir=<dir>`. */
  nodeArgs?: string[];
}): Promise<ImapTarget> {
  let daemon: Daemon | undefined;
  let port = 0;
  const start = async () => {
    const started = await startConfiguredAgent(
      'imap',
      {
        ...filesConfig({ directory: options.directory, mail: options.data }),
        listeners: [loopback('imap', 'none')],
        dev: { cleartextAuthOnLoopback: true },
        limits: { imap: { connections: 2000, connectionsPerClient: 2000 } },
      },
      options.nodeArgs ? { nodeArgs: options.nodeArgs } : {},
    );
    daemon = started.daemon;
    port = started.listening[0]?.port ?? 0;
  };
  await start();
  return {
    name: 'mailstack',
    port: () => port,
    pgids: () => (daemon?.child.pid === undefined ? [] : [daemon.child.pid]),
    async restart() {
      await daemon?.stop();
      await start();
    },
    async stop() {
      await daemon?.stop();
    },
  };
}

/**
 * Dovecot over `mailRoot` (left in place on stop). Its defaults cap every service at 100
 * processes and 1,000 clients and a user at 10 connections per IP; the bench's 1,000 idle
 * sessions (one imap process each) need more, appended to the config and reloaded.
 */
export async function startDovecotImap(options: {
  mailRoot: string;
  users: Record<string, string>;
  maxSessions: number;
  /** More dovecot.conf text, appended after the session limits (e.g. DOVECOT_HIGH_PERFORMANCE). */
  extraConfig?: string;
}): Promise<ImapTarget> {
  let dovecot: DovecotInstance | undefined;
  const start = async () => {
    const d = await startDovecot({ mailRoot: options.mailRoot, users: options.users });
    dovecot = d;
    try {
      const limit = options.maxSessions + 100;
      appendFileSync(
        d.confPath,
        `
# appended by bench/imap-targets.ts: room for ${options.maxSessions} concurrent IMAP sessions
default_process_limit = ${limit}
default_client_limit = ${limit * 2}
protocol imap {
  mail_max_userip_connections = ${limit}
}
${options.extraConfig ?? ''}`,
      );
      await d.doveadmRaw(['reload']);
      // The reload restarts the listeners; wait until IMAP answers again.
      await waitFor('dovecot imap after reload', () => canConnect(d.ports.imap), 20_000, 50);
    } catch (error) {
      await d.stop();
      throw error;
    }
  };
  await start();
  return {
    name: 'dovecot',
    port: () => dovecot?.ports.imap ?? 0,
    pgids: () => (dovecot === undefined ? [] : [dovecot.pid]),
    async restart() {
      await dovecot?.stop();
      await start();
    },
    async stop() {
      await dovecot?.stop();
    },
  };
}

/** Debian's Dovecot version (`2.3.19.1`), or `?` when it is not installed. */
export function dovecotVersion(): string {
  try {
    return execFileSync('dovecot', ['--version'], { encoding: 'utf8' }).trim().split(' ')[0] ?? '?';
  } catch {
    return '?';
  }
}

/**
 * Dovecot's login processes in its documented high-performance mode (one imap-login process
 * serves many connections instead of one forked per connection, two kept waiting) and imap
 * processes reused for 100 sessions each: what a site tuned for many short sessions runs.
 * Dovecot's defaults (high-security mode) fork an imap-login and an imap process per session.
 */
export const DOVECOT_HIGH_PERFORMANCE = `
service imap-login {
  service_count = 0
  process_min_avail = 2
}
service imap {
  service_count = 100
  process_min_avail = 2
}
`;
