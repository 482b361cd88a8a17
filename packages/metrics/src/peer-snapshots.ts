import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BOOT_TAG, processGone, START_TICKS } from '@mailstack/agent-process';
import type { HostMetrics } from './host-metrics.ts';
import type { MetricJson } from './merge.ts';

/**
 * Agents split into processes (or containers) each count in their own registry. So that the
 * web agent can serve the host's totals, every agent process writes what it counted to a file
 * in a folder they all share (under the data path), and the web agent adds the files of the
 * processes that still run to its own at scrape time.
 */

/** Who wrote a snapshot: enough for a reader on the same host to tell the process is gone. */
interface SnapshotFile {
  version: 1;
  agent: string;
  /** os.hostname(): containers sharing the folder have their own pid spaces, so pids compare only within one host. */
  host: string;
  boot: string;
  pid: number;
  start: number;
  series: MetricJson[];
}

/** How often a process writes its snapshot; a scrape lags the counts by at most this. */
export const SNAPSHOT_INTERVAL_MS = 2000;
/** A snapshot of another host not rewritten for this long belongs to a process that is gone. */
export const SNAPSHOT_STALE_MS = 15 * SNAPSHOT_INTERVAL_MS;

const HOST = hostname();

function fileName(agent: string, host: string, pid: number, start: number): string {
  // Host names are [a-zA-Z0-9.-]; anything else is kept out of the path all the same.
  return `${agent}-${host.replace(/[^a-zA-Z0-9.-]/g, '_')}-${pid}-${start}.json`;
}

export interface SnapshotWriter {
  /** Stops writing and removes the file: the process's counts leave the host's totals. */
  stop(): Promise<void>;
}

/**
 * Writes `metrics.countedSeries()` to `<dir>/<agent>-<host>-<pid>-<start>.json` now and every
 * `intervalMs`, each time whole (a temporary file renamed over the last one), so a reader
 * never sees half a file.
 */
export async function startSnapshotWriter(options: {
  dir: string;
  agent: string;
  metrics: Pick<HostMetrics, 'countedSeries'>;
  intervalMs?: number;
  /** A write failed; called once until a write succeeds again, not on every tick. */
  onError?: (err: unknown) => void;
}): Promise<SnapshotWriter> {
  const { dir, agent, metrics } = options;
  const file = join(dir, fileName(agent, HOST, process.pid, START_TICKS));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let writing: Promise<void> = Promise.resolve();
  const write = async () => {
    const snapshot: SnapshotFile = {
      version: 1,
      agent,
      host: HOST,
      boot: BOOT_TAG,
      pid: process.pid,
      start: START_TICKS,
      series: await metrics.countedSeries(),
    };
    const temporary = `${file}.tmp`;
    await writeFile(temporary, JSON.stringify(snapshot), { mode: 0o600 });
    await rename(temporary, file);
  };
  let failing = false;
  const tick = () => {
    writing = writing.then(write).then(
      () => {
        failing = false;
      },
      (err: unknown) => {
        if (!failing) options.onError?.(err);
        failing = true;
      },
    );
    return writing;
  };
  await tick();
  const timer = setInterval(tick, options.intervalMs ?? SNAPSHOT_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await writing;
      await unlink(file).catch(() => {});
    },
  };
}

/**
 * The series of every other process's snapshot in `dir` that still counts: not this
 * process's own, not a process of this host that is gone (its file is removed), not a file
 * of another host left unwritten for `staleMs`. A file that cannot be read or parsed (a
 * process writing an older format, say) is skipped.
 */
export async function readPeerSnapshots(
  dir: string,
  options: { staleMs?: number; now?: () => number } = {},
): Promise<MetricJson[][]> {
  const staleMs = options.staleMs ?? SNAPSHOT_STALE_MS;
  const now = options.now ?? Date.now;
  const names = await readdir(dir).catch(() => [] as string[]);
  const peers: MetricJson[][] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const path = join(dir, name);
    try {
      const snapshot = JSON.parse(await readFile(path, 'utf8')) as SnapshotFile;
      if (snapshot.version !== 1 || !Array.isArray(snapshot.series)) continue;
      const own = snapshot.host === HOST && snapshot.pid === process.pid && snapshot.start === START_TICKS;
      if (own) continue;
      const gone =
        snapshot.host === HOST
          ? processGone(snapshot.boot, snapshot.pid, snapshot.start)
          : now() - (await stat(path)).mtimeMs > staleMs;
      if (gone) {
        await unlink(path).catch(() => {});
        continue;
      }
      peers.push(snapshot.series);
    } catch {
      // Removed between readdir and read, or not ours: nothing to add.
    }
  }
  return peers;
}
