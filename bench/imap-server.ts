/**
 * Our IMAP server as the bench runs it, in a child process of its own so its RSS is its own:
 * the same wiring as packages/imap/src/main.ts (file directory, Maildir store,
 * createImapServer, plain listener with cleartext LOGIN allowed on loopback), plus the one
 * knob main.ts does not expose: the connection cap (default 500), which the 1,000-idle-client
 * case needs raised.
 *
 *   node bench/imap-server.ts --data <root> --directory <file> [--max-connections 2000]
 *
 * Prints `{"event":"listening","port":...}`; SIGTERM closes and exits 0 (so `--cpu-prof`
 * profiles get written).
 */
import { parseArgs } from 'node:util';
import { closeOnSignals, runMain } from '@mailstack/agent-process';
import { openFileDirectory } from '@mailstack/directory';
import { createImapServer } from '@mailstack/imap';
import { createMaildirStore } from '@mailstack/maildir';

runMain(async (argv) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      directory: { type: 'string' },
      'max-connections': { type: 'string', default: '2000' },
    },
    strict: true,
  });
  if (values.data === undefined || values.directory === undefined)
    throw new Error('usage: imap-server.ts --data <root> --directory <file> [--max-connections n]');
  const directory = await openFileDirectory(values.directory);
  const store = createMaildirStore({ root: values.data });
  const server = createImapServer({
    directory,
    store,
    hostname: 'localhost',
    allowCleartextAuthOnLoopback: true,
    maxConnections: Number(values['max-connections']),
  });
  const { port, host } = await server.listen(0, '127.0.0.1');
  process.stdout.write(`${JSON.stringify({ event: 'listening', protocol: 'imap', host, port })}\n`);
  closeOnSignals(async () => {
    await server.close();
    await directory.close();
  });
});
