import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AgentName, ConfigInput } from '@mailstack/config';
import { type Daemon, startDaemon } from './daemon.ts';
import { MAILSTACK_BIN } from './mailstack-cli.ts';
import { waitFor } from './net.ts';

/** One `{"event":"listening",...}` line of `mailstack <agent>`, in the config's listener order. */
export type ListeningLine = TcpListeningLine | SocketListeningLine;

export interface TcpListeningLine {
  agent: string;
  protocol: string;
  host: string;
  port: number;
  path?: undefined;
}

/** An mda listener on a unix socket (`socket` in the config): its absolute path. */
export interface SocketListeningLine {
  agent: string;
  protocol: string;
  path: string;
  host?: undefined;
  port?: undefined;
}

/** A listening line that must be a TCP one (a helper's listener): throws otherwise. */
export function tcpLine(line: ListeningLine | undefined, agent: string): TcpListeningLine {
  if (line?.port === undefined) throw new Error(`${agent} printed no TCP listener (${JSON.stringify(line)})`);
  return line;
}

/** `mailstack <agent> --config FILE` running in its own process group. */
export interface AgentDaemon {
  readonly daemon: Daemon;
  /** Its listeners, in the order of the config's `listeners` (none for the queue runner). */
  readonly listening: ListeningLine[];
  /** The config file it was started with. */
  readonly config: string;
}

/** A TCP listener of the agent on 127.0.0.1 (port 0: any free port). */
export const loopback = (
  agent: Exclude<AgentName, 'queue-runner'>,
  tls: 'none' | 'starttls' | 'implicit',
  port = 0,
): NonNullable<ConfigInput['listeners']>[number] => ({ agent, address: '127.0.0.1', port, tls });

/** The local domains a packages/directory file names (a config must name at least one). */
export function directoryDomains(directoryFile: string): string[] {
  try {
    const domains = (JSON.parse(readFileSync(directoryFile, 'utf8')) as { domains?: string[] }).domains;
    if (domains?.length) return domains;
  } catch {
    // no file yet: the agent creates it
  }
  return ['example.test'];
}

/** The folders of the config files written so far, removed when the test process exits. */
const configFolders = new Set<string>();

/**
 * Writes `config` (JSON, which is YAML; log level `warn` unless it says otherwise) to a
 * throwaway file, removed when this process exits.
 */
export async function writeConfigFile(config: ConfigInput, name = 'config'): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), `mailstack-${name}-`));
  if (configFolders.size === 0) {
    process.once('exit', () => {
      for (const f of configFolders) rmSync(f, { recursive: true, force: true });
    });
  }
  configFolders.add(folder);
  const file = join(folder, 'mailstack.yaml');
  writeFileSync(file, `${JSON.stringify({ log: { level: 'warn' }, ...config }, null, 2)}\n`);
  return file;
}

/**
 * Writes `config` to a throwaway file (writeConfigFile) and starts `mailstack <agent>
 * --config FILE` as the operator would, in its own process group; resolves once it printed
 * its `listening` lines (the queue runner: its `running` line). `nodeArgs` go before the bin
 * (`--max-old-space-size`, a profiler); `bin` is another checkout's `mailstack` (a bench's
 * reference).
 */
export async function startConfiguredAgent(
  agent: AgentName,
  config: ConfigInput,
  options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; bin?: string } = {},
): Promise<AgentDaemon> {
  const file = await writeConfigFile(config, agent);
  const expected = (config.listeners ?? []).filter((l) => l.agent === agent).length;
  const daemon = startDaemon(
    process.execPath,
    [...(options.nodeArgs ?? []), options.bin ?? MAILSTACK_BIN, agent, '--config', file],
    options.env ? { env: options.env } : {},
  );
  const stdout = daemon.child.stdout;
  if (stdout === null) throw new Error(`no stdout from ${agent}`);
  const listening: ListeningLine[] = [];
  let running = false;
  createInterface({ input: stdout }).on('line', (line) => {
    try {
      const parsed = JSON.parse(line) as { event?: string } & ListeningLine;
      if (parsed.event === 'listening') listening.push(parsed);
      if (parsed.event === 'running') running = true;
    } catch {
      // not one of its JSON lines
    }
  });
  try {
    await waitFor(`${agent} to print its listening lines`, () => {
      if (daemon.exited()) throw new Error(`${agent} exited before listening:\n${daemon.output()}`);
      return agent === 'queue-runner' ? running : listening.length >= expected;
    });
    return { daemon, listening, config: file };
  } catch (error) {
    await daemon.stop();
    throw error;
  }
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `extra` over `base`, object by object (arrays and scalars replaced): a test's knobs over a helper's config. */
export function mergeConfig(base: ConfigInput, extra: ConfigInput = {}): ConfigInput {
  const merge = (a: Plain, b: Plain): Plain => {
    const out: Plain = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = isPlain(v) && isPlain(out[k]) ? merge(out[k], v) : v;
    return out;
  };
  return merge(base as Plain, extra as Plain) as ConfigInput;
}

/**
 * The config of an agent over files a test made: the directory file (its domains are the
 * config's, its folder the state folder, where the login throttle's file sits beside it), the
 * Maildir root and the spool, and the certificate when given.
 */
export function filesConfig(files: {
  directory: string;
  mail?: string;
  spool?: string;
  data?: string;
  cert?: { certPath: string; keyPath: string } | undefined;
}): ConfigInput {
  return {
    domains: directoryDomains(files.directory),
    paths: {
      data: files.data ?? dirname(files.directory),
      directory: files.directory,
      ...(files.mail ? { mail: files.mail } : {}),
      ...(files.spool ? { spool: files.spool } : {}),
    },
    ...(files.cert ? { tls: { cert: files.cert.certPath, key: files.cert.keyPath } } : {}),
  };
}

/** A started server as the per-protocol helpers hand it out: its first listener, and its second if any. */
export interface ServerHandle {
  readonly host: string;
  /** The first listener of the config (the plain or STARTTLS one). */
  readonly port: number;
  /** The second listener (the implicit-TLS one), when the config has one. */
  readonly tlsPort: number | undefined;
  readonly pid: number;
  /** Its listening lines, as parsed. */
  readonly banners: ListeningLine[];
  /** stdout + stderr so far (its JSON logs), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export function serverHandle({ daemon, listening }: AgentDaemon): ServerHandle {
  const [first, second] = listening;
  if (first?.port === undefined) throw new Error(`printed no TCP listener first:\n${daemon.output()}`);
  return {
    host: first.host,
    port: first.port,
    tlsPort: second?.port,
    pid: daemon.child.pid ?? 0,
    banners: listening,
    output: daemon.output,
    stop: () => daemon.stop(),
  };
}

/** A server with a plain or STARTTLS listener and an implicit-TLS one. */
export type TlsServerHandle = ServerHandle & { readonly tlsPort: number };

export function tlsServerHandle(started: AgentDaemon): TlsServerHandle {
  const handle = serverHandle(started);
  const { tlsPort } = handle;
  if (tlsPort === undefined) throw new Error(`printed no second listener:\n${started.daemon.output()}`);
  return { ...handle, tlsPort };
}

/** An agent process as the crash and memory tests handle it: kill it, wait for its exit code. */
export interface AgentChild {
  readonly child: ChildProcess;
  /** Its first listener's port. */
  readonly port: number;
  readonly listening: ListeningLine[];
  /** Its exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** What it wrote so far, for failure messages. */
  stderr(): string;
  stop(): Promise<void>;
}

export async function startAgentChild(agent: AgentName, config: ConfigInput): Promise<AgentChild> {
  const { daemon, listening } = await startConfiguredAgent(agent, config);
  const { child } = daemon;
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return {
    child,
    port: listening[0]?.port ?? 0,
    listening,
    exited,
    stderr: daemon.output,
    stop: () => daemon.stop(),
  };
}
