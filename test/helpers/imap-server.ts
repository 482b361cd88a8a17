import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Daemon, startDaemon } from './daemon.ts';
import { REPO_ROOT } from './mda.ts';
import { waitFor } from './net.ts';

export interface ImapServerOptions {
  /** Maildir store root (`--data`): mailboxes at `<data>/<domain>/<local>/Maildir`. */
  data: string;
  /** Directory file (packages/directory format; see directory-file.ts). */
  directory: string;
  /** With a certificate the plain port offers STARTTLS and an implicit-TLS port is opened too. */
  cert?: { certPath: string; keyPath: string };
  /** `--allow-cleartext-auth-on-loopback`: LOGIN without TLS from 127.0.0.1. */
  cleartextOnLoopback?: boolean;
  args?: string[];
}

export interface ImapServerProcess {
  readonly host: string;
  /** Plain listener (STARTTLS offered when a certificate was given). */
  readonly port: number;
  /** Implicit-TLS listener, when a certificate was given. */
  readonly tlsPort: number | undefined;
  readonly pid: number;
  /** stdout + stderr so far (its JSON logs), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

interface ListeningLine {
  event?: string;
  tls?: string;
  host?: string;
  port?: number;
}

/**
 * Spawns our IMAP server standalone (`node packages/imap/src/main.ts --data <dir> --directory
 * <file> --listen 127.0.0.1:0 [--listen-tls 127.0.0.1:0 --cert <pem> --key <pem>]`) in its
 * own process group and reads the bound ports from the `{"event":"listening",...}` lines.
 */
export async function startImapServer(options: ImapServerOptions): Promise<ImapServerProcess> {
  const args = [
    join(REPO_ROOT, 'packages/imap/src/main.ts'),
    '--data',
    options.data,
    '--directory',
    options.directory,
    '--listen',
    '127.0.0.1:0',
  ];
  if (options.cert !== undefined) {
    args.push('--listen-tls', '127.0.0.1:0', '--cert', options.cert.certPath, '--key', options.cert.keyPath);
  }
  if (options.cleartextOnLoopback === true) args.push('--allow-cleartext-auth-on-loopback');
  args.push(...(options.args ?? []));
  const daemon: Daemon = startDaemon(process.execPath, args);
  const stdout = daemon.child.stdout;
  if (stdout === null) throw new Error('no stdout from imap');
  const found: ListeningLine[] = [];
  createInterface({ input: stdout }).on('line', (line) => {
    try {
      const parsed = JSON.parse(line) as ListeningLine;
      if (parsed.event === 'listening' && typeof parsed.port === 'number') found.push(parsed);
    } catch {
      // Not a banner line; keep reading.
    }
  });
  const expected = options.cert === undefined ? 1 : 2;
  try {
    await waitFor('imap to print its listening addresses', () => {
      if (daemon.exited()) throw new Error(`imap exited before listening:\n${daemon.output()}`);
      return found.length >= expected;
    });
    const implicit = found.find((f) => f.tls === 'implicit');
    const plain = found.find((f) => f.tls !== 'implicit');
    if (plain?.port === undefined)
      throw new Error(`imap printed no plain listener: ${JSON.stringify(found)}`);
    return {
      host: plain.host ?? '127.0.0.1',
      port: plain.port,
      tlsPort: implicit?.port,
      pid: daemon.child.pid ?? 0,
      output: daemon.output,
      stop: () => daemon.stop(),
    };
  } catch (error) {
    await daemon.stop();
    throw error;
  }
}
