/**
 * Big messages: what 40 clients each sending a 24 MiB message at once cost in memory, per
 * agent, each agent a process of its own so its memory is its alone:
 *
 *   mta: `mailstack mta` (inbound, port 25's role) → its file spool;
 *   mda: `mailstack mda` (LMTP) → Maildir.
 *
 * For each agent: RSS when idle, peak RSS (VmHWM of /proc/<pid>/status, the kernel's own
 * high-water mark, so no sample is missed) while the 40 messages arrive, and RSS once every
 * client has its reply (what the process kept). A message body is one Buffer shared by every
 * client, so the bench's own memory does not grow with the count.
 *
 *   node bench/big-messages.ts [--clients 40] [--size-mb 24] [--only mta|mda]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ConfigInput } from '@mailstack/config';
import { writeDirectoryFile } from '../test/helpers/directory-file.ts';
import { filesConfig, loopback, startConfiguredAgent, tcpLine } from '../test/helpers/mailstack-agent.ts';
import { processMemory } from '../test/helpers/proc.ts';
import { printTable, round } from './report.ts';
import { expectCode, makeMessage, SmtpSession } from './smtp-client.ts';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '40' },
    'size-mb': { type: 'string', default: '24' },
    only: { type: 'string' },
  },
});
const CLIENTS = Number(args.clients);
const SIZE = Number(args['size-mb']) * 1024 * 1024;
const USERS = Array.from({ length: CLIENTS }, (_, i) => `user${i}@big.test`);
const MiB = 1024 * 1024;

interface Agent {
  name: 'mta' | 'mda';
  /** Its config over the directory file (one listener on 127.0.0.1, any free port). */
  config(dir: string, directory: string): ConfigInput;
  /** HELO verb: LMTP says LHLO and gets one reply per recipient. */
  lmtp: boolean;
}

/** Room for the message and its envelope. */
const LIMITS = { messageSize: String(SIZE + MiB) };

const AGENTS: Agent[] = [
  {
    name: 'mta',
    config: (dir, directory) => ({
      ...filesConfig({ directory, spool: join(dir, 'spool') }),
      hostname: 'mx.big.test',
      listeners: [loopback('mta', 'none')],
      mta: { pregreet: '0s' },
      limits: LIMITS,
    }),
    lmtp: false,
  },
  {
    name: 'mda',
    config: (dir, directory) => ({
      ...filesConfig({ directory, mail: join(dir, 'data') }),
      listeners: [loopback('mda', 'none')],
      limits: LIMITS,
    }),
    lmtp: true,
  },
];

async function startAgent(agent: Agent, dir: string, directoryFile: string) {
  const { daemon, listening } = await startConfiguredAgent(agent.name, agent.config(dir, directoryFile));
  const line = tcpLine(listening[0], agent.name);
  return { daemon, host: line.host, port: line.port, pid: daemon.child.pid as number };
}

/** One client: connect, hello, one transaction with the shared body; the final reply code. */
async function sendOne(agent: Agent, host: string, port: number, to: string, body: Buffer): Promise<number> {
  const session = await SmtpSession.connect({ host, port });
  expectCode(await session.hello('bench.client', agent.lmtp ? 'LHLO' : 'EHLO'), 250, 'hello');
  const [reply] = await session.transaction('bench@remote.test', [to], body, agent.lmtp);
  await session.close();
  return reply?.code ?? 0;
}

const body = makeMessage(SIZE, 'big', 'bench@remote.test', USERS[0]);
const rows: string[][] = [];
for (const agent of AGENTS) {
  if (args.only && args.only !== agent.name) continue;
  const dir = mkdtempSync(join(tmpdir(), `mailstack-bench-big-${agent.name}-`));
  try {
    const directoryFile = join(dir, 'directory.json');
    await writeDirectoryFile(directoryFile, USERS);
    const running = await startAgent(agent, dir, directoryFile);
    try {
      const idle = processMemory(running.pid);
      const started = performance.now();
      const codes = await Promise.all(
        USERS.map((to) => sendOne(agent, running.host, running.port, to, body)),
      );
      const seconds = (performance.now() - started) / 1000;
      const after = processMemory(running.pid);
      const accepted = codes.filter((c) => c === 250).length;
      const result = {
        agent: agent.name,
        clients: CLIENTS,
        sizeMiB: round(SIZE / MiB, 1),
        accepted,
        seconds: round(seconds, 2),
        idleRssMiB: round(idle.rss / MiB, 1),
        peakRssMiB: round(after.hwm / MiB, 1),
        rssAfterMiB: round(after.rss / MiB, 1),
      };
      console.log(JSON.stringify(result));
      rows.push([
        agent.name,
        `${accepted}/${CLIENTS}`,
        String(result.seconds),
        String(result.idleRssMiB),
        String(result.peakRssMiB),
        String(result.rssAfterMiB),
      ]);
    } finally {
      await running.daemon.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`\n${CLIENTS} concurrent clients, one ${round(SIZE / MiB, 1)} MiB message each`);
printTable(['agent', '250s', 'seconds', 'idle RSS MiB', 'peak RSS MiB (VmHWM)', 'RSS after MiB'], rows);
