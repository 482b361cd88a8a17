import { describe, expect, it } from 'vitest';
import { DirSync } from '../src/durable-fs.ts';

/** A directory fsync the test completes by hand. */
function fakeFsync() {
  const calls: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const fsync = () => new Promise<void>((resolve, reject) => calls.push({ resolve, reject }));
  return { calls, fsync };
}

const settled = async (p: Promise<unknown>) => {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
};

describe('group commit of directory fsyncs', () => {
  it('answers nobody before an fsync that started after their call, and shares one fsync among waiters', async () => {
    const { calls, fsync } = fakeFsync();
    const dir = new DirSync('/nowhere', true, fsync);
    const a = dir.sync();
    expect(calls.length).toBe(1);
    // b and c arrive while a's fsync is in flight: it may not cover their renames.
    const b = dir.sync();
    const c = dir.sync();
    expect(calls.length).toBe(1);
    calls[0]!.resolve();
    await a;
    expect(await settled(b)).toBe(false);
    expect(calls.length).toBe(2);
    calls[1]!.resolve();
    await Promise.all([b, c]);
    expect(dir.syncs).toBe(2);
  });

  it('fails every caller of a failed fsync and keeps working', async () => {
    const { calls, fsync } = fakeFsync();
    const dir = new DirSync('/nowhere', true, fsync);
    const a = dir.sync();
    calls[0]!.reject(new Error('EIO'));
    await expect(a).rejects.toThrow('EIO');
    const b = dir.sync();
    calls[1]!.resolve();
    await b;
  });

  it('without group commit, every caller pays its own fsync', async () => {
    const { calls, fsync } = fakeFsync();
    const dir = new DirSync('/nowhere', false, fsync);
    const all = [dir.sync(), dir.sync(), dir.sync()];
    expect(calls.length).toBe(3);
    for (const c of calls) c.resolve();
    await Promise.all(all);
  });
});
