import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NotFoundError, type QueuedMessage, storageRefusal } from '@mailstack/core';
import { type FileSpool, openFileSpool } from './file-spool.ts';
import { formatQueueEntry, formatQueueList } from './format.ts';
import { isQueueId } from './queue-id.ts';

/** sysexits(3) codes. */
export const EXIT = { ok: 0, usage: 64, noInput: 66, software: 70, tempFail: 75 } as const;

export const USAGE = `usage: mailstack-queue --spool <dir> <command>

  list [--json]                  the queue, like mailq (* being delivered, ! on hold)
  show <id> [--json] [--body]    envelope, per-recipient state and last reply (and the body)
  flush [<id>...]                make messages due now, like postqueue -f / -i
  hold <id>... | ALL             keep messages from delivery, like postsuper -h
  release <id>... | ALL          undo hold, like postsuper -H
  requeue <id>... | ALL          drop the lease, deferred recipients back to pending, due now (postsuper -r)
  delete <id>... | ALL           remove messages without a bounce, like postsuper -d

The spool may also be given as MAILSTACK_SPOOL. A running runner picks changes up at once (it watches the spool).
Exit: 0 ok, 64 usage, 66 no such spool or message, 70 internal error, 75 try again (a message
stayed locked by another process, or the disk is full).
`;

export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: Record<string, string | undefined>;
}

class UsageError extends Error {}

/** JSON for a message: the blob becomes its id and size. */
function messageJson(m: QueuedMessage) {
  const { blob, ...rest } = m;
  return { ...rest, body: { id: blob.id, size: blob.size } };
}

async function readBody(m: QueuedMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of m.blob.open()) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('latin1');
}

/** Runs one CLI invocation; returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        spool: { type: 'string', short: 's' },
        json: { type: 'boolean' },
        body: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    const root = values.spool ?? io.env.MAILSTACK_SPOOL;
    if (!root) throw new UsageError('--spool is required');
    const [command, ...args] = positionals;
    if (!command) throw new UsageError('a command is required');
    const readOnly = command === 'list' || command === 'show';
    // Never create a spool by mistyping its path.
    if (!(await stat(join(root, 'queue')).catch(() => null))?.isDirectory()) {
      throw new NotFoundError(`no spool at ${root}`);
    }
    const spool = await openFileSpool(root, { recoverOnOpen: !readOnly });

    switch (command) {
      case 'list': {
        if (args.length > 0) throw new UsageError('list takes no arguments');
        const all = await spool.list();
        io.stdout.write(
          values.json ? `${JSON.stringify(all.map(messageJson), null, 2)}\n` : formatQueueList(all),
        );
        return EXIT.ok;
      }
      case 'show': {
        if (args.length !== 1) throw new UsageError('show takes one queue id');
        const m = await spool.get(args[0]!);
        if (!m) throw new NotFoundError(`no message ${args[0]}`);
        if (values.json) {
          const json = values.body ? { ...messageJson(m), text: await readBody(m) } : messageJson(m);
          io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
        } else {
          io.stdout.write(formatQueueEntry(m));
          if (values.body) io.stdout.write(`\n${await readBody(m)}`);
        }
        return EXIT.ok;
      }
      case 'flush': {
        let n = 0;
        if (args.length === 0) n = await spool.flush();
        else for (const id of await ids(spool, args, false)) n += await spool.flush(id);
        io.stdout.write(`flushed ${n} message${n === 1 ? '' : 's'}\n`);
        return EXIT.ok;
      }
      case 'hold':
      case 'release':
      case 'requeue':
      case 'delete': {
        if (args.length === 0) throw new UsageError(`${command} needs queue ids or ALL`);
        let missing = 0;
        let done = 0;
        for (const id of await ids(spool, args, true)) {
          if (await spool[command](id)) done++;
          else {
            missing++;
            io.stderr.write(`mailstack-queue: no message ${id}\n`);
          }
        }
        const verb = { hold: 'held', release: 'released', requeue: 'requeued', delete: 'deleted' }[command];
        io.stdout.write(`${verb} ${done} message${done === 1 ? '' : 's'}\n`);
        return missing > 0 ? EXIT.noInput : EXIT.ok;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`mailstack-queue: ${(err as Error).message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    // The spool's refusals, typed by core whatever the backend: one mapping to exit codes.
    const refusal = storageRefusal(err);
    if (refusal === 'not-found' || refusal === 'temporary' || refusal === 'no-space') {
      io.stderr.write(`mailstack-queue: ${(err as Error).message}\n`);
      return refusal === 'not-found' ? EXIT.noInput : EXIT.tempFail;
    }
    io.stderr.write(`mailstack-queue: ${String(err)}\n`);
    return EXIT.software;
  }
}

/** The ids named on the command line; `ALL` (when allowed) means every queued message. */
async function ids(spool: FileSpool, args: string[], allowAll: boolean): Promise<string[]> {
  if (allowAll && args.length === 1 && args[0] === 'ALL') return (await spool.list()).map((m) => m.id);
  for (const a of args) if (!isQueueId(a)) throw new UsageError(`not a queue id: ${a}`);
  return args;
}
