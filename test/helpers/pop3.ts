import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Daemon, startDaemon } from './daemon.ts';
import type { DovecotInstance } from './dovecot.ts';
import { REPO_ROOT } from './mda.ts';
import { canConnect, freePort, waitFor } from './net.ts';

export interface Pop3Options {
  /** Maildir store root (`--data`): mailboxes at `<data>/<domain>/<local>/Maildir`. */
  data: string;
  /** Directory file (packages/directory format; see directory-file.ts). */
  directory: string;
  certPath: string;
  keyPath: string;
  args?: string[];
}

export interface Pop3Process {
  readonly host: string;
  /** Plain listener offering STLS (`--listen`, 110-style). */
  readonly port: number;
  /** Implicit-TLS listener (`--listen-tls`, 995-style). */
  readonly tlsPort: number;
  readonly pid: number;
  /** The JSON lines it printed for its listeners, as parsed. */
  readonly banners: unknown[];
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
 * Spawns our POP3 server standalone (`node packages/pop3/src/main.ts --data <dir> --directory
 * <file> --listen 127.0.0.1:0 --listen-tls 127.0.0.1:0 --cert <pem> --key <pem>`) in its own
 * process group and reads both bound ports from the `{"event":"listening",...}` lines it
 * prints (`"tls":"implicit"` marks the 995-style one).
 */
export async function startPop3(options: Pop3Options): Promise<Pop3Process> {
  const daemon: Daemon = startDaemon(process.execPath, [
    join(REPO_ROOT, 'packages/pop3/src/main.ts'),
    '--data',
    options.data,
    '--directory',
    options.directory,
    '--listen',
    '127.0.0.1:0',
    '--listen-tls',
    '127.0.0.1:0',
    '--cert',
    options.certPath,
    '--key',
    options.keyPath,
    ...(options.args ?? []),
  ]);
  const stdout = daemon.child.stdout;
  if (stdout === null) throw new Error('no stdout from pop3');
  const found: ListeningLine[] = [];
  createInterface({ input: stdout }).on('line', (line) => {
    try {
      const parsed = JSON.parse(line) as ListeningLine;
      if (parsed.event === 'listening' && typeof parsed.port === 'number') found.push(parsed);
    } catch {
      // Not a banner line; keep reading.
    }
  });
  try {
    await waitFor('pop3 to print both listening addresses', () => {
      if (daemon.exited()) throw new Error(`pop3 exited before listening:\n${daemon.output()}`);
      return found.length >= 2;
    });
    const implicit = found.find((f) => f.tls === 'implicit');
    const plain = found.find((f) => f.tls !== 'implicit');
    if (implicit?.port === undefined || plain?.port === undefined) {
      throw new Error(`pop3 printed no plain + implicit-TLS pair: ${JSON.stringify(found)}`);
    }
    return {
      host: plain.host ?? '127.0.0.1',
      port: plain.port,
      tlsPort: implicit.port,
      pid: daemon.child.pid ?? 0,
      banners: found,
      output: daemon.output,
      stop: () => daemon.stop(),
    };
  } catch (error) {
    await daemon.stop();
    throw error;
  }
}

/**
 * Turns TLS on in a running throwaway Dovecot (startDovecot writes `ssl = no`): appends
 * `ssl = yes` with the given certificate and a loopback pop3s listener to its config — a later
 * setting or same-named listener section overrides the earlier one in Dovecot's config — and
 * `doveadm reload`s it. STLS is then offered on the plain POP3 port too. Returns the pop3s port.
 */
export async function enableDovecotPop3Tls(
  dovecot: DovecotInstance,
  cert: { certPath: string; keyPath: string },
): Promise<number> {
  const pop3sPort = await freePort();
  appendFileSync(
    dovecot.confPath,
    `
# appended by test/helpers/pop3.ts: TLS for the POP3 interop control
ssl = yes
ssl_cert = <${cert.certPath}
ssl_key = <${cert.keyPath}
ssl_min_protocol = TLSv1.2
service pop3-login {
  inet_listener pop3s {
    address = 127.0.0.1
    port = ${pop3sPort}
    ssl = yes
  }
}
`,
  );
  await dovecot.doveadmRaw(['reload']);
  await waitFor(`dovecot pop3s on ${pop3sPort} after reload`, () => canConnect(pop3sPort), 20_000, 50).catch(
    (error: Error) => {
      throw new Error(
        `${error.message}; dovecot log ends:\n${dovecot.log().split('\n').slice(-20).join('\n')}`,
      );
    },
  );
  return pop3sPort;
}
