import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Daemon, makeTempDir, startDaemon } from './daemon.ts';
import { runOk } from './run.ts';

/**
 * A throwaway PostgreSQL for a test or a bench: Debian's server (the interop stage installs the
 * `postgresql` package; its binaries live under /usr/lib/postgresql/<version>/bin), a fresh
 * cluster from initdb in a temp dir, listening only on a unix socket in that dir, fsync on
 * (durability is what the spool tests are about). PostgreSQL refuses to run as root: as root
 * the cluster belongs to the `postgres` user (the package creates it), or `nobody`.
 */
export interface TestPostgres {
  /** `postgresql://mailstack@localhost/postgres?host=<socket dir>` */
  readonly url: string;
  readonly socketDir: string;
  readonly daemon: Daemon;
  /** A fresh database of this cluster, as a connection string. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown) and removes the cluster. */
  stop(): Promise<void>;
}

/** The newest /usr/lib/postgresql/<version>/bin holding both initdb and postgres. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'postgres')))
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      'interop: missing /usr/lib/postgresql/<version>/bin/postgres and initdb; run `npm run test:interop` ' +
        'as root so it installs Debian’s postgresql package',
    );
  }
  return join(root, versions[0]!, 'bin');
}

/** Who runs the server: ourselves unless root, then `postgres` (Debian's) or `nobody`. */
function serverUser(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${name}:`));
    if (!line) continue;
    const [, , uid, gid] = line.split(':');
    return { name, uid: Number(uid), gid: Number(gid) };
  }
  throw new Error('interop: PostgreSQL must not run as root and neither `postgres` nor `nobody` exists');
}

/** `command args` as `user` (setpriv execs in place, so the daemon keeps its pid and group). */
function asUser(user: { uid: number; gid: number } | undefined, command: string, args: string[]) {
  if (!user) return { command, args };
  return {
    command: 'setpriv',
    args: [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', command, ...args],
  };
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const user = serverUser();
  const dir = makeTempDir('pg');
  const data = join(dir.path, 'data');
  mkdirSync(data, { mode: 0o700 });
  if (user) {
    chownSync(dir.path, user.uid, user.gid);
    chownSync(data, user.uid, user.gid);
  }
  const env = { ...process.env, LC_ALL: 'C', TZ: 'UTC' };
  const init = asUser(user, join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'mailstack',
    '-A',
    'trust',
    '-E',
    'UTF8',
    // initdb's own files only; the server below runs with fsync on.
    '--no-sync',
  ]);
  try {
    await runOk(init.command, init.args, { env, cwd: dir.path });
  } catch (err) {
    dir.remove();
    throw err;
  }
  const server = asUser(user, join(bin, 'postgres'), [
    '-D',
    data,
    '-k',
    dir.path,
    '-c',
    'listen_addresses=',
    '-c',
    'fsync=on',
    '-c',
    'synchronous_commit=on',
    '-c',
    'max_connections=200',
    '-c',
    'logging_collector=off',
  ]);
  const daemon = startDaemon(server.command, server.args, { env, cwd: dir.path });
  try {
    await ready(daemon);
  } catch (err) {
    await daemon.stop();
    dir.remove();
    throw err;
  }
  const urlFor = (db: string) =>
    `postgresql://mailstack@localhost/${db}?host=${encodeURIComponent(dir.path)}`;
  const url = urlFor('postgres');
  return {
    url,
    socketDir: dir.path,
    daemon,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return urlFor(name);
    },
    async stop() {
      // SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to leave).
      if (!daemon.exited()) daemon.child.kill('SIGINT');
      await daemon.stop(10_000);
      dir.remove();
    },
  };
}

/** Resolves once the server logs that it accepts connections; rejects if it exits first. */
function ready(daemon: Daemon): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (/database system is ready to accept connections/.test(daemon.output())) {
        cleanup();
        resolve();
      }
    };
    const exited = () => {
      cleanup();
      reject(
        new Error(`postgres exited before it was ready (as ${userInfo().username}):\n${daemon.output()}`),
      );
    };
    const cleanup = () => {
      daemon.child.stderr?.off('data', check);
      daemon.child.stdout?.off('data', check);
      daemon.child.off('exit', exited);
    };
    daemon.child.stderr?.on('data', check);
    daemon.child.stdout?.on('data', check);
    daemon.child.once('exit', exited);
    check();
  });
}
