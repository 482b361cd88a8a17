import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Daemon, makeTempDir, startDaemon } from './daemon.ts';
import { canConnect, freePort, waitFor } from './net.ts';
import { type PostfixConfigInput, postfixMainCf, postfixMasterCf } from './postfix-config.ts';
import { PROGRAMS, requirePrograms } from './programs.ts';
import { run, runOk } from './run.ts';

export interface PostfixOptions {
  domains: string[];
  /** Where Postfix delivers the domains' mail, e.g. `{ host: '127.0.0.1', port: 24024 }`. */
  lmtp?: { host: string; port: number };
  /**
   * Adds submission listeners (STARTTLS-required and implicit TLS, both with SASL AUTH
   * required through a Dovecot auth socket); see postfix-submission.ts for the whole setup.
   */
  submission?: {
    certPath: string;
    keyPath: string;
    saslPath: string;
    /** Hold every accepted message instead of delivering it (default true). */
    hold?: boolean;
    maxProcesses?: number;
    maxIdleSeconds?: number;
  };
}

export interface PostfixInstance {
  readonly dir: string;
  /** The `master` pid, also the process group (and session) of every Postfix worker. */
  readonly pid: number;
  readonly smtpPort: number;
  /** STARTTLS submission port, when `submission` was given. */
  readonly submissionPort: number | undefined;
  /** Implicit-TLS submission port, when `submission` was given. */
  readonly submissionTlsPort: number | undefined;
  readonly logFile: string;
  log(): string;
  /** Polls Postfix's own log file until `pattern` matches; returns the match. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** `postqueue -p` output (empty queue prints "Mail queue is empty"). */
  queue(): Promise<string>;
  /** `postqueue -j`: one object per queued message (queue_name: incoming/active/deferred/hold). */
  queueJson(): Promise<Array<{ queue_name: string; queue_id: string; sender: string; message_size: number }>>;
  stop(): Promise<void>;
}

/**
 * A throwaway Postfix: `postfix -c <tmp>/etc start-fg` in its own process group, with its own
 * queue and log. Stop runs `postfix -c <tmp>/etc stop`, then kills the group if anything is left.
 */
export async function startPostfix(options: PostfixOptions): Promise<PostfixInstance> {
  requirePrograms('postfix', 'postconf');
  const tmp = makeTempDir('postfix');
  const dir = tmp.path;
  const smtpPort = await freePort();
  const logFile = join(dir, 'maillog');
  const sub = options.submission;
  const submissionPorts =
    sub === undefined ? undefined : { port: await freePort(), tlsPort: await freePort() };
  const input: PostfixConfigInput = {
    dir,
    smtpPort,
    domains: options.domains,
    ...(options.lmtp === undefined ? {} : { lmtpTarget: `inet:${options.lmtp.host}:${options.lmtp.port}` }),
    logFile,
    ...(sub === undefined || submissionPorts === undefined
      ? {}
      : {
          submission: {
            ...submissionPorts,
            certPath: sub.certPath,
            keyPath: sub.keyPath,
            saslPath: sub.saslPath,
            hold: sub.hold ?? true,
            ...(sub.maxProcesses === undefined ? {} : { maxProcesses: sub.maxProcesses }),
            ...(sub.maxIdleSeconds === undefined ? {} : { maxIdleSeconds: sub.maxIdleSeconds }),
          },
        }),
  };
  const ports = [
    smtpPort,
    ...(submissionPorts === undefined ? [] : [submissionPorts.port, submissionPorts.tlsPort]),
  ];
  const launched = await launchPostfix(tmp, {
    files: { 'main.cf': postfixMainCf(input), 'master.cf': postfixMasterCf(input) },
    listeners: ports.map((port) => ({ host: '127.0.0.1', port })),
  });
  const { configDir, env, masterPid, stop } = launched;
  const readLog = launched.log;
  return {
    dir,
    pid: masterPid,
    smtpPort,
    submissionPort: submissionPorts?.port,
    submissionTlsPort: submissionPorts?.tlsPort,
    logFile,
    log: readLog,
    waitForLog: (pattern, timeoutMs = 30_000) =>
      waitFor(
        `postfix log to match ${pattern}`,
        () => readLog().match(pattern) ?? undefined,
        timeoutMs,
        100,
      ).catch((error: Error) => {
        const tail = readLog().split('\n').slice(-30).join('\n');
        throw new Error(`${error.message}; postfix log ends:\n${tail}`);
      }),
    queue: async () => (await run('/usr/sbin/postqueue', ['-c', configDir, '-p'], { env })).stdout,
    queueJson: async () =>
      (await runOk('/usr/sbin/postqueue', ['-c', configDir, '-j'], { env })).stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line)),
    stop,
  };
}

export interface LaunchedPostfix {
  readonly configDir: string;
  /** `MAIL_CONFIG` pointing at `configDir`, for postqueue/postconf. */
  readonly env: NodeJS.ProcessEnv;
  /** The `master` pid, also the process group of every Postfix worker. */
  readonly masterPid: number;
  /** Postfix's own log file (`maillog_file = <dir>/maillog` in main.cf). */
  log(): string;
  /** `postfix stop`, then the process group, then the temp dir. */
  stop(): Promise<void>;
}

/**
 * Runs `postfix -c <dir>/etc start-fg` in a throwaway dir with the given config files, waits
 * until every listener accepts, and adopts the master's process group. Shared by the test
 * instances here and the bench's relay pair, which differ only in their config.
 */
export async function launchPostfix(
  tmp: { path: string; remove(): void },
  options: { files: Record<string, string>; listeners: Array<{ host: string; port: number }>; name?: string },
): Promise<LaunchedPostfix> {
  const dir = tmp.path;
  const label = options.name ? `postfix ${options.name}` : 'postfix';
  // postfix-script wants everything under the config dir owned by root, and the data dir
  // owned by postfix; it creates the queue's subdirs itself before the master starts.
  const configDir = join(dir, 'etc');
  mkdirSync(configDir, { mode: 0o755 });
  for (const [file, text] of Object.entries(options.files)) writeFileSync(join(configDir, file), text);
  mkdirSync(join(dir, 'queue'), { mode: 0o755 });
  mkdirSync(join(dir, 'data'), { mode: 0o700 });
  const postfixUid = Number((await runOk('id', ['-u', 'postfix'])).stdout.trim());
  const postfixGid = Number((await runOk('id', ['-g', 'postfix'])).stdout.trim());
  chownSync(join(dir, 'data'), postfixUid, postfixGid);
  const env = { ...process.env, MAIL_CONFIG: configDir };
  const logFile = join(dir, 'maillog');
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');

  let daemon: Daemon | undefined;
  const stop = async () => {
    if (daemon !== undefined) {
      if (!daemon.exited()) {
        await run(PROGRAMS.postfix, ['-c', configDir, 'stop'], { env, timeoutMs: 15_000 }).catch(
          () => undefined,
        );
      }
      // Also when the master died on its own: its workers share its process group.
      await daemon.stop();
    }
    tmp.remove();
  };
  try {
    daemon = startDaemon(PROGRAMS.postfix, ['-c', configDir, 'start-fg'], { env });
    const started = daemon;
    for (const { host, port } of options.listeners) {
      await waitFor(`${label} smtpd on ${host}:${port}`, async () => {
        if (started.exited()) throw new Error(`${label} exited: ${started.output()}\n${readLog()}`);
        return canConnect(port, host);
      });
    }
    // `master` calls setsid(), so it and its workers are not in the group we spawned: adopt
    // its group so stop() and the orphan reaper reach them too.
    const masterPid = Number(readFileSync(join(dir, 'queue', 'pid', 'master.pid'), 'utf8').trim());
    if (!(masterPid > 0)) throw new Error(`${label}: no master.pid`);
    started.adoptGroup(masterPid, `${label} master`);
    return { configDir, env, masterPid, log: readLog, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
