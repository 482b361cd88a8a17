import { printConfig } from '@mailstack/config';
import { type Command, EXIT } from '../command.ts';
import { takeConfigFlag, withConfig } from '../with-config.ts';

export const configCommand: Command = {
  name: 'config',
  summary: 'check the config file, or print the effective config with every default',
  usage: `usage: mailstack config (check | print) [--config FILE]

  config check   validates the config (keys, types, ports, listeners, certificate files);
                 prints every problem with its key path and exits 78, or says what it read
  config print   the effective config, every default filled in, as YAML that --config takes

The config is --config FILE, else MAILSTACK_CONFIG, else the embedded defaults.
`,
  async run(argv, io) {
    const { file, rest } = takeConfigFlag(argv);
    const [verb, ...extra] = rest;
    if ((verb !== 'check' && verb !== 'print') || extra.length) {
      io.stderr.write(`mailstack config: expected "check" or "print"\n\n${configCommand.usage}`);
      return EXIT.usage;
    }
    return withConfig(file, io, async ({ config, file: source }) => {
      if (verb === 'print') io.stdout.write(printConfig(config));
      else {
        const agents = [...new Set(config.listeners.map((l) => l.agent))].join(', ');
        io.stdout.write(
          `${source ?? 'embedded defaults'}: ok (${config.listeners.length} listeners: ${agents}; data in ${config.paths.data})\n`,
        );
      }
      return EXIT.ok;
    });
  },
};
