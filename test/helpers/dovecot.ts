import {
  appendFileSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { type Daemon, makeTempDir, startDaemon } from './daemon.ts';
import { dovecotConfig } from './dovecot-config.ts';
import { canConnect, freePort, waitFor } from './net.ts';
import { PROGRAMS, requirePrograms } from './programs.ts';
import { runOk } from './run.ts';

/** Debian's `mail` user: Dovecot will not do mail access as uid 0. */
const MAIL_USER = 'mail';
/** Name of the extra auth-client socket under base_dir (`<dir>/run`). */
const AUTH_SOCKET = 'auth-sasl';

export interface DovecotOptions {
  /** Users as `local@domain` → plaintext password. More can be added with `addUser`. */
  users?: Record<string, string>;
  /** Use an existing mail root (e.g. one our store wrote) instead of a fresh one. */
  mailRoot?: string;
  fsync?: 'always' | 'optimized' | 'never';
  /** Enables Dovecot's Maildir++ quota (maildirsize) with these limits. */
  quota?: { storageBytes: number; messages: number };
  /**
   * Also listen for auth clients (Postfix's SASL) on `authSocket`, a socket owned by this
   * user/group (e.g. `postfix`).
   */
  authSocketFor?: { user: string; group: string };
}

/** One message as `doveadm fetch` gives it. */
export interface DovecotMessage {
  uid: number;
  /** Without `\Recent` (session state), sorted. */
  flags: string[];
  guid: string;
  /** Full message with LF line ends, as doveadm prints it. */
  text: string;
  /** RFC822.SIZE (CRLF form). */
  virtualSize: number;
  /** INTERNALDATE as Unix seconds. */
  receivedUnix: number;
}

export interface DovecotInstance {
  readonly dir: string;
  /** The master's pid, also the process group of every Dovecot process of this instance. */
  readonly pid: number;
  readonly confPath: string;
  readonly mailRoot: string;
  readonly logFile: string;
  readonly ports: { imap: number; pop3: number; lmtp: number };
  /** Absolute path of the auth-client socket asked for with `authSocketFor`. */
  readonly authSocket: string | undefined;
  addUser(address: string, password: string): void;
  /** `<mailRoot>/<domain>/<local>/Maildir`, the same path packages/maildir uses. */
  maildirOf(address: string): string;
  /** Hands a tree our (root) process wrote to Dovecot's mail user. */
  chownMail(): void;
  /** `doveadm -c conf -f json ...args`, parsed. */
  doveadm(args: string[], input?: string | Buffer): Promise<unknown>;
  /** `doveadm -c conf ...args`, raw stdout. */
  doveadmRaw(args: string[], input?: string | Buffer): Promise<string>;
  fetch(user: string, mailbox: string): Promise<DovecotMessage[]>;
  status(user: string, mailbox: string): Promise<{ uidValidity: number; uidNext: number; messages: number }>;
  listMailboxes(user: string): Promise<string[]>;
  log(): string;
  /** Stops the master and its children; removes the temp dir (not a caller-given mailRoot). */
  stop(): Promise<void>;
}

export async function startDovecot(options: DovecotOptions = {}): Promise<DovecotInstance> {
  requirePrograms('dovecot', 'doveadm', 'dovecotLmtp', 'dovecotImap', 'dovecotPop3');
  const tmp = makeTempDir('dovecot');
  const dir = tmp.path;
  const mailRoot = options.mailRoot ?? join(dir, 'mail');
  const usersFile = join(dir, 'users');
  const logFile = join(dir, 'dovecot.log');
  const confPath = join(dir, 'dovecot.conf');
  const ports = { imap: await freePort(), pop3: await freePort(), lmtp: await freePort() };
  mkdirSync(mailRoot, { recursive: true });
  writeFileSync(usersFile, '', { mode: 0o644 });
  writeFileSync(logFile, '');
  writeFileSync(
    confPath,
    dovecotConfig({
      dir,
      mailRoot,
      usersFile,
      logFile,
      ports,
      fsync: options.fsync ?? 'optimized',
      ...(options.quota === undefined ? {} : { quota: options.quota }),
      mailUser: MAIL_USER,
      instanceName: `mailstack-${process.pid}-${ports.lmtp}`,
      ...(options.authSocketFor === undefined
        ? {}
        : { authSocket: { name: AUTH_SOCKET, ...options.authSocketFor } }),
    }),
  );
  const uid = Number((await runOk('id', ['-u', MAIL_USER])).stdout.trim());
  const gid = Number((await runOk('id', ['-g', MAIL_USER])).stdout.trim());
  const chownMail = () => chownTree(mailRoot, uid, gid);
  chownMail();

  const addUser = (address: string, password: string) => {
    if (/[:\n]/.test(address) || /\n/.test(password)) throw new Error(`bad passwd-file entry ${address}`);
    appendFileSync(usersFile, `${address.toLowerCase()}:{PLAIN}${password}\n`);
  };
  for (const [address, password] of Object.entries(options.users ?? {})) addUser(address, password);

  let daemon: Daemon | undefined;
  const stop = async () => {
    if (daemon !== undefined) {
      if (!daemon.exited()) await runOk(PROGRAMS.doveadm, ['-c', confPath, 'stop']).catch(() => undefined);
      // Also when the master died on its own: its workers share its process group.
      await daemon.stop();
    }
    tmp.remove();
  };
  try {
    daemon = startDaemon(PROGRAMS.dovecot, ['-F', '-c', confPath]);
    const started = daemon;
    for (const [name, port] of Object.entries(ports)) {
      await waitFor(`dovecot ${name} on ${port}`, async () => {
        if (started.exited()) throw new Error(`dovecot exited: ${started.output()}\n${readLog(logFile)}`);
        return canConnect(port);
      });
    }
    if (options.authSocketFor !== undefined) {
      const socket = join(dir, 'run', AUTH_SOCKET);
      await waitFor(`dovecot auth socket ${socket}`, () => existsSync(socket));
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const doveadmRaw = async (args: string[], input?: string | Buffer) =>
    (await runOk(PROGRAMS.doveadm, ['-c', confPath, ...args], input === undefined ? {} : { input })).stdout;
  const doveadm = async (args: string[], input?: string | Buffer) => {
    const out = await doveadmRaw(['-f', 'json', ...args], input);
    return out.trim() === '' ? [] : JSON.parse(out);
  };

  return {
    dir,
    pid: daemon.child.pid ?? 0,
    confPath,
    mailRoot,
    logFile,
    ports,
    authSocket: options.authSocketFor === undefined ? undefined : join(dir, 'run', AUTH_SOCKET),
    addUser,
    maildirOf: (address) => {
      const [local, domain] = splitAt(address);
      return join(mailRoot, domain, local, 'Maildir');
    },
    chownMail,
    doveadm,
    doveadmRaw,
    async fetch(user, mailbox) {
      const rows = (await doveadm([
        'fetch',
        '-u',
        user,
        'uid flags guid size.virtual date.received.unixtime text',
        'mailbox',
        mailbox,
        'all',
      ])) as Array<Record<string, string>>;
      return rows.map((r) => ({
        uid: Number(r.uid),
        flags: (r.flags ?? '')
          .split(' ')
          .filter((f) => f !== '' && f !== '\\Recent')
          .sort(),
        guid: r.guid ?? '',
        text: r.text ?? '',
        virtualSize: Number(r['size.virtual']),
        receivedUnix: Number(r['date.received.unixtime']),
      }));
    },
    async status(user, mailbox) {
      const rows = (await doveadm([
        'mailbox',
        'status',
        '-u',
        user,
        'uidvalidity uidnext messages',
        mailbox,
      ])) as Array<Record<string, string>>;
      const row = rows[0];
      if (row === undefined) throw new Error(`no status for ${user} ${mailbox}`);
      return {
        uidValidity: Number(row.uidvalidity),
        uidNext: Number(row.uidnext),
        messages: Number(row.messages),
      };
    },
    async listMailboxes(user) {
      const rows = (await doveadm(['mailbox', 'list', '-u', user])) as Array<Record<string, string>>;
      return rows.map((r) => r.mailbox ?? '').sort();
    },
    log: () => readLog(logFile),
    stop,
  };
}

function splitAt(address: string): [string, string] {
  const at = address.lastIndexOf('@');
  if (at < 1) throw new Error(`not an address: ${address}`);
  return [address.slice(0, at).toLowerCase(), address.slice(at + 1).toLowerCase()];
}

function readLog(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (!lstatSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid);
}
