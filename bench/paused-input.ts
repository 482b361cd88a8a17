/**
 * What one client costs the IMAP server while its reply is delayed: the failed-login delay
 * pauses the command parser, and a client that keeps sending meanwhile must meet TCP
 * backpressure, not a buffer that grows with what it sends.
 *
 *   npm run bench:paused-input [-- --reference <checkout>] [--bytes <n>]
 *
 * Starts `mailstack imap` as a child process (and the `mailstack` of `--reference`, an older
 * checkout with its node_modules, for a before/after in one run), fails five LOGINs so
 * the throttle's delay reaches 8 s, then sends AUTHENTICATE PLAIN with a wrong password and
 * pushes up to 1 GiB of junk as fast as the connection accepts it until the reply comes.
 * Prints the bytes the server took, its peak RSS (VmHWM) and its RSS two seconds after the
 * client left, one JSON line per server and a table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { filesConfig, loopback, startConfiguredAgent } from '../test/helpers/mailstack-agent.ts';
import { processMemory } from '../test/helpers/proc.ts';
import { writeCheapDirectory } from './imap-targets.ts';
import { printTable, round } from './report.ts';

const USER = 'bench@example.test';
const PASSWORD = 'secret';
const CHUNK = Buffer.alloc(1024 * 1024, 'A');

interface Result {
  server: string;
  acceptedBytes: number;
  seconds: number;
  baseRssMb: number;
  peakRssMb: number;
  afterRssMb: number;
}

const { values } = parseArgs({
  options: { reference: { type: 'string' }, bytes: { type: 'string' } },
});
const total = values.bytes ? Number(values.bytes) : 1024 ** 3;

/** A process's memory in MB, to 0.1. */
const mb = (bytes: number) => round(bytes / 1024 ** 2, 1);

/** Reads server lines; `until(tag)` resolves with the tagged completion of `tag`. */
function lineReader(socket: Socket): { until(tag: string): Promise<string> } {
  const waiting = new Map<string, (line: string) => void>();
  createInterface({ input: socket }).on('line', (line) => {
    const tag = line.split(' ', 1)[0] ?? '';
    waiting.get(tag)?.(line);
    waiting.delete(tag);
  });
  return {
    until: (tag) => new Promise((resolve) => waiting.set(tag, resolve)),
  };
}

async function measure(name: string, bin: string): Promise<Result> {
  const data = mkdtempSync(join(tmpdir(), 'paused-input-'));
  await writeCheapDirectory(join(data, 'directory.json'), [USER], PASSWORD);
  const directory = join(data, 'directory.json');
  const { daemon, listening } = await startConfiguredAgent(
    'imap',
    {
      ...filesConfig({ directory, mail: data }),
      listeners: [loopback('imap', 'none')],
      dev: { cleartextAuthOnLoopback: true },
    },
    { bin },
  );
  const port = listening[0]?.port ?? 0;
  const pid = daemon.child.pid!;
  try {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const reader = lineReader(socket);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    for (let i = 1; i <= 5; i++) {
      socket.write(`w${i} LOGIN ${USER} wrong\r\n`);
      await reader.until(`w${i}`);
    }
    const baseRssMb = mb(processMemory(pid).rss);
    const plain = Buffer.from(`\0${USER}\0wrong`).toString('base64');
    socket.write(`a1 AUTHENTICATE PLAIN ${plain}\r\n`);
    let replied = false;
    const reply = reader.until('a1').then(() => {
      replied = true;
    });
    const start = performance.now();
    let written = 0;
    while (written < total && !replied && !socket.destroyed) {
      written += CHUNK.length;
      if (!socket.write(CHUNK)) {
        await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), reply, closed]);
      }
    }
    const acceptedBytes = written - socket.writableLength;
    const seconds = round((performance.now() - start) / 1000, 1);
    socket.destroy();
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return {
      server: name,
      acceptedBytes,
      seconds,
      baseRssMb,
      peakRssMb: mb(processMemory(pid).hwm),
      afterRssMb: mb(processMemory(pid).rss),
    };
  } finally {
    await daemon.stop(0);
    rmSync(data, { recursive: true, force: true });
  }
}

const here = join(import.meta.dirname, '..');
const targets: Array<[string, string]> = [['this checkout', here]];
if (values.reference) targets.unshift([`reference ${values.reference}`, values.reference]);
const results: Result[] = [];
for (const [name, root] of targets) {
  const result = await measure(name, join(root, 'apps', 'stack', 'src', 'cli', 'main.ts'));
  console.log(JSON.stringify(result));
  results.push(result);
}
console.log(
  `\n${process.platform} ${process.arch}, node ${process.version}; one client pushes up to ${round(total / 1024 ** 2, 0)} MiB during the 8 s failed-AUTHENTICATE delay`,
);
printTable(
  ['server', 'MiB taken', 'push s', 'RSS before MB', 'peak RSS (VmHWM) MB', 'RSS 2 s after MB'],
  results.map((r) => [
    r.server,
    String(round(r.acceptedBytes / 1024 ** 2, 1)),
    String(r.seconds),
    String(r.baseRssMb),
    String(r.peakRssMb),
    String(r.afterRssMb),
  ]),
);
