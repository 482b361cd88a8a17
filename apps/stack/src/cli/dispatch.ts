import { closest } from '@mailstack/config';
import { type Command, type CommandIo, EXIT } from './command.ts';
import { COMMANDS } from './commands/index.ts';

function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'usage: mailstack <command> [options]   (mailstack <command> --help for its options)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Every command reads the host config from --config FILE, else MAILSTACK_CONFIG, else the',
    'embedded defaults (mailstack.example.yaml spells them out). A config error exits 78.',
    '',
  ].join('\n');
}

/** `mailstack <command> ...`: finds the command in the table and runs it; returns the exit code. */
export async function runMailstack(
  argv: string[],
  io: CommandIo,
  commands: readonly Command[] = COMMANDS,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(topic ? topic.usage : overview(commands));
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const hint = closest(
      name,
      commands.map((c) => c.name),
    );
    io.stderr.write(
      `mailstack: unknown command "${name}"${hint ? `; did you mean "${hint}"?` : ''}\n\n${overview(commands)}`,
    );
    return EXIT.usage;
  }
  const end = rest.indexOf('--');
  const options = end === -1 ? rest : rest.slice(0, end);
  if (options.includes('--help') || options.includes('-h')) {
    io.stdout.write(command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    io.stderr.write(`mailstack ${name}: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.software;
  }
}
