import { readdir, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BOOT_TAG, START_TICKS } from '@mailstack/agent-process';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createHostMetrics,
  readPeerSnapshots,
  SNAPSHOT_STALE_MS,
  startSnapshotWriter,
} from '../src/index.ts';

let dir: TempDir;
beforeEach(async () => {
  dir = await tempDir('metrics-snapshots-');
});
afterEach(() => dir.cleanup());

/** A snapshot as another process would leave it, with one accepted message. */
async function peerFile(name: string, who: { host: string; pid: number; start: number; boot?: string }) {
  const metrics = createHostMetrics({ processMetrics: false });
  metrics.count('messages_accepted', { agent: 'mta' });
  const snapshot = {
    version: 1,
    agent: 'mta',
    boot: BOOT_TAG,
    ...who,
    series: await metrics.countedSeries(),
  };
  const path = join(dir.path, name);
  await writeFile(path, JSON.stringify(snapshot));
  return path;
}

const accepted = (series: Awaited<ReturnType<typeof readPeerSnapshots>>[number]) =>
  series
    .find((m) => m.name === 'mailstack_messages_accepted_total')
    ?.values.find((v) => v.labels.agent === 'mta')?.value;

describe('snapshot files', () => {
  it("writes this process's counts, which its own reader skips, and removes them at stop", async () => {
    const metrics = createHostMetrics({ processMetrics: false });
    metrics.count('sessions', { protocol: 'pop3' }, 3);
    const writer = await startSnapshotWriter({ dir: dir.path, agent: 'pop3', metrics });
    const files = await readdir(dir.path);
    expect(files).toEqual([`pop3-${hostname()}-${process.pid}-${START_TICKS}.json`]);
    // The web agent of this very process counts in its own registry already.
    expect(await readPeerSnapshots(dir.path)).toEqual([]);
    await writer.stop();
    expect(await readdir(dir.path)).toEqual([]);
  });

  it("reads a live process's file and drops (and removes) a gone one's of this host", async () => {
    // The parent (vitest) runs; this pid with another start time is a process that is gone.
    await peerFile('live.json', { host: hostname(), pid: process.ppid, start: 0 });
    await peerFile('gone.json', { host: hostname(), pid: process.pid, start: START_TICKS + 1 });
    await peerFile('reboot.json', { host: hostname(), pid: process.ppid, start: 0, boot: 'ffffffff' });
    const peers = await readPeerSnapshots(dir.path);
    expect(peers.map(accepted)).toEqual([1]);
    expect(await readdir(dir.path)).toEqual(['live.json']);
  });

  it("keeps another host's file while it is rewritten, and drops it once stale", async () => {
    const path = await peerFile('other.json', { host: 'other-container', pid: 1, start: 5 });
    const written = Date.UTC(2026, 0, 5, 9, 0, 0);
    await utimes(path, written / 1000, written / 1000);
    const fresh = await readPeerSnapshots(dir.path, { now: () => written + SNAPSHOT_STALE_MS });
    expect(fresh.map(accepted)).toEqual([1]);
    const stale = await readPeerSnapshots(dir.path, { now: () => written + SNAPSHOT_STALE_MS + 1000 });
    expect(stale).toEqual([]);
    expect(await readdir(dir.path)).toEqual([]);
  });

  it('skips what is not a snapshot: a temporary file, bad JSON, another format', async () => {
    await writeFile(join(dir.path, 'x.json.tmp'), '{');
    await writeFile(join(dir.path, 'bad.json'), '{');
    await writeFile(join(dir.path, 'v2.json'), JSON.stringify({ version: 2, series: [] }));
    expect(await readPeerSnapshots(dir.path)).toEqual([]);
    expect(await readPeerSnapshots(join(dir.path, 'missing'))).toEqual([]);
  });
});

describe('snapshot writer failures', () => {
  it('reports a failing write once, not on every tick, and again after a recovery', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const metrics = createHostMetrics({ processMetrics: false });
    const counted = metrics.countedSeries;
    let ticks = 0;
    let tick: () => void = () => {};
    const ticked = () => new Promise<void>((resolve) => (tick = resolve));
    const writer = await startSnapshotWriter({
      dir: dir.path,
      agent: 'msa',
      intervalMs: 5,
      metrics: {
        async countedSeries() {
          ticks++;
          queueMicrotask(() => tick());
          if (fail) throw new Error(`disk full ${ticks}`);
          return counted();
        },
      },
      onError: (err) => errors.push(String(err)),
    });
    while (ticks < 4) await ticked();
    expect(errors).toEqual(['Error: disk full 1']);
    fail = false;
    const recovered = ticks;
    while (ticks < recovered + 2) await ticked();
    fail = true;
    const failedAgain = ticks;
    while (ticks < failedAgain + 3) await ticked();
    await writer.stop();
    expect(errors).toHaveLength(2);
  });
});
