import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Daemon, startDaemon } from './daemon.ts';
import { waitFor } from './net.ts';

/** Repo root, from test/helpers/. */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');

export interface MdaProcess {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** The first stdout line, as printed. */
  readonly banner: unknown;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Spawns our MDA standalone (`node packages/mda/src/main.ts --data <dir> --directory <file>
 * --listen 127.0.0.1:0`) in its own process group and reads the bound address from the JSON
 * line it prints first.
 */
export async function startMda(options: {
  data: string;
  directory: string;
  args?: string[];
}): Promise<MdaProcess> {
  const daemon: Daemon = startDaemon(process.execPath, [
    join(REPO_ROOT, 'packages/mda/src/main.ts'),
    '--data',
    options.data,
    '--directory',
    options.directory,
    '--listen',
    '127.0.0.1:0',
    ...(options.args ?? []),
  ]);
  const stdout = daemon.child.stdout;
  if (stdout === null) throw new Error('no stdout from mda');
  let banner: unknown;
  let address: { host: string; port: number } | undefined;
  const lines = createInterface({ input: stdout });
  lines.on('line', (line) => {
    if (address !== undefined) return;
    try {
      const parsed: unknown = JSON.parse(line);
      const found = findAddress(parsed);
      if (found !== undefined) {
        banner = parsed;
        address = found;
      }
    } catch {
      // Not the JSON banner; keep reading.
    }
  });
  try {
    const bound = await waitFor('mda to print its listening address', () => {
      if (daemon.exited()) throw new Error(`mda exited before listening:\n${daemon.output()}`);
      return address;
    });
    return {
      ...bound,
      pid: daemon.child.pid ?? 0,
      banner,
      output: daemon.output,
      stop: () => daemon.stop(),
    };
  } catch (error) {
    await daemon.stop();
    throw error;
  }
}

/** Finds `{port}` / `{host|address, port}` or a `"127.0.0.1:1234"` string anywhere in the banner. */
export function findAddress(value: unknown): { host: string; port: number } | undefined {
  if (typeof value === 'string') {
    const m = /^(?:[a-z]+:\/\/)?\[?([0-9a-f.:]+?)\]?:(\d+)\/?$/i.exec(value);
    return m?.[1] !== undefined && m[2] !== undefined ? { host: m[1], port: Number(m[2]) } : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.port === 'number' && record.port > 0) {
    const host =
      typeof record.host === 'string'
        ? record.host
        : typeof record.address === 'string'
          ? record.address
          : '127.0.0.1';
    return { host, port: record.port };
  }
  for (const v of Object.values(record)) {
    const found = findAddress(v);
    if (found !== undefined) return found;
  }
  return undefined;
}
