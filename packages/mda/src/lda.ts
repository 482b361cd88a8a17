/**
 * LDA mode: delivers one message from stdin, like dovecot-lda, for Postfix's
 * `mailbox_command` or a `pipe` transport:
 *
 *   node packages/mda/src/lda.ts --data <dir> --directory <file> -f <sender> -a <rcpt> [-a <rcpt>...]
 *
 * Exit status per sysexits(3): 0 delivered, 75 temporary failure or over quota, 67 unknown
 * recipient, 65 bad input, 64 usage, 69 other refusals. The reply text goes to stderr,
 * where Postfix picks it up for the bounce or the log.
 */

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Envelope, formatReply, isValidMailbox } from '@mailstack/core';
import { createLogger } from '@mailstack/log';
import { deliver } from './local-delivery.ts';
import { openLocalMailSystem } from './local-system.ts';
import { spoolMessage } from './spooled-message.ts';
import { EX, exitCodeFor } from './sysexits.ts';

const USAGE =
  'usage: lda.ts --data <dir> --directory <file> -f <sender> -a <recipient> [-a <recipient>...] [--detail-folder] [--max-size <bytes>]';

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return EX.USAGE;
  }
  const { data, directory: directoryFile, from = '', recipient = [], 'max-size': maxSize } = args.values;
  if (!data || !directoryFile || recipient.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return EX.USAGE;
  }
  const sender = from === '<>' ? '' : from;
  if (sender !== '' && !isValidMailbox(sender)) {
    process.stderr.write(`invalid sender address: ${JSON.stringify(sender)}\n`);
    return EX.DATAERR;
  }
  const limit = maxSize ? Number(maxSize) : 50 * 1024 * 1024;
  // stdin is streamed to a temp file, not held in memory, and read from there per recipient.
  const spooled = await spoolMessage(process.stdin, join(tmpdir(), 'mailstack-lda'));
  try {
    const input = spooled.slice(mboxFromLineLength(spooled.head, spooled.blob.size));
    if (input.size === 0) {
      process.stderr.write('empty message on stdin\n');
      return EX.DATAERR;
    }
    if (input.size > limit) {
      process.stderr.write(`552 5.3.4 Message exceeds fixed maximum message size ${limit}\n`);
      return EX.DATAERR;
    }
    const logger = createLogger({ level: args.values.verbose ? 'debug' : 'warn' });
    const system = await openLocalMailSystem({ dataDir: data, directoryFile, logger });
    try {
      const envelope: Envelope = {
        mailFrom: sender,
        rcptTo: recipient.map((address) => ({ address })),
        params: {},
      };
      const results = await deliver(envelope, input, {
        directory: system.directory,
        store: system.store,
        logger,
        detailFolder: args.values['detail-folder'] ?? false,
      });
      for (const r of results)
        if (r.reply.code >= 300) process.stderr.write(`<${r.recipient}>: ${formatReply(r.reply)}\n`);
      return exitCodeFor(results);
    } finally {
      await system.close();
    }
  } finally {
    await spooled.close();
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      directory: { type: 'string' },
      from: { type: 'string', short: 'f' },
      recipient: { type: 'string', short: 'a', multiple: true },
      'detail-folder': { type: 'boolean' },
      'max-size': { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
    },
    strict: true,
    allowPositionals: false,
  });
}

/**
 * An mbox `From sender date` line some MTAs put in front of the message is not part of it:
 * its length (with the LF), or the whole input when it has no LF (then nothing is left).
 */
function mboxFromLineLength(head: Buffer, size: number): number {
  if (head.subarray(0, 5).toString('latin1') !== 'From ') return 0;
  const lf = head.indexOf(0x0a);
  return lf < 0 ? size : lf + 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`451 4.3.0 local delivery failed: ${String(err)}\n`);
    process.exitCode = EX.TEMPFAIL;
  },
);
