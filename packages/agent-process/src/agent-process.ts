/**
 * What every stand-alone agent process (`packages/<agent>/src/main.ts`) does the same way:
 * the listener flags, `host:port` parsing, one JSON line on stdout per bound listener (tests
 * and benches read the ephemeral ports from it), a clean stop on SIGTERM/SIGINT, and sysexits
 * codes for usage errors and start-up failures.
 */

/** sysexits(3) EX_USAGE and EX_SOFTWARE. */
export const EXIT_USAGE = 64;
export const EXIT_SOFTWARE = 70;

/** The flags of an agent with a plain and an implicit-TLS listener (`node:util` parseArgs options). */
export const LISTENER_FLAGS = {
  data: { type: 'string' },
  directory: { type: 'string' },
  listen: { type: 'string' },
  'listen-tls': { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  hostname: { type: 'string' },
  'allow-cleartext-auth-on-loopback': { type: 'boolean' },
  'log-level': { type: 'string' },
  'max-connections-per-client': { type: 'string' },
} as const;

/**
 * `--max-connections-per-client <n>` as the listener option (absent: the listener's default
 * of 50); null when it is not a positive integer.
 */
export function perClientLimit(value: string | undefined): { maxConnectionsPerClient?: number } | null {
  if (value === undefined) return {};
  return /^[1-9]\d*$/.test(value) ? { maxConnectionsPerClient: Number(value) } : null;
}

export interface HostPort {
  host: string;
  port: number;
}

/** `127.0.0.1:2525`, `[::1]:0` → host and port; undefined when absent, null when malformed. */
export function parseHostPort(value: string | undefined): HostPort | null | undefined {
  if (value === undefined) return undefined;
  const m = /^(.*):(\d+)$/.exec(value);
  if (!m) return null;
  const port = Number(m[2]);
  return port <= 65535 ? { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port } : null;
}

export function exitWithUsage(usage: string): never {
  process.stderr.write(`${usage}\n`);
  process.exit(EXIT_USAGE);
}

export interface Listener {
  listen(port: number, host: string): Promise<object>;
  close(): Promise<void>;
}

/**
 * Starts the plain listener and/or the implicit-TLS one and announces each bound address as
 * `{"event":"listening", ...describe(implicitTls), port, host}`.
 */
export async function listenPlainAndImplicit<L extends Listener>(options: {
  plain?: HostPort | undefined;
  implicit?: HostPort | undefined;
  create(implicitTls: boolean): L;
  describe(implicitTls: boolean): { protocol: string; tls: string };
}): Promise<L[]> {
  const listeners: L[] = [];
  for (const [where, implicitTls] of [
    [options.plain, false],
    [options.implicit, true],
  ] as const) {
    if (!where) continue;
    const listener = options.create(implicitTls);
    listeners.push(listener);
    const address = await listener.listen(where.port, where.host);
    process.stdout.write(
      `${JSON.stringify({ event: 'listening', ...options.describe(implicitTls), ...address })}\n`,
    );
  }
  return listeners;
}

/** Exit code after a second signal: the shell's 128 + signal number (130 for SIGINT). */
export const EXIT_SIGNAL: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

type StopSignal = 'SIGINT' | 'SIGTERM';

/**
 * The process's one pair of signal handlers, installed by runMain before main starts: a signal
 * that arrives while the agent is still starting (its listening lines may already be out, and
 * a supervisor that read them may stop it at once) would otherwise kill it by the default
 * action, mid-way and without its goodbyes. Such a signal waits for closeOnSignals; a second
 * one before that exits at once.
 */
const signals: { stop?: (signal: StopSignal) => void; pending?: StopSignal } = {};

function onSignal(signal: StopSignal): void {
  if (signals.stop) {
    signals.stop(signal);
    return;
  }
  if (signals.pending) {
    logLine({ level: 'warn', event: 'stop-now', signal });
    process.exit(EXIT_SIGNAL[signal]);
  }
  signals.pending = signal;
}

let installed = false;

/** Once per process, from whichever of runMain and closeOnSignals comes first. */
function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

/**
 * On the first SIGTERM or SIGINT: run `close` (listeners stop accepting, say 421/BYE to idle
 * clients at once and let transactions in flight finish, bounded by their close timeout),
 * then exit 0 whatever it did. A second signal exits at once with 128 + its number: the
 * operator who presses Ctrl-C twice wants the process gone. A signal that came while the
 * agent was starting is acted on now.
 */
export function closeOnSignals(close: () => Promise<unknown>): void {
  let stopping = false;
  signals.stop = (signal) => {
    if (stopping) {
      logLine({ level: 'warn', event: 'stop-now', signal });
      process.exit(EXIT_SIGNAL[signal]);
    }
    stopping = true;
    logLine({ level: 'info', event: 'stopping', signal });
    close().finally(() => process.exit(0));
  };
  installSignalHandlers();
  const early = signals.pending;
  signals.pending = undefined;
  if (early) signals.stop(early);
}

/**
 * Runs an entry's main with its arguments; a start-up failure is one JSON line and exit 70.
 * The signal handlers go in first, so a stop request during start-up is kept, not fatal.
 */
export function runMain(main: (argv: string[]) => Promise<void>): void {
  installSignalHandlers();
  main(process.argv.slice(2)).catch((err: unknown) => {
    logLine({ level: 'error', event: 'startup-failed', err: String(err) });
    process.exit(EXIT_SOFTWARE);
  });
}

/** A line in the shape of @mailstack/log's (level, ISO time, event, fields), before any logger exists. */
function logLine(fields: { level: string; [field: string]: unknown }): void {
  const { level, ...rest } = fields;
  process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), ...rest })}\n`);
}
