import { parseArgs } from 'node:util';
import { type AgentName, EXIT_CONFIG } from '@mailstack/config';
import { startAgent } from '../../agents/index.ts';
import { configLogger } from '../../logging.ts';
import type { Command } from '../command.ts';
import { serveUntilSignal, startFailed } from '../serve.ts';
import { withConfig } from '../with-config.ts';

const ROLES: Record<AgentName, string> = {
  msa: 'submission (587 STARTTLS, 465 TLS), AUTH required, into the spool',
  mta: 'inbound transfer (port 25 role): mail for the local domains into the spool',
  mda: 'delivery: LMTP into the Maildir store',
  imap: 'IMAP access to the store',
  pop3: 'POP3 access to the store',
  'queue-runner': 'drains the spool: LMTP to the MDA for local mail, SMTP out for the rest, DSNs',
  web: 'the web port: /healthz, /readyz, /metrics and the autoconfig file of mail clients',
};

/** `mailstack <agent>`: one agent alone in this process, from the same config as `start`. */
function agentCommand(name: AgentName): Command {
  return {
    name,
    summary: `only the ${name} agent: ${ROLES[name]}`,
    usage: `usage: mailstack ${name} [--config FILE]

Runs the ${name} agent alone in this process (${ROLES[name]}), on the ${
      name === 'queue-runner' ? 'spool' : `listeners of agent ${name}`
    } in the config. State shared with the other agents' processes (directory, store, spool,
login throttle) is in files under paths.data. Prints one JSON line per listener on stdout:
  {"event":"listening","agent":"${name}","protocol":...,"host":...,"port":...}
  (a unix socket listener: "path":... in place of host and port)
SIGTERM or Ctrl-C stops it.

  --config FILE   the host config (default: MAILSTACK_CONFIG, else the embedded defaults)
`,
    async run(argv, io) {
      const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } } });
      return withConfig(values.config, io, async (loaded) => {
        if (name !== 'queue-runner' && !loaded.config.listeners.some((l) => l.agent === name)) {
          // It would run and serve nothing: say so, as a config error.
          io.stderr.write(
            `mailstack: config error in ${loaded.file ?? 'the embedded defaults'}: no ${name} listener (listeners[].agent: ${name})\n`,
          );
          return EXIT_CONFIG;
        }
        // `process`, not `agent`: the components inside bind `agent` themselves, and a second
        // binding of one key would write it twice on every line.
        const logger = configLogger(loaded, { process: name });
        let agent: Awaited<ReturnType<typeof startAgent>>;
        try {
          agent = await startAgent(name, loaded, undefined, logger);
        } catch (err) {
          return startFailed(err, io, name);
        }
        // The signal handlers first: whoever reads these lines may stop us at once.
        const served = serveUntilSignal(() => agent.close(), io);
        logger.info({ event: 'agent-started', agent: name, endpoints: agent.endpoints }, 'agent started');
        for (const e of agent.endpoints) io.stdout.write(`${JSON.stringify({ event: 'listening', ...e })}\n`);
        if (name === 'queue-runner')
          io.stdout.write(`${JSON.stringify({ event: 'running', agent: name })}\n`);
        return served;
      });
    },
  };
}

export const agentCommands: Command[] = (
  ['msa', 'mta', 'mda', 'imap', 'pop3', 'queue-runner', 'web'] as const
).map(agentCommand);
