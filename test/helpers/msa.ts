import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Daemon, startDaemon } from './daemon.ts';
import { findAddress, REPO_ROOT } from './mda.ts';
import { waitFor } from './net.ts';

export interface MsaOptions {
  /** State dir (`--data`). */
  data: string;
  /** Directory file (packages/directory format; see directory-file.ts). */
  directory: string;
  /** Spool dir (`--spool`, packages/queue's file spool). */
  spool: string;
  certPath: string;
  keyPath: string;
  args?: string[];
}

export interface MsaProcess {
  readonly host: string;
  /** STARTTLS listener (`--listen`, 587-style). */
  readonly port: number;
  /** Implicit-TLS listener (`--listen-tls`, 465-style). */
  readonly tlsPort: number;
  readonly pid: number;
  /** The JSON lines it printed for its listeners, as parsed. */
  readonly banners: unknown[];
  output(): string;
  stop(): Promise<void>;
}

/** Whether a listener's banner line says it is the implicit-TLS one (and not STARTTLS). */
function isImplicitTlsBanner(banner: unknown): boolean {
  const text = JSON.stringify(banner);
  if (/implicit|submissions|smtps|wrapper|"tls"\s*:\s*true|"secure"\s*:\s*true|listen-?tls/i.test(text))
    return true;
  return false;
}

/**
 * Spawns our MSA standalone (`node packages/msa/src/main.ts --data <dir> --directory <file>
 * --spool <dir> --listen 127.0.0.1:0 --listen-tls 127.0.0.1:0 --cert <pem> --key <pem>`) in
 * its own process group, and reads the bound addresses from the JSON line it prints per
 * listener: the one that names implicit TLS is `tlsPort`; otherwise they come in the order
 * of the flags.
 */
export async function startMsa(options: MsaOptions): Promise<MsaProcess> {
  const daemon: Daemon = startDaemon(process.execPath, [
    join(REPO_ROOT, 'packages/msa/src/main.ts'),
    '--data',
    options.data,
    '--directory',
    options.directory,
    '--spool',
    options.spool,
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
  if (stdout === null) throw new Error('no stdout from msa');
  const found: Array<{ banner: unknown; host: string; port: number }> = [];
  createInterface({ input: stdout }).on('line', (line) => {
    if (found.length >= 2) return;
    try {
      const parsed: unknown = JSON.parse(line);
      const address = findAddress(parsed);
      if (address !== undefined) found.push({ banner: parsed, ...address });
    } catch {
      // Not a JSON banner line; keep reading.
    }
  });
  try {
    await waitFor('msa to print both listening addresses', () => {
      if (daemon.exited()) throw new Error(`msa exited before listening:\n${daemon.output()}`);
      return found.length >= 2;
    });
    const tlsIndex = found.findIndex((f) => isImplicitTlsBanner(f.banner));
    const [starttls, implicit] =
      tlsIndex === 0 ? [found[1], found[0]] : tlsIndex === 1 ? [found[0], found[1]] : [found[0], found[1]];
    if (starttls === undefined || implicit === undefined)
      throw new Error('msa printed fewer than two listeners');
    return {
      host: starttls.host,
      port: starttls.port,
      tlsPort: implicit.port,
      pid: daemon.child.pid ?? 0,
      banners: found.map((f) => f.banner),
      output: daemon.output,
      stop: () => daemon.stop(),
    };
  } catch (error) {
    await daemon.stop();
    throw error;
  }
}
