/**
 * Our agents on a small, really full file system: a tmpfs mounted in a mount namespace of
 * their own (`unshare --mount`, with `--map-root-user` so it works without root), the agents
 * started inside it as an operator starts them (`mailstack <agent> --config FILE`). The test
 * reaches the tmpfs through `/proc/<pid>/root`, which shows the namespace's mounts, to fill
 * it, free it and look at what the agents left in it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readdir, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigInput } from '@mailstack/config';
import { type Daemon, makeTempDir, startDaemon } from '../helpers/daemon.ts';
import { writeDirectoryFile } from '../helpers/directory-file.ts';
import { filesConfig, loopback } from '../helpers/mailstack-agent.ts';
import { MAILSTACK_BIN } from '../helpers/mailstack-cli.ts';
import { REPO_ROOT } from '../helpers/mda.ts';
import { waitFor } from '../helpers/net.ts';
import { type CertificateFiles, makeCertificate } from '../helpers/tls.ts';

export type DiskAgent = 'mda' | 'imap' | 'pop3' | 'mta' | 'msa';

/** Each agent's listener and what else its config says (the Maildir and the spool are on the tmpfs). */
function agentConfig(
  agent: DiskAgent,
  files: { mount: string; state: string; directory: string },
  cert?: CertificateFiles,
): ConfigInput {
  return {
    ...filesConfig({
      directory: files.directory,
      data: files.state,
      mail: files.mount,
      spool: join(files.mount, 'spool'),
      cert,
    }),
    listeners: [loopback(agent, agent === 'msa' ? 'starttls' : 'none')],
    dev: { cleartextAuthOnLoopback: true },
    mta: { pregreet: '0s' },
    log: { level: 'info' },
  };
}

/** The unshare flags that can mount a tmpfs here, or null (then the disk tests are skipped). */
export const UNSHARE_FLAGS: string[] | null = (() => {
  for (const flags of [['--mount', '--map-root-user'], ['--mount']]) {
    try {
      execFileSync('unshare', [...flags, 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt'], {
        stdio: 'ignore',
      });
      return flags;
    } catch {
      // not allowed this way
    }
  }
  return null;
})();

export interface DiskHost {
  /** Listening ports by agent. */
  ports: Record<DiskAgent, number>;
  /** The data folder as the test sees it (through the namespace's root). */
  data: string;
  /** A user's Maildir as the test sees it. */
  maildir(user: string): string;
  /** Writes a filler file so that about `bytes` stay free. */
  leaveFree(bytes: number): Promise<void>;
  /** Removes the filler. */
  unfill(): Promise<void>;
  /** Bytes free on the tmpfs. */
  free(): Promise<number>;
  output(): string;
  stop(): Promise<void>;
}

export async function startDiskHost(options: {
  sizeBytes: number;
  users: string[];
  agents: DiskAgent[];
}): Promise<DiskHost> {
  if (!UNSHARE_FLAGS) throw new Error('cannot mount a tmpfs in a mount namespace here');
  const tmp = makeTempDir('disk');
  const mountPoint = join(tmp.path, 'data');
  mkdirSync(mountPoint);
  const directory = join(tmp.path, 'directory.json');
  await writeDirectoryFile(directory, options.users);
  const cert = options.agents.includes('msa') ? await makeCertificate(tmp.path) : undefined;
  const node = process.execPath;
  const files = { mount: mountPoint, state: join(tmp.path, 'state'), directory };
  const starts = options.agents.map((a) => {
    const config = join(tmp.path, `${a}.yaml`);
    writeFileSync(config, JSON.stringify(agentConfig(a, files, a === 'msa' ? cert : undefined)));
    return `"${node}" "${MAILSTACK_BIN}" ${a} --config "${config}" &`;
  });
  const script = `mount -t tmpfs -o size=${options.sizeBytes},mode=0755 tmpfs "$1" || exit 1\n${starts.join('\n')}\nwait`;
  const daemon: Daemon = startDaemon('unshare', [...UNSHARE_FLAGS, 'sh', '-c', script, 'sh', mountPoint], {
    cwd: REPO_ROOT,
  });
  const ports: Partial<Record<DiskAgent, number>> = {};
  try {
    await waitFor('the agents on the tmpfs to listen', () => {
      if (daemon.exited()) throw new Error(`disk host exited:\n${daemon.output()}`);
      for (const line of daemon.output().split('\n')) {
        if (!line.startsWith('{"event":"listening"')) continue;
        const l = JSON.parse(line) as { agent: DiskAgent; port: number };
        if (options.agents.includes(l.agent)) ports[l.agent] = l.port;
      }
      return options.agents.every((a) => ports[a] !== undefined);
    });
  } catch (err) {
    await daemon.stop();
    tmp.remove();
    throw err;
  }
  const data = `/proc/${daemon.child.pid}/root${mountPoint}`;
  const filler = join(data, 'filler');
  const free = async () => {
    const s = await statfs(data);
    return s.bavail * s.bsize;
  };
  return {
    ports: ports as Record<DiskAgent, number>,
    data,
    maildir: (user) => {
      const at = user.lastIndexOf('@');
      return join(data, user.slice(at + 1), user.slice(0, at), 'Maildir');
    },
    async leaveFree(bytes) {
      await rm(filler, { force: true });
      const fill = (await free()) - bytes;
      if (fill > 0) await writeFile(filler, Buffer.alloc(fill, 0x61));
    },
    unfill: () => rm(filler, { force: true }),
    free,
    output: () => daemon.output(),
    async stop() {
      await daemon.stop();
      tmp.remove();
    },
  };
}

/** Files (not directories) under `dir`, relative and sorted; [] when it does not exist. */
export async function filesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}
